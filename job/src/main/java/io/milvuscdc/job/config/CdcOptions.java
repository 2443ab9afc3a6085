package io.milvuscdc.job.config;

import io.milvuscdc.connectors.meta.source.MilvusMetaSource;
import io.milvuscdc.connectors.mq.MilvusChannels;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.OperationBatcher;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every setting of the job, with its default and description, in one place. A key is the path of
 * the setting in cdc.yaml ({@code targetConfig.retryTimeout}); the Go Milvus-CDC's keys are kept
 * (its flat etcd keys as fallback keys). {@code -Dkey=value} after the jar on {@code flink run}
 * overrides the file. The README's configuration table is generated from these options.
 */
public final class CdcOptions {

    private CdcOptions() {}

    // ---- source: etcd (the source Milvus's metadata) ----

    public static final ConfigOption<List<String>> ETCD_ADDRESS = ConfigOptions.key("sourceConfig.etcd.address")
            .stringType().asList().noDefaultValue().withFallbackKeys("sourceConfig.etcdAddress")
            .withDescription("Required. The source Milvus's etcd endpoints, e.g. [http://127.0.0.1:2379] "
                    + "(a comma-separated value too; https:// for TLS).");
    public static final ConfigOption<String> ETCD_ROOT_PATH = ConfigOptions.key("sourceConfig.etcd.rootPath")
            .stringType().defaultValue(MilvusMetaSource.DEFAULT_ROOT_PATH).withFallbackKeys("sourceConfig.etcdRootPath")
            .withDescription("The source Milvus's etcd.rootPath.");
    public static final ConfigOption<String> ETCD_META_SUB_PATH = ConfigOptions.key("sourceConfig.etcd.metaSubPath")
            .stringType().defaultValue(MilvusMetaSource.DEFAULT_META_SUB_PATH).withFallbackKeys("sourceConfig.etcdMetaSubPath")
            .withDescription("The source Milvus's etcd.metaSubPath.");
    public static final ConfigOption<Boolean> ETCD_ENABLE_AUTH = ConfigOptions.key("sourceConfig.etcd.enableAuth")
            .booleanType().defaultValue(false).withFallbackKeys("sourceConfig.etcdEnableAuth")
            .withDescription("Log in to etcd with username and password.");
    public static final ConfigOption<String> ETCD_USERNAME = ConfigOptions.key("sourceConfig.etcd.username")
            .stringType().noDefaultValue().withFallbackKeys("sourceConfig.etcdUsername")
            .withDescription("etcd user, with enableAuth.");
    public static final ConfigOption<String> ETCD_PASSWORD = ConfigOptions.key("sourceConfig.etcd.password")
            .stringType().noDefaultValue().withFallbackKeys("sourceConfig.etcdPassword")
            .withDescription("etcd password, with enableAuth. A secret: never logged.");
    public static final ConfigOption<Boolean> ETCD_ENABLE_TLS = ConfigOptions.key("sourceConfig.etcd.enableTLS")
            .booleanType().defaultValue(false)
            .withDescription("TLS towards etcd (also implied by https:// endpoints).");
    public static final ConfigOption<String> ETCD_TLS_CA = ConfigOptions.key("sourceConfig.etcd.tlsCACertPath")
            .stringType().noDefaultValue()
            .withDescription("PEM of the CA of etcd's certificate; none: the JVM's trust store.");
    public static final ConfigOption<String> ETCD_TLS_CERT = ConfigOptions.key("sourceConfig.etcd.tlsCertPath")
            .stringType().noDefaultValue()
            .withDescription("PEM client certificate (etcd --client-cert-auth), with tlsKeyPath.");
    public static final ConfigOption<String> ETCD_TLS_KEY = ConfigOptions.key("sourceConfig.etcd.tlsKeyPath")
            .stringType().noDefaultValue()
            .withDescription("PKCS#8 PEM key of tlsCertPath.");
    public static final ConfigOption<String> ETCD_TLS_MIN_VERSION = ConfigOptions.key("sourceConfig.etcd.tlsMinVersion")
            .stringType().defaultValue("1.2")
            .withDescription("Lowest TLS version offered to etcd: 1.2 or 1.3.");
    public static final ConfigOption<String> ETCD_SERVER_NAME = ConfigOptions.key("sourceConfig.etcd.serverName")
            .stringType().noDefaultValue()
            .withDescription("A name etcd's certificate carries, when not the endpoint's host.");

