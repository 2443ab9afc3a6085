package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.mq.ChannelPositions.InvalidPositionException;
import io.milvuscdc.connectors.mq.ChannelPositions.Queue;

import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelPositionsTest {

    private static final String DML = "by-dev-rootcoord-dml_";
    private static final long MILLIS = 1_764_000_000_000L;

    @Test
    void kafkaPositionsAsTheSourceRecordsThemPlainOffsetsAndTheEarliestPerPhysicalChannel() {
        Map<String, String> given = new LinkedHashMap<>();
        // Two collections' virtual channels on one physical channel: the earlier position wins.
        given.put(DML + "0_447v0", ChannelPositions.encode(DML + "0_447v0", ChannelPositions.kafkaId(120), (MILLIS + 5_000) << 18));
        given.put(DML + "0_448v1", ChannelPositions.encode(DML + "0_448v1", ChannelPositions.kafkaId(95), MILLIS << 18));
        given.put(DML + "1", "42");
        given.put(DML + "2", Base64.getEncoder().encodeToString(ChannelPositions.kafkaId(7)));
        ChannelPositions positions = ChannelPositions.parse(given, Queue.KAFKA, DML);
        assertEquals(Map.of(DML + "0", 95L, DML + "1", 42L, DML + "2", 7L), positions.kafkaOffsets());
        assertEquals(MILLIS, positions.fallbackTimestampMs(), "the other channels from the earliest position's time");
    }

    @Test
    void pulsarMessageIdsInTextOrAsTheClientSerializesThem() {
        Map<String, String> given = new LinkedHashMap<>();
        given.put(DML + "0", "12:34");
        given.put(DML + "1_9v0", "12:30:-1:3");
        // MessageIdData: ledgerId (1) = 5, entryId (2) = 6, as the Go client serializes a message id.
        byte[] id = {0x08, 0x05, 0x10, 0x06};
        given.put(DML + "3_9v1", ChannelPositions.encode(DML + "3_9v1", id, MILLIS << 18));
        ChannelPositions positions = ChannelPositions.parse(given, Queue.PULSAR, DML);
        assertArrayEquals(new long[] {12, 34, -1, -1}, positions.pulsarMessageIds().get(DML + "0"));
        assertArrayEquals(new long[] {12, 30, -1, 3}, positions.pulsarMessageIds().get(DML + "1"));
        assertArrayEquals(new long[] {5, 6, -1, -1}, positions.pulsarMessageIds().get(DML + "3"));
    }

    @Test
    void aPositionThatCannotBeReadNamesItsChannel() {
        for (Map.Entry<String, String> bad : Map.of(
                "other-rootcoord-dml_0", "1",
                DML + "x", "1",
                DML + "1", "not base64!",
                DML + "2", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}),
                DML + "3", "").entrySet()) {
            InvalidPositionException e = assertThrows(InvalidPositionException.class,
                    () -> ChannelPositions.parse(Map.of(bad.getKey(), bad.getValue()), Queue.KAFKA, DML), bad.toString());
            assertTrue(e.getMessage().startsWith("channel " + bad.getKey()), e.getMessage());
        }
    }
}
