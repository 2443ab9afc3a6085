package io.milvuscdc.connectors.meta.source;

import io.milvuscdc.connectors.meta.source.enumerator.MetaEnumState;
import io.milvuscdc.connectors.meta.source.enumerator.MetaEnumStateSerializer;
import io.milvuscdc.connectors.meta.source.split.MetaSplit;
import io.milvuscdc.connectors.meta.source.split.MetaSplitSerializer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The catalog source's state: round trips, and the version 1 bytes every later version must read. */
class MetaSerializersTest {

    /** Version 1 of a split at etcd revision 123,456,789. */
    private static final String SPLIT_V1 = "00000000075bcd15";
    /** Version 1 of an enumerator holding that split unassigned, and of one holding none. */
    private static final String ENUM_V1 = "0100000000075bcd15";
    private static final String ENUM_V1_EMPTY = "000000000000000000";

    @Test
    void aSplitRoundTripsAndVersionOneReads() throws IOException {
        MetaSplitSerializer s = MetaSplitSerializer.INSTANCE;
        assertEquals(SPLIT_V1, HexFormat.of().formatHex(s.serialize(new MetaSplit(123_456_789L))));
        assertEquals(123_456_789L, s.deserialize(1, HexFormat.of().parseHex(SPLIT_V1)).revision());
        assertEquals(-1L, s.deserialize(s.getVersion(), s.serialize(new MetaSplit(-1L))).revision());
        assertThrows(IOException.class, () -> s.deserialize(2, HexFormat.of().parseHex(SPLIT_V1)));
    }

    @Test
    void theEnumeratorStateRoundTripsAndVersionOneReads() throws IOException {
        MetaEnumStateSerializer s = new MetaEnumStateSerializer();
        assertEquals(ENUM_V1, HexFormat.of().formatHex(s.serialize(new MetaEnumState(new MetaSplit(123_456_789L)))));
        assertEquals(ENUM_V1_EMPTY, HexFormat.of().formatHex(s.serialize(new MetaEnumState(null))));
        assertEquals(123_456_789L, s.deserialize(1, HexFormat.of().parseHex(ENUM_V1)).unassigned().revision());
        assertNull(s.deserialize(1, HexFormat.of().parseHex(ENUM_V1_EMPTY)).unassigned());
        assertThrows(IOException.class, () -> s.deserialize(2, HexFormat.of().parseHex(ENUM_V1)));
    }
}