    // ---- source: channels ----

    public static final ConfigOption<String> DEFAULT_PARTITION_NAME = ConfigOptions.key("sourceConfig.defaultPartitionName")
            .stringType().defaultValue("_default")
            .withDescription("The source Milvus's common.defaultPartitionName: rows of that partition go to "
                    + "the target's default partition.");
    public static final ConfigOption<String> CHANNEL_PREFIX = ConfigOptions.key("sourceConfig.channelPrefix")
            .stringType().defaultValue(MilvusChannels.DEFAULT_PREFIX)
            .withDescription("The source's msgChannel.chanNamePrefix.cluster; also taken from replicateChan.");
    public static final ConfigOption<String> DML_CHANNEL_NAME = ConfigOptions.key("sourceConfig.dmlChannelName")
            .stringType().defaultValue(MilvusChannels.DEFAULT_DML_CHANNEL_NAME)
            .withDescription("The source's msgChannel.chanNamePrefix.rootCoordDml.");
    public static final ConfigOption<String> REPLICATE_CHANNEL = ConfigOptions.key("sourceConfig.replicateChan")
            .stringType().noDefaultValue()
            .withDescription("The source's replicate channel in full; none: {channelPrefix}-replicate-msg.");

    // ---- source: message queue (exactly one) ----

    public static final ConfigOption<String> KAFKA_ADDRESS = ConfigOptions.key("sourceConfig.kafka.address")
            .stringType().noDefaultValue()
            .withDescription("The source Milvus's kafka.brokerList (set this or sourceConfig.pulsar.address).");
    public static final ConfigOption<Map<String, String>> KAFKA_PROPERTIES = ConfigOptions.key("sourceConfig.kafka.properties")
            .mapType().defaultValue(Collections.emptyMap())
            .withDescription("Kafka client properties for every Kafka client of the job (security.protocol, "
                    + "ssl.*, sasl.*).");
    public static final ConfigOption<String> PULSAR_ADDRESS = ConfigOptions.key("sourceConfig.pulsar.address")
            .stringType().noDefaultValue()
            .withDescription("The source Milvus's Pulsar service URL, e.g. pulsar://127.0.0.1:6650.");
    public static final ConfigOption<String> PULSAR_TENANT = ConfigOptions.key("sourceConfig.pulsar.tenant")
            .stringType().defaultValue("public").withDescription("The source's pulsar.tenant.");
    public static final ConfigOption<String> PULSAR_NAMESPACE = ConfigOptions.key("sourceConfig.pulsar.namespace")
            .stringType().defaultValue("default").withDescription("The source's pulsar.namespace.");
    public static final ConfigOption<String> PULSAR_AUTH_PLUGIN = ConfigOptions.key("sourceConfig.pulsar.authPlugin")
            .stringType().noDefaultValue()
            .withDescription("Pulsar authentication class, or the Go CDC's 'token'.");
    public static final ConfigOption<String> PULSAR_AUTH_PARAMS = ConfigOptions.key("sourceConfig.pulsar.authParams")
            .stringType().noDefaultValue()
            .withDescription("Its parameters (token:<jwt> or the Go CDC's {\"token\":\"<jwt>\"}). A secret: never logged.");
    public static final ConfigOption<String> PULSAR_TLS_TRUST = ConfigOptions.key("sourceConfig.pulsar.tlsTrustCertsFilePath")
            .stringType().noDefaultValue()
            .withDescription("PEM of the CA of a pulsar+ssl:// broker.");

    // ---- source: the Milvus API (verifier, initial snapshot) ----

