package io.milvuscdc.connectors.mq.kafka;

import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Positions the job cannot read any more fail it; they never reset silently. */
class MilvusKafkaSourceBuilderTest {

    @Test
    void anExpiredPositionIsNeverResetSilently() {
        MilvusKafkaSourceBuilder latest = new MilvusKafkaSourceBuilder().setBootstrapServers("127.0.0.1:9092");
        assertEquals(OffsetResetStrategy.NONE, latest.startingOffsets().getAutoOffsetResetStrategy(),
                "the connector's auto.offset.reset comes from the starting offsets");
        MilvusKafkaSourceBuilder earliest = new MilvusKafkaSourceBuilder().setBootstrapServers("127.0.0.1:9092")
                .setStartFromEarliest();
        assertEquals(OffsetResetStrategy.NONE, earliest.startingOffsets().getAutoOffsetResetStrategy());
    }
}
