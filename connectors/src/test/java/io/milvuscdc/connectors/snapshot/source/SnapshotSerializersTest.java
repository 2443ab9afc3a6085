package io.milvuscdc.connectors.snapshot.source;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.snapshot.source.enumerator.SnapshotEnumState;
import io.milvuscdc.connectors.snapshot.source.enumerator.SnapshotEnumStateSerializer;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplitSerializer;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotSerializersTest {

    private static final SnapshotSplit SPLIT = new SnapshotSplit(447L,
            new KeyRange("sales", "orders", "sales_dr", "orders_dr", "p1", "id", false, "100", "2000"), 3, 7, "1500", 1400);

    /** Version 1 of {@link #SPLIT}, as written when the snapshot source was built: every later version must read it. */
    private static final String SPLIT_V1 = "00000000000001bf0000000300000007000573616c657300066f7264657273000873616c"
            + "65735f647200096f72646572735f647201000270310002696400010003313030010004323030300100043135303000000000000"
            + "00578";

    @Test
    void aSplitRoundTripsAndVersionOneReads() throws Exception {
        SnapshotSplitSerializer s = SnapshotSplitSerializer.INSTANCE;
        byte[] bytes = s.serialize(SPLIT);
        assertEquals(SPLIT_V1, HexFormat.of().formatHex(bytes));
        assertSame(SPLIT, s.deserialize(1, HexFormat.of().parseHex(SPLIT_V1)));

        SnapshotSplit open = new SnapshotSplit(9L, new KeyRange("default", "c", "default", "c", null, "pk", true, null, null),
                0, 1, null, 0);
        SnapshotSplit back = s.deserialize(s.getVersion(), s.serialize(open));
        assertSame(open, back);
        assertNull(back.range().partition);
        assertNull(back.after());
        assertThrows(java.io.IOException.class, () -> s.deserialize(2, bytes));
    }

    @Test
    void theEnumeratorStateRoundTrips() throws Exception {
        SnapshotEnumStateSerializer s = SnapshotEnumStateSerializer.INSTANCE;
        SnapshotEnumState state = s.deserialize(1, s.serialize(new SnapshotEnumState(true, List.of(SPLIT, SPLIT.advancedTo("1900", 400)))));
        assertTrue(state.planned());
        assertEquals(2, state.remaining().size());
        assertSame(SPLIT, state.remaining().get(0));
        assertEquals("1900", state.remaining().get(1).after());
        assertEquals(1800, state.remaining().get(1).rowsEmitted());
        assertFalse(s.deserialize(1, s.serialize(new SnapshotEnumState(false, List.of()))).planned());
    }

    private static void assertSame(SnapshotSplit a, SnapshotSplit b) {
        assertEquals(a.toString(), b.toString());
        assertEquals(a.collectionId(), b.collectionId());
        assertEquals(a.index(), b.index());
        assertEquals(a.count(), b.count());
        assertEquals(a.range().targetDatabase, b.range().targetDatabase);
        assertEquals(a.range().targetCollection, b.range().targetCollection);
        assertEquals(a.range().primaryField, b.range().primaryField);
        assertEquals(a.range().stringKeys, b.range().stringKeys);
    }
}