    public static final ConfigOption<String> SOURCE_URI = ConfigOptions.key("sourceConfig.milvus.uri")
            .stringType().noDefaultValue()
            .withDescription("The source Milvus's proxy, e.g. http://127.0.0.1:19530: needed by verify and "
                    + "startup.mode initial only.");
    public static final ConfigOption<String> SOURCE_TOKEN = ConfigOptions.key("sourceConfig.milvus.token")
            .stringType().noDefaultValue().withDescription("The source Milvus's token (or username and password). A secret.");
    public static final ConfigOption<String> SOURCE_USERNAME = ConfigOptions.key("sourceConfig.milvus.username")
            .stringType().noDefaultValue().withDescription("The source Milvus's user.");
    public static final ConfigOption<String> SOURCE_PASSWORD = ConfigOptions.key("sourceConfig.milvus.password")
            .stringType().noDefaultValue().withDescription("The source Milvus's password. A secret.");

    // ---- target ----

    public static final ConfigOption<String> TARGET_URI = ConfigOptions.key("targetConfig.uri")
            .stringType().noDefaultValue()
            .withDescription("Required. The target Milvus, e.g. http://127.0.0.1:19530 (https:// for TLS).");
    public static final ConfigOption<String> TARGET_TOKEN = ConfigOptions.key("targetConfig.token")
            .stringType().noDefaultValue().withDescription("The target's token (or username and password). A secret.");
    public static final ConfigOption<String> TARGET_USERNAME = ConfigOptions.key("targetConfig.username")
            .stringType().noDefaultValue().withDescription("The target's user.");
    public static final ConfigOption<String> TARGET_PASSWORD = ConfigOptions.key("targetConfig.password")
            .stringType().noDefaultValue().withDescription("The target's password. A secret.");
    public static final ConfigOption<String> TARGET_DEFAULT_PARTITION_NAME = ConfigOptions.key("targetConfig.defaultPartitionName")
            .stringType().defaultValue("_default")
            .withDescription("The target Milvus's common.defaultPartitionName.");
    public static final ConfigOption<Duration> TARGET_RETRY_TIMEOUT = ConfigOptions.key("targetConfig.retryTimeout")
            .durationType().defaultValue(MilvusSink.DEFAULT_RETRY_TIMEOUT)
            .withDescription("How long an unavailable target is retried before the job fails over.");
    public static final ConfigOption<Duration> TARGET_REQUEST_TIMEOUT = ConfigOptions.key("targetConfig.requestTimeout")
            .durationType().defaultValue(MilvusTargetConfig.DEFAULT_REQUEST_TIMEOUT)
            .withDescription("Deadline of one call to the target.");
    public static final ConfigOption<String> ON_REFUSED = ConfigOptions.key("targetConfig.onRefused")
            .stringType().defaultValue("fail")
            .withDescription("An operation the target refuses for good: fail (stop the job, naming it) or "
                    + "dead-letter (write it whole to the dead-letter output and go on).");

    // ---- TLS towards a Milvus (the Go CDC's dial_config), for targetConfig and sourceConfig.milvus ----

    /** The keys of a {@code dialConfig} section, under {@code targetConfig.} or {@code sourceConfig.milvus.}. */
    static final Map<String, String> DIAL_CONFIG = new LinkedHashMap<>();

    static {
        DIAL_CONFIG.put("serverName", "A name the Milvus's certificate carries, when not the URI's host.");
        DIAL_CONFIG.put("caPemPath", "PEM of the CA of the Milvus's certificate.");
        DIAL_CONFIG.put("serverPemPath", "A self-signed certificate of the Milvus (instead of caPemPath).");
        DIAL_CONFIG.put("clientPemPath", "PEM client certificate, for a Milvus with tlsMode 2.");
        DIAL_CONFIG.put("clientKeyPath", "PKCS#8 PEM key of clientPemPath.");
    }

    public static final List<ConfigOption<String>> TARGET_DIAL = dial("targetConfig.");
    public static final List<ConfigOption<String>> SOURCE_DIAL = dial("sourceConfig.milvus.");

    // ---- dead letters ----

