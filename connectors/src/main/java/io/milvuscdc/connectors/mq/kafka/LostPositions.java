package io.milvuscdc.connectors.mq.kafka;

import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Checks restored positions against what Kafka still retains. A channel whose checkpointed offset
 * is below the partition's earliest retained offset lost the messages between (the job was down
 * longer than the topic's retention): the job stops naming each channel and the lost range, or,
 * when the user said so, resumes each from its earliest retained offset and logs the gap.
 */
final class LostPositions {

    private static final Logger LOG = LoggerFactory.getLogger(LostPositions.class);

    /** What to do about a position Kafka no longer retains. */
    enum Mode { FAIL, EARLIEST }

    /** Thrown for {@link Mode#FAIL}. */
    static final class LostPositionException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LostPositionException(String message) {
            super(message);
        }
    }

    private LostPositions() {}

    /**
     * The splits to read from: unchanged where the position is retained (or is a marker such as
     * earliest/latest), moved to the earliest retained offset in {@link Mode#EARLIEST}.
     */
    static List<KafkaPartitionSplit> check(List<KafkaPartitionSplit> splits, Mode mode,
            Function<Collection<TopicPartition>, Map<TopicPartition, Long>> earliestOffsets) {
        List<KafkaPartitionSplit> concrete = splits.stream().filter(s -> s.getStartingOffset() >= 0)
                .collect(Collectors.toList());
        if (concrete.isEmpty()) {
            return splits;
        }
        Map<TopicPartition, Long> earliest = earliestOffsets.apply(
                concrete.stream().map(KafkaPartitionSplit::getTopicPartition).collect(Collectors.toList()));
        List<String> lost = new ArrayList<>();
        List<KafkaPartitionSplit> out = new ArrayList<>();
        for (KafkaPartitionSplit split : splits) {
            Long first = earliest.get(split.getTopicPartition());
            if (split.getStartingOffset() < 0 || first == null || first <= split.getStartingOffset()) {
                out.add(split);
                continue;
            }
            String range = "channel " + split.getTopic() + " (partition " + split.getPartition() + "): offsets "
                    + split.getStartingOffset() + " to " + (first - 1) + " (" + (first - split.getStartingOffset())
                    + " messages)";
            lost.add(range);
            if (mode == Mode.EARLIEST) {
                LOG.warn("Lost {}: no longer retained by Kafka; resuming at offset {} as startup.onLostPosition: "
                        + "earliest says. Those messages' changes are missing on the target.", range, first);
                out.add(split.getStoppingOffset().isPresent()
                        ? new KafkaPartitionSplit(split.getTopicPartition(), first, split.getStoppingOffset().get())
                        : new KafkaPartitionSplit(split.getTopicPartition(), first));
            }
        }
        if (!lost.isEmpty() && mode == Mode.FAIL) {
            throw new LostPositionException("Kafka no longer retains where the job stopped reading (the job was down "
                    + "longer than the topics' retention): " + String.join("; ", lost) + ". The changes in those "
                    + "messages cannot be replicated. To resume from the earliest retained messages anyway, set "
                    + "startup.onLostPosition: earliest and restore the same checkpoint; or start a new job.");
        }
        return out;
    }
}
