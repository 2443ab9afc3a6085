package io.milvuscdc.connectors.mq.pulsar;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.mq.MilvusChannels;

import org.apache.flink.connector.pulsar.source.PulsarSource;
import org.apache.flink.connector.pulsar.source.PulsarSourceOptions;
import org.apache.flink.connector.pulsar.source.enumerator.cursor.StartCursor;
import org.apache.pulsar.client.api.RegexSubscriptionMode;

import java.util.regex.Pattern;

import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * Builds the {@link PulsarSource} over a source Milvus's DML channels and its replicate channel,
 * the topics {@code persistent://{tenant}/{namespace}/{channel}} of its {@code pulsar.tenant} and
 * {@code pulsar.namespace}.
 *
 * <p>The channels are found by pattern and rediscovered periodically, as with Kafka. The read
 * position of each channel is a Pulsar message id in the source's checkpointed split state.
 *
 * <p>The source is wrapped in {@link AllTopicsPulsarSource}, so that it reads every channel at any
 * parallelism (the connector alone leaves some non-partitioned topics unread above 1: FLINK-34629).
 */
public final class MilvusPulsarSourceBuilder {

    /** The longest a received message waits in the connector's fetch before it is emitted. */
    private static final long MAX_FETCH_MS = 50L;

    private String serviceUrl;
    private String tenant = "public";
    private String namespace = "default";
    private final MilvusChannels channels = new MilvusChannels();
    private String subscriptionName = "milvus-cdc";
    private String authPlugin;
    private String authParams;
    private String tlsTrustCertsFilePath;
    private boolean fromEarliest;
    private long startTimestampMs = -1;
    private java.util.Map<String, long[]> startMessageIds;
    /**
     * Off: on Pulsar, Milvus creates every channel's topic at its start, so the topics listed when
     * the job starts are all there will be; and the connector fails the job over when a periodic
     * listing meets the broker restarting.
     */
    private long discoveryIntervalMs = -1;

    /** The broker, e.g. {@code pulsar://127.0.0.1:6650}. */
    public MilvusPulsarSourceBuilder setServiceUrl(String serviceUrl) {
        this.serviceUrl = serviceUrl;
        return this;
    }

    /** The source's {@code pulsar.tenant} ({@code public} by default). */
    public MilvusPulsarSourceBuilder setTenant(String tenant) {
        this.tenant = tenant;
        return this;
    }

    /** The source's {@code pulsar.namespace} ({@code default} by default). */
    public MilvusPulsarSourceBuilder setNamespace(String namespace) {
        this.namespace = namespace;
        return this;
    }

    /** The source's {@code msgChannel.chanNamePrefix.cluster} ({@code by-dev} by default). */
    public MilvusPulsarSourceBuilder setChannelPrefix(String channelPrefix) {
        channels.setPrefix(channelPrefix);
        return this;
    }

    /** The source's {@code chanNamePrefix.rootCoordDml} ({@code rootcoord-dml} by default). */
    public MilvusPulsarSourceBuilder setDmlChannelName(String dmlChannelName) {
        channels.setDmlChannelName(dmlChannelName);
        return this;
    }

    /** The replicate channel in full ({@code {prefix}-replicate-msg} by default). */
    public MilvusPulsarSourceBuilder setReplicateChannel(String replicateChannel) {
        channels.setReplicateChannel(replicateChannel);
        return this;
    }

    public MilvusPulsarSourceBuilder setSubscriptionName(String subscriptionName) {
        this.subscriptionName = subscriptionName;
        return this;
    }

    /**
     * A Pulsar client authentication: plugin class and its parameter string, e.g.
     * {@code org.apache.pulsar.client.impl.auth.AuthenticationToken} and {@code token:<jwt>}.
     */
    public MilvusPulsarSourceBuilder setAuthentication(String authPlugin, String authParams) {
        this.authPlugin = authPlugin;
        this.authParams = authParams;
        return this;
    }

    /** PEM of the CA that signed a {@code pulsar+ssl://} broker's certificate; null: the JVM's trust store. */
    public MilvusPulsarSourceBuilder setTlsTrustCertsFilePath(String path) {
        this.tlsTrustCertsFilePath = path;
        return this;
    }

    /** Without a checkpoint, reads every channel from its first retained message. */
    public MilvusPulsarSourceBuilder setStartFromEarliest() {
        this.fromEarliest = true;
        return this;
    }

    /**
     * Without a checkpoint, reads each channel from the first message published at or after
     * {@code epochMillis}. The default is the moment {@link #build()} runs (job submission).
     */
    public MilvusPulsarSourceBuilder setStartFromTimestamp(long epochMillis) {
        this.fromEarliest = false;
        this.startTimestampMs = epochMillis;
        return this;
    }

    /**
     * Without a checkpoint, reads the channels in {@code messageIds} (ledger, entry, partition,
     * batch index) from those messages (included), the others from the first message published at
     * or after {@code othersFromMs} (-1: the job's submission).
     */
    public MilvusPulsarSourceBuilder setStartFromMessageIds(java.util.Map<String, long[]> messageIds, long othersFromMs) {
        this.fromEarliest = false;
        this.startMessageIds = java.util.Map.copyOf(messageIds);
        this.startTimestampMs = othersFromMs;
        return this;
    }

    /** How often to list the channel topics again; zero or less: only when the job starts (the default). */
    public MilvusPulsarSourceBuilder setDiscoveryIntervalMs(long discoveryIntervalMs) {
        this.discoveryIntervalMs = discoveryIntervalMs;
        return this;
    }

    public String namespaceTopicPrefix() {
        return "persistent://" + tenant + "/" + namespace + "/";
    }

    /** The replicate channel's full topic name. */
    public String replicateTopic() {
        return namespaceTopicPrefix() + channels.replicateChannel();
    }

    /**
     * Matches full topic names; the connector reads the namespace to list from the pattern's
     * leading {@code persistent://tenant/namespace/}.
     */
    public Pattern topicPattern() {
        return Pattern.compile(namespaceTopicPrefix() + channels.regex());
    }

    private StartCursor startCursor() {
        if (fromEarliest) {
            return StartCursor.earliest();
        }
        long from = startTimestampMs >= 0 ? startTimestampMs : System.currentTimeMillis();
        return startMessageIds == null ? StartCursor.fromPublishTime(from) : new PositionsStartCursor(startMessageIds, from);
    }

    public AllTopicsPulsarSource<ChangeRecord> build() {
        checkNotNull(serviceUrl, "Pulsar service URL is required");
        var builder = PulsarSource.<ChangeRecord>builder()
                .setServiceUrl(serviceUrl)
                .setTopicPattern(topicPattern(), RegexSubscriptionMode.PersistentOnly)
                .setSubscriptionName(subscriptionName)
                .setStartCursor(startCursor())
                .setDeserializationSchema(new MilvusPulsarDeserializer())
                .setConfig(PulsarSourceOptions.PULSAR_PARTITION_DISCOVERY_INTERVAL_MS, discoveryIntervalMs)
                // A fetch hands its messages on only when it ends: when no message comes within
                // the fetch-one time, or at the max fetch time. Under a steady stream (Milvus ticks
                // every 200 ms per channel, inserts in between) it ran to its max, so that bound
                // is the delay a message can wait here; 1 s of it showed as +0.45 s p50 / +0.73 s
                // p99 end to end. The fetch-one time is left unset: each wait is then bounded by
                // what is left of the fetch (an idle channel returns an empty fetch every 50 ms).
                .setConfig(PulsarSourceOptions.PULSAR_MAX_FETCH_TIME, MAX_FETCH_MS)
                // Prefetched messages per channel (default 1000): Milvus's inserts are up to a few
                // MiB each, so the default could hold gigabytes of a backlog in the client.
                .setConfig(PulsarSourceOptions.PULSAR_RECEIVER_QUEUE_SIZE, 16);
        if (tlsTrustCertsFilePath != null) {
            builder.setConfig(org.apache.flink.connector.pulsar.common.config.PulsarOptions.PULSAR_TLS_TRUST_CERTS_FILE_PATH,
                    tlsTrustCertsFilePath);
        }
        if (authPlugin != null && !authPlugin.isEmpty()) {
            builder.setAuthentication(authPlugin, authParams == null ? "" : authParams);
        }
        return new AllTopicsPulsarSource<>(builder.build());
    }
}
