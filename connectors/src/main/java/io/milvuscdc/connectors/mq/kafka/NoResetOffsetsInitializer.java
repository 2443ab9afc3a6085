package io.milvuscdc.connectors.mq.kafka;

import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.Map;

/**
 * Starting offsets of another initializer, with no automatic reset: a position that is no longer
 * retained (the job was down longer than the topic's retention) fails the reader with Kafka's
 * {@code OffsetOutOfRangeException}, naming the channel and the offset, instead of jumping
 * silently to the end or the beginning (the connector sets {@code auto.offset.reset} from the
 * starting initializer).
 */
final class NoResetOffsetsInitializer implements OffsetsInitializer {

    private static final long serialVersionUID = 1L;

    private final OffsetsInitializer starting;

    NoResetOffsetsInitializer(OffsetsInitializer starting) {
        this.starting = starting;
    }

    @Override
    public Map<TopicPartition, Long> getPartitionOffsets(Collection<TopicPartition> partitions,
                                                         PartitionOffsetsRetriever retriever) {
        return starting.getPartitionOffsets(partitions, retriever);
    }

    @Override
    public OffsetResetStrategy getAutoOffsetResetStrategy() {
        return OffsetResetStrategy.NONE;
    }
}
