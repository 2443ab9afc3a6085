package io.milvuscdc.connectors.mq.kafka;

import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Given offsets for some channels (a Milvus channel is a topic of one partition); the others
 * start as {@code others} says.
 */
final class PositionsOffsetsInitializer implements OffsetsInitializer {

    private static final long serialVersionUID = 1L;

    private final TreeMap<String, Long> offsets;
    private final OffsetsInitializer others;

    PositionsOffsetsInitializer(Map<String, Long> offsets, OffsetsInitializer others) {
        this.offsets = new TreeMap<>(offsets);
        this.others = others;
    }

    @Override
    public Map<TopicPartition, Long> getPartitionOffsets(Collection<TopicPartition> partitions,
                                                         PartitionOffsetsRetriever retriever) {
        Map<TopicPartition, Long> result = new HashMap<>();
        List<TopicPartition> rest = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Long offset = tp.partition() == 0 ? offsets.get(tp.topic()) : null;
            if (offset != null) {
                result.put(tp, offset);
            } else {
                rest.add(tp);
            }
        }
        if (!rest.isEmpty()) {
            result.putAll(others.getPartitionOffsets(rest, retriever));
        }
        return result;
    }

    @Override
    public OffsetResetStrategy getAutoOffsetResetStrategy() {
        return OffsetResetStrategy.NONE;
    }
}