    public static final ConfigOption<String> DEAD_LETTER_OUTPUT = ConfigOptions.key("deadLetter.output")
            .stringType().defaultValue("queue")
            .withDescription("Where what cannot be replicated goes: queue (a topic on the source's Kafka or "
                    + "Pulsar) or file.");
    public static final ConfigOption<String> DEAD_LETTER_TOPIC = ConfigOptions.key("deadLetter.topic")
            .stringType().noDefaultValue()
            .withDescription("output queue: the topic; none: {channelPrefix}-cdc-dead-letter.");
    public static final ConfigOption<String> DEAD_LETTER_PATH = ConfigOptions.key("deadLetter.path")
            .stringType().noDefaultValue()
            .withDescription("output file: a directory URI every TaskManager can write.");

    // ---- start ----

    public static final ConfigOption<String> STARTUP_MODE = ConfigOptions.key("startup.mode")
            .stringType().defaultValue("latest")
            .withDescription("Where a job without a checkpoint starts: latest, earliest, timestamp, positions "
                    + "or initial (copy every selected collection, then stream).");
    public static final ConfigOption<String> STARTUP_TIMESTAMP = ConfigOptions.key("startup.timestamp")
            .stringType().noDefaultValue()
            .withDescription("mode timestamp: ISO-8601 time, epoch milliseconds or a source TSO.");
    public static final ConfigOption<Map<String, String>> STARTUP_POSITIONS = ConfigOptions.key("startup.positions")
            .mapType().defaultValue(Collections.emptyMap())
            .withDescription("mode positions: channel to position (base64 MsgPosition, Kafka offset or "
                    + "Pulsar ledger:entry).");
    public static final ConfigOption<String> ON_LOST_POSITION = ConfigOptions.key("startup.onLostPosition")
            .stringType().defaultValue("fail")
            .withDescription("A position the queue no longer retains: fail (naming channel and lost range) "
                    + "or earliest (resume from the earliest retained, logging the gap).");

    // ---- delivery and checkpoints ----

    public static final ConfigOption<String> DELIVERY = ConfigOptions.key("delivery")
            .stringType().defaultValue("exactly-once")
            .withDescription("exactly-once: operations reach the target when their checkpoint completes; "
                    + "at-least-once: as they come, replayed in order after a failure.");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("checkpointInterval")
            .durationType().defaultValue(Duration.ofSeconds(5))
            .withDescription("Checkpoint interval (exactly-once: the floor of the replication delay).");
    public static final ConfigOption<String> CHECKPOINT_DIR = ConfigOptions.key("checkpointDir")
            .stringType().noDefaultValue()
            .withDescription("Checkpoint directory URI, only if the Flink configuration names none.");

    // ---- batches ----

    public static final ConfigOption<Integer> BATCH_MAX_ROWS = ConfigOptions.key("batch.maxRows")
            .intType().defaultValue(MilvusSink.DEFAULT_MAX_ROWS_PER_BATCH)
            .withDescription("Rows per Upsert/Delete call on the target.");
    public static final ConfigOption<Long> BATCH_MAX_BYTES = ConfigOptions.key("batch.maxBytes")
            .longType().defaultValue(OperationBatcher.DEFAULT_MAX_BYTES)
            .withDescription("Bytes per call, below the target's proxy.grpc.serverMaxRecvSize.");
    public static final ConfigOption<Integer> BATCH_MAX_IN_FLIGHT = ConfigOptions.key("batch.maxInFlight")
            .intType().defaultValue(MilvusSink.DEFAULT_MAX_IN_FLIGHT)
            .withDescription("Calls in flight per sink subtask.");

    // ---- what is replicated ----

    public static final ConfigOption<List<String>> SELECTION_INCLUDE = ConfigOptions.key("selection.include")
            .stringType().asList().defaultValues()
            .withDescription("database.collection globs (* and ?) replicated; none: every collection of every database.");
    public static final ConfigOption<List<String>> SELECTION_EXCLUDE = ConfigOptions.key("selection.exclude")
            .stringType().asList().defaultValues()
            .withDescription("database.collection globs left out.");
    public static final ConfigOption<Map<String, String>> MAPPING_DATABASES = ConfigOptions.key("mapping.databases")
            .mapType().defaultValue(Collections.emptyMap())
            .withDescription("Source database to target database.");
    public static final ConfigOption<Map<String, String>> MAPPING_COLLECTIONS = ConfigOptions.key("mapping.collections")
            .mapType().defaultValue(Collections.emptyMap())
            .withDescription("Source database.collection to target collection name.");

