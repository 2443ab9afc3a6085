package io.milvuscdc.connectors.mq.kafka;

import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LostPositionsTest {

    private static final TopicPartition DML0 = new TopicPartition("by-dev-rootcoord-dml_0", 0);
    private static final TopicPartition DML1 = new TopicPartition("by-dev-rootcoord-dml_1", 0);
    private static final TopicPartition NEW = new TopicPartition("by-dev-rootcoord-dml_2", 0);

    /** dml_0 retained from 120 (the job stopped at 100), dml_1 from 50 (the job stopped at 70). */
    private static final Map<TopicPartition, Long> EARLIEST = Map.of(DML0, 120L, DML1, 50L, NEW, 0L);

    private final List<KafkaPartitionSplit> restored = List.of(new KafkaPartitionSplit(DML0, 100),
            new KafkaPartitionSplit(DML1, 70), new KafkaPartitionSplit(NEW, KafkaPartitionSplit.EARLIEST_OFFSET));

    @Test
    void aPositionNoLongerRetainedStopsNamingTheChannelAndTheLostRange() {
        LostPositions.LostPositionException e = assertThrows(LostPositions.LostPositionException.class,
                () -> LostPositions.check(restored, LostPositions.Mode.FAIL, partitions -> EARLIEST));
        assertTrue(e.getMessage().contains("channel by-dev-rootcoord-dml_0 (partition 0): offsets 100 to 119 (20 messages)"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("dml_1"), "a retained position is not reported: " + e.getMessage());
        assertTrue(e.getMessage().contains("startup.onLostPosition: earliest"), e.getMessage());
    }

    @Test
    void whenToldItResumesFromTheEarliestRetainedOffset() {
        List<KafkaPartitionSplit> out = LostPositions.check(restored, LostPositions.Mode.EARLIEST, partitions -> EARLIEST);
        assertEquals(List.of(new KafkaPartitionSplit(DML0, 120), new KafkaPartitionSplit(DML1, 70),
                new KafkaPartitionSplit(NEW, KafkaPartitionSplit.EARLIEST_OFFSET)), out);
    }

    @Test
    void retainedPositionsAreLeftAsTheyAre() {
        List<KafkaPartitionSplit> fine = List.of(new KafkaPartitionSplit(DML0, 120), new KafkaPartitionSplit(DML1, 50));
        assertEquals(fine, LostPositions.check(fine, LostPositions.Mode.FAIL, partitions -> EARLIEST));
    }
}
