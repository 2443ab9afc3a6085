package io.milvuscdc.connectors.mq.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Lists the source's Kafka topics once before the job is built: an unreachable broker stops
 * {@code flink run} with a message saying so; whether any channel of the source exists yet is
 * returned (a source Milvus creates a channel's topic with its first collection on it, so none
 * is normal for an empty source, and a hint of a wrong channel prefix otherwise).
 */
public final class KafkaAccessCheck {

    /** The broker could not be reached. */
    public static final class AccessException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AccessException(String message) {
            super(message);
        }
    }

    private KafkaAccessCheck() {}

    /**
     * {@code properties}: the client settings the job uses (security), without the bootstrap
     * servers; {@code channels}: the source's channel names (see {@link MilvusKafkaSourceBuilder#topicPattern()}).
     */
    public static boolean check(String bootstrapServers, Map<String, String> properties, Pattern channels, Duration timeout) {
        try (Admin admin = Admin.create(adminProperties(bootstrapServers, properties, timeout))) {
            return call(bootstrapServers, timeout, () -> admin.listTopics().names()).stream()
                    .anyMatch(t -> channels.matcher(t).matches());
        }
    }

    /**
     * The channels a start from {@code epochMillis} would skip part of: those whose earliest
     * retained record is the first at or after that moment while earlier ones were deleted
     * (retention), so records after the moment may be gone. Milvus writes time ticks on every
     * channel, so a channel is never quiet long enough for this to be a false alarm. Each entry
     * names the channel, its earliest retained offset and that record's time.
     */
    public static List<String> retentionAfter(String bootstrapServers, Map<String, String> properties, Pattern channels,
                                              long epochMillis, Duration timeout) {
        try (Admin admin = Admin.create(adminProperties(bootstrapServers, properties, timeout))) {
            List<String> topics = call(bootstrapServers, timeout, () -> admin.listTopics().names()).stream()
                    .filter(t -> channels.matcher(t).matches()).sorted().toList();
            Map<String, ListOffsetsResultInfo> first = offsets(admin, bootstrapServers, timeout, topics, OffsetSpec.earliest());
            Map<String, ListOffsetsResultInfo> from = offsets(admin, bootstrapServers, timeout, topics,
                    OffsetSpec.forTimestamp(epochMillis));
            List<String> lost = new ArrayList<>();
            first.forEach((channel, earliest) -> {
                long start = earliest.offset();
                ListOffsetsResultInfo at = from.get(channel);
                if (start > 0 && at != null && at.offset() == start) {
                    lost.add("channel " + channel + " (partition 0): offsets 0 to " + (start - 1)
                            + " deleted, the earliest retained (" + start + ") written at "
                            + Instant.ofEpochMilli(at.timestamp()));
                }
            });
            return lost;
        }
    }

    /**
     * Each channel's retained range, {@code [earliest, end]} offsets, for {@code channelNames};
     * a channel with no topic is absent.
     */
    public static Map<String, long[]> retainedRanges(String bootstrapServers, Map<String, String> properties,
                                                     Collection<String> channelNames, Duration timeout) {
        try (Admin admin = Admin.create(adminProperties(bootstrapServers, properties, timeout))) {
            Set<String> existing = call(bootstrapServers, timeout, () -> admin.listTopics().names());
            List<String> channels = channelNames.stream().filter(existing::contains).toList();
            Map<String, ListOffsetsResultInfo> first = offsets(admin, bootstrapServers, timeout, channels, OffsetSpec.earliest());
            Map<String, ListOffsetsResultInfo> end = offsets(admin, bootstrapServers, timeout, channels, OffsetSpec.latest());
            Map<String, long[]> ranges = new TreeMap<>();
            first.forEach((channel, info) -> ranges.put(channel, new long[] {info.offset(), end.get(channel).offset()}));
            return ranges;
        }
    }

    /** One offset of each channel (a Milvus channel is a topic of one partition), sorted by channel. */
    private static Map<String, ListOffsetsResultInfo> offsets(Admin admin, String bootstrapServers, Duration timeout,
                                                              Collection<String> channels, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        channels.forEach(c -> request.put(new TopicPartition(c, 0), spec));
        Map<String, ListOffsetsResultInfo> result = new TreeMap<>();
        call(bootstrapServers, timeout, () -> admin.listOffsets(request).all())
                .forEach((tp, info) -> result.put(tp.topic(), info));
        return result;
    }

    private static Properties adminProperties(String bootstrapServers, Map<String, String> properties, Duration timeout) {
        Properties props = new Properties();
        props.putAll(properties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        return props;
    }

    private static <T> T call(String bootstrapServers, Duration timeout,
                              java.util.function.Supplier<org.apache.kafka.common.KafkaFuture<T>> request) {
        try {
            return request.get().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new AccessException("cannot reach Kafka at " + bootstrapServers + " (" + cause.getClass().getSimpleName()
                    + ": " + cause.getMessage() + ")");
        } catch (TimeoutException e) {
            throw new AccessException("no answer from Kafka at " + bootstrapServers + " within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AccessException("interrupted while asking Kafka at " + bootstrapServers);
        }
    }
}
