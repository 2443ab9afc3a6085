package io.milvuscdc.connectors.mq.kafka;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.mq.MilvusChannels;

import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * Builds the {@link KafkaSource} over a source Milvus's DML channels and its replicate channel.
 *
 * <p>The channels are found by pattern ({@code {prefix}-{rootCoordDml}_N}) and rediscovered
 * periodically: Milvus creates a topic only when it first writes to it. Newly found channels
 * are read from their beginning, so nothing written before discovery is missed.
 */
public final class MilvusKafkaSourceBuilder {

    private String bootstrapServers;
    private final MilvusChannels channels = new MilvusChannels();
    private String groupId = "milvus-cdc";
    private boolean fromEarliest;
    private boolean resumeLostFromEarliest;
    private long startTimestampMs = -1;
    private Map<String, Long> startOffsets;
    private long discoveryIntervalMs = 1000;
    private final Properties properties = new Properties();

    public MilvusKafkaSourceBuilder setBootstrapServers(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        return this;
    }

    /** The source's {@code msgChannel.chanNamePrefix.cluster} ({@code by-dev} by default). */
    public MilvusKafkaSourceBuilder setChannelPrefix(String channelPrefix) {
        channels.setPrefix(channelPrefix);
        return this;
    }

    /** The source's {@code chanNamePrefix.rootCoordDml} ({@code rootcoord-dml} by default). */
    public MilvusKafkaSourceBuilder setDmlChannelName(String dmlChannelName) {
        channels.setDmlChannelName(dmlChannelName);
        return this;
    }

    /**
     * The source's replicate channel in full ({@code {prefix}-replicate-msg} by default), where
     * the proxy publishes database, index, load, release and flush operations.
     */
    public MilvusKafkaSourceBuilder setReplicateChannel(String replicateChannel) {
        channels.setReplicateChannel(replicateChannel);
        return this;
    }

    public MilvusKafkaSourceBuilder setGroupId(String groupId) {
        this.groupId = groupId;
        return this;
    }

    /** Without a checkpoint, reads every channel from its first retained message. */
    public MilvusKafkaSourceBuilder setStartFromEarliest() {
        this.fromEarliest = true;
        return this;
    }

    /**
     * Without a checkpoint, reads each channel from the first message written at or after
     * {@code epochMillis}. The default is the moment {@link #build()} runs (job submission):
     * "latest" then has no gap between submission and the readers' start.
     */
    public MilvusKafkaSourceBuilder setStartFromTimestamp(long epochMillis) {
        this.fromEarliest = false;
        this.startTimestampMs = epochMillis;
        return this;
    }

    /**
     * Without a checkpoint, reads the channels in {@code offsets} from those offsets (the message
     * there included), the others from the first message written at or after {@code othersFromMs}
     * (-1: the job's submission).
     */
    public MilvusKafkaSourceBuilder setStartFromOffsets(Map<String, Long> offsets, long othersFromMs) {
        this.fromEarliest = false;
        this.startOffsets = Map.copyOf(offsets);
        this.startTimestampMs = othersFromMs;
        return this;
    }

    public MilvusKafkaSourceBuilder setDiscoveryIntervalMs(long discoveryIntervalMs) {
        this.discoveryIntervalMs = discoveryIntervalMs;
        return this;
    }

    /** Any Kafka consumer property (security, timeouts). */
    /**
     * A restored position Kafka no longer retains: resume from the earliest retained offset and
     * log the gap (true), or stop naming the channel and the lost range (false, the default).
     */
    public MilvusKafkaSourceBuilder setResumeLostPositionsFromEarliest(boolean resume) {
        this.resumeLostFromEarliest = resume;
        return this;
    }

    public MilvusKafkaSourceBuilder setProperty(String key, String value) {
        properties.setProperty(key, value);
        return this;
    }

    public Pattern topicPattern() {
        return Pattern.compile(channels.regex());
    }

    /** Where a job without a checkpoint starts; never an automatic reset (a retention gap fails the job). */
    OffsetsInitializer startingOffsets() {
        OffsetsInitializer starting = fromEarliest
                ? OffsetsInitializer.earliest()
                : OffsetsInitializer.timestamp(startTimestampMs >= 0 ? startTimestampMs : System.currentTimeMillis());
        return new NoResetOffsetsInitializer(startOffsets == null ? starting
                : new PositionsOffsetsInitializer(startOffsets, starting));
    }

    /** Bytes of one fetch of one reader. */
    static final int FETCH_MAX_BYTES = 8 * 1024 * 1024;

    public RetentionCheckingKafkaSource<ChangeRecord> build() {
        checkNotNull(bootstrapServers, "Kafka bootstrap servers are required");
        Properties consumer = new Properties();
        consumer.putAll(properties);
        consumer.setProperty("bootstrap.servers", bootstrapServers);
        return new RetentionCheckingKafkaSource<>(kafkaSource(), consumer,
                resumeLostFromEarliest ? LostPositions.Mode.EARLIEST : LostPositions.Mode.FAIL);
    }

    private KafkaSource<ChangeRecord> kafkaSource() {
        return KafkaSource.<ChangeRecord>builder()
                .setBootstrapServers(bootstrapServers)
                .setTopicPattern(topicPattern())
                .setGroupId(groupId)
                .setStartingOffsets(startingOffsets())
                .setDeserializer(new MilvusKafkaDeserializer())
                .setProperties(properties)
                .setProperty("partition.discovery.interval.ms", Long.toString(discoveryIntervalMs))
                // What one reader holds on the heap: a fetch, and the source's queue of two fetches.
                // Kafka still returns a single record larger than these (Milvus's inserts are up to
                // a few MiB each); the defaults (50 MiB a fetch) exhausted a 2 GB TaskManager's heap
                // on a 1.5 GB backlog.
                .setProperty("fetch.max.bytes", Integer.toString(FETCH_MAX_BYTES))
                .setProperty("max.partition.fetch.bytes", Integer.toString(FETCH_MAX_BYTES / 2))
                .build();
    }
}