    /**
     * Keys of the Go CDC's file that mean nothing here, each with the reason: accepted, so that its
     * file runs as it is, and logged once as ignored. A section's name stands for all its keys.
     */
    public static final Map<String, String> IGNORED = new LinkedHashMap<>();

    static {
        IGNORED.put("metaStoreConfig", "Flink checkpoints keep the replication progress; no metastore is needed");
        IGNORED.put("address", "the Go CDC's HTTP server address: this job has no HTTP server (use Flink's REST API)");
        IGNORED.put("maxTaskNum", "the Go CDC's task limit: one Flink job replicates one source");
        IGNORED.put("maxNameLength", "the Go CDC's task name limit: Flink names the job");
        IGNORED.put("logLevel", "Flink's log4j configuration sets log levels");
        IGNORED.put("detectDeadLock", "a Go runtime switch");
        IGNORED.put("sourceConfig.readChanLen", "a Go channel buffer length: Flink sizes its own network buffers");
        IGNORED.put("sourceConfig.pulsar.webAddress", "the Go CDC's Pulsar admin URL: this job finds topics through "
                + "the Pulsar client");
        IGNORED.put("sourceConfig.pulsar.maxMessageSize", "a producer's limit: a consumer takes any message the broker stored");
    }

    /** Options whose values are secrets: never logged, never shown. */
    public static final Set<String> SECRETS = Set.of(ETCD_PASSWORD.key(), PULSAR_AUTH_PARAMS.key(), SOURCE_TOKEN.key(),
            SOURCE_PASSWORD.key(), TARGET_TOKEN.key(), TARGET_PASSWORD.key());

    private static List<ConfigOption<String>> dial(String section) {
        List<ConfigOption<String>> out = new ArrayList<>();
        DIAL_CONFIG.forEach((key, description) -> out.add(ConfigOptions.key(section + "dialConfig." + key)
                .stringType().noDefaultValue().withDescription(description)));
        return out;
    }

    /** Every option, in the order above. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> out = new ArrayList<>();
        for (Field f : CdcOptions.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !Modifier.isPublic(f.getModifiers())) {
                continue;
            }
            try {
                Object value = f.get(null);
                if (value instanceof ConfigOption) {
                    out.add((ConfigOption<?>) value);
                } else if (value instanceof List && f.getName().endsWith("_DIAL")) {
                    for (Object o : (List<?>) value) {
                        out.add((ConfigOption<?>) o);
                    }
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** An option's description (plain text: this class writes no formatted ones). */
    static String text(ConfigOption<?> o) {
        StringBuilder b = new StringBuilder();
        for (org.apache.flink.configuration.description.BlockElement block : o.description().getBlocks()) {
            b.append(((org.apache.flink.configuration.description.TextElement) block).getFormat());
        }
        return b.toString();
    }

    /** The README's configuration table: every option, then the ignored keys. */
    public static String markdownTable() {
        StringBuilder b = new StringBuilder("| key | default | description |\n|---|---|---|\n");
        for (ConfigOption<?> o : all()) {
            StringBuilder key = new StringBuilder("`" + o.key() + "`");
            o.fallbackKeys().forEach(k -> key.append(" (or `").append(k.getKey()).append("`)"));
            Object d = o.hasDefaultValue() ? o.defaultValue() : null;
            String shown = d == null ? "" : d instanceof Duration ? org.apache.flink.util.TimeUtils.formatWithHighestUnit((Duration) d)
                    : d instanceof List ? String.join(";", ((List<?>) d).stream().map(String::valueOf).toArray(String[]::new))
                    : d instanceof Map ? "" : String.valueOf(d);
            b.append("| ").append(key).append(" | ").append(shown.isEmpty() ? "" : "`" + shown + "`").append(" | ")
                    .append(text(o).replace("|", "\\|")).append(" |\n");
        }
        IGNORED.forEach((k, why) -> b.append("| `").append(k).append("` | | Accepted and ignored: ").append(why).append(". |\n"));
        return b.toString();
    }
}
