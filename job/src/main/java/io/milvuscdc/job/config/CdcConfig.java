package io.milvuscdc.job.config;

import io.milvuscdc.connectors.mq.MilvusChannels;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.tls.TlsSettings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The job's configuration: cdc.yaml read as {@link CdcOptions}, with command-line overrides.
 * {@code sourceConfig} keeps the keys of the Go Milvus-CDC's file (nested {@code etcd:} or flat
 * {@code etcdAddress}/{@code etcdRootPath}/{@code etcdMetaSubPath}); its keys that mean nothing
 * here are accepted and logged ({@link CdcOptions#IGNORED}). Secrets are never part of {@link #toString()}.
 */
public final class CdcConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The source Milvus's message queue (its {@code mq.type}). */
    public enum Queue { KAFKA, PULSAR }

    /** Where dead letters go: a topic on the source's own queue, or files. */
    public enum DeadLetterOutput { QUEUE, FILE }

    /** Where a job without a checkpoint starts. */
    public enum StartupMode { LATEST, EARLIEST, TIMESTAMP, POSITIONS, INITIAL }

    /** Whether the stream starts at {@link #startupTimestampMs}: a given moment, or the initial snapshot's. */
    public boolean startsFromTimestamp() {
        return startupMode == StartupMode.TIMESTAMP || startupMode == StartupMode.INITIAL;
    }

    public List<String> etcdEndpoints = new ArrayList<>();
    public String etcdRootPath = CdcOptions.ETCD_ROOT_PATH.defaultValue();
    public String etcdMetaSubPath = CdcOptions.ETCD_META_SUB_PATH.defaultValue();
    public String etcdUsername;
    public String etcdPassword;
    /** TLS towards etcd ({@code https://} endpoints); null: plain. */
    public TlsSettings etcdTls;
    public String channelPrefix = CdcOptions.CHANNEL_PREFIX.defaultValue();
    public String dmlChannelName = CdcOptions.DML_CHANNEL_NAME.defaultValue();
    /** In full; null: {@code {channelPrefix}-replicate-msg}. */
    public String replicateChannel;
    public Selection selection = Selection.all();
    public String defaultPartitionName = CdcOptions.DEFAULT_PARTITION_NAME.defaultValue();
    public String targetDefaultPartitionName = CdcOptions.TARGET_DEFAULT_PARTITION_NAME.defaultValue();
    public Queue queue;
    public String kafkaAddress;
    /** Kafka client properties passed through (security.protocol, ssl.*, sasl.*) to every Kafka client of the job. */
    public Map<String, String> kafkaProperties = new java.util.LinkedHashMap<>();
    /** PEM of the CA that signed a {@code pulsar+ssl://} broker's certificate; null: the JVM's trust store. */
    public String pulsarTlsTrustCertsPath;
    public String pulsarServiceUrl;
    public String pulsarTenant = CdcOptions.PULSAR_TENANT.defaultValue();
    public String pulsarNamespace = CdcOptions.PULSAR_NAMESPACE.defaultValue();
    public String pulsarAuthPlugin;
    /** A secret (a token): never logged. */
    public String pulsarAuthParams;
    public String targetUri;
    public String targetToken;
    /** Certificates and server name for an {@code https://} target; null: the JVM's trust store. */
    public TlsSettings targetTls;
    /** The source Milvus's API: needed by the verifier and the initial snapshot only. */
    public String sourceMilvusUri;
    public String sourceMilvusToken;
    public TlsSettings sourceMilvusTls;
    public Duration targetRetryTimeout = CdcOptions.TARGET_RETRY_TIMEOUT.defaultValue();
    public StartupMode startupMode = StartupMode.LATEST;
    /** With {@link StartupMode#TIMESTAMP}: the first moment replicated, epoch milliseconds. */
    public long startupTimestampMs = -1;
    /** With {@link StartupMode#POSITIONS}: where each given channel starts. */
    public io.milvuscdc.connectors.mq.ChannelPositions startupPositions;
    /** A restored position the queue no longer retains: resume from the earliest retained one (true) or stop. */
    public boolean resumeLostPositionsFromEarliest;
    public Duration checkpointInterval = CdcOptions.CHECKPOINT_INTERVAL.defaultValue();
    public int maxRowsPerBatch = CdcOptions.BATCH_MAX_ROWS.defaultValue();
    public long maxBytesPerBatch = CdcOptions.BATCH_MAX_BYTES.defaultValue();
    public int maxInFlight = CdcOptions.BATCH_MAX_IN_FLIGHT.defaultValue();
    public Duration targetRequestTimeout = CdcOptions.TARGET_REQUEST_TIMEOUT.defaultValue();
    /** Where checkpoints go when the Flink configuration names no place; null: the Flink configuration's. */
    public String checkpointDir;
    public DeadLetterOutput deadLetterOutput = DeadLetterOutput.QUEUE;
    /** Topic of the dead letters (QUEUE); {channelPrefix}-cdc-dead-letter unless set. */
    public String deadLetterTopic;
    /** Directory URI of the dead letters (FILE). */
    public String deadLetterPath;
    public MilvusSink.OnRefused onRefused = MilvusSink.OnRefused.FAIL;
    public MilvusSink.Delivery delivery = MilvusSink.Delivery.EXACTLY_ONCE;

    public static CdcConfig load(Path file) {
        return load(file, Map.of());
    }

    /**
     * Reads a file; {@code overrides} (from {@code -Dkey=value} and {@code --target-uri} on the
     * command line) replace or supply its settings, so that a Go CDC file, which names no target,
     * runs as it is.
     */
    public static CdcConfig load(Path file, Map<String, String> overrides) {
        try {
            return parse(Files.readString(file), overrides);
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file + " (" + e.getMessage() + ")",
                    "Pass the path of a readable cdc.yaml");
        }
    }

    public static CdcConfig parse(String yaml) {
        return parse(yaml, Map.of());
    }

    /** The file's settings, as {@link CdcOptions}, with {@code overrides} (option key to value) over them. */
    public static CdcConfig parse(String yaml, Map<String, String> overrides) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ConfigException("(file)", "not valid YAML: " + e.getOriginalMessage(), "Fix the YAML syntax");
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("(file)", "empty or not a mapping", "See configs/cdc.yaml for an example");
        }
        ConfigTypes.check(root);
        Map<String, String> flat = new java.util.LinkedHashMap<>();
        FlatConfig.flatten(root, "", flat);
        required(root, "sourceConfig");
        if (!root.has("targetConfig") && !overrides.containsKey(CdcOptions.TARGET_URI.key())) {
            required(root, "targetConfig");
        }
        overrides.forEach((key, value) -> flat.put(FlatConfig.checkKnown(key), value));
        return read(org.apache.flink.configuration.Configuration.fromMap(flat));
    }

    private static CdcConfig read(org.apache.flink.configuration.Configuration conf) {
        Options o = new Options(conf);
        CdcConfig c = new CdcConfig();
        c.etcdTls = c.readEtcdTls(o);
        c.etcdEndpoints = new ArrayList<>();
        for (String e : o.get(CdcOptions.ETCD_ADDRESS, List.of())) {
            for (String s : e.split(",")) { // the Go CDC's flat form: one comma-separated value
                if (!s.isBlank()) {
                    c.etcdEndpoints.add(s.trim());
                }
            }
        }
        if (c.etcdEndpoints.isEmpty()) {
            throw new ConfigException("sourceConfig.etcd.address", "no etcd endpoint is given",
                    "Set it to the source Milvus's etcd, e.g. [http://127.0.0.1:2379]");
        }
        c.etcdRootPath = o.get(CdcOptions.ETCD_ROOT_PATH);
        c.etcdMetaSubPath = o.get(CdcOptions.ETCD_META_SUB_PATH);
        if (o.get(CdcOptions.ETCD_ENABLE_AUTH)) {
            c.etcdUsername = o.get(CdcOptions.ETCD_USERNAME);
            c.etcdPassword = o.get(CdcOptions.ETCD_PASSWORD);
        }
        c.etcdEndpoints.replaceAll(e -> e.contains("://") ? e : (c.etcdTls != null ? "https://" : "http://") + e);
        if (c.etcdTls != null) {
            c.etcdEndpoints.replaceAll(e -> e.startsWith("http://") ? "https://" + e.substring("http://".length()) : e);
        } else if (c.etcdEndpoints.stream().anyMatch(e -> e.startsWith("https://"))) {
            c.etcdTls = new TlsSettings(null, null, null, null); // https endpoints: TLS with the JVM's trust store
        }
        c.defaultPartitionName = o.get(CdcOptions.DEFAULT_PARTITION_NAME);
        // The Go CDC names the replicate channel in full ({cluster}-replicate-msg); the
        // cluster prefix of every channel is the part before that suffix.
        String replicateChan = o.get(CdcOptions.REPLICATE_CHANNEL);
        if (replicateChan != null && replicateChan.endsWith(MilvusChannels.REPLICATE_SUFFIX)) {
            c.channelPrefix = replicateChan.substring(0, replicateChan.length() - MilvusChannels.REPLICATE_SUFFIX.length());
        }
        c.replicateChannel = replicateChan;
        if (o.isSet(CdcOptions.CHANNEL_PREFIX)) {
            c.channelPrefix = o.get(CdcOptions.CHANNEL_PREFIX);
        }
        c.dmlChannelName = o.get(CdcOptions.DML_CHANNEL_NAME);
        c.readQueue(o);
        c.readSourceMilvus(o);

        c.targetUri = o.get(CdcOptions.TARGET_URI);
        if (c.targetUri == null || !(c.targetUri.startsWith("http://") || c.targetUri.startsWith("https://"))) {
            throw new ConfigException("targetConfig.uri", "missing or not an http(s) URI",
                    "Set it to the target Milvus, e.g. http://127.0.0.1:19530");
        }
        c.targetTls = milvusTls(o, CdcOptions.TARGET_DIAL, "targetConfig.", c.targetUri);
        c.targetToken = milvusToken(o, CdcOptions.TARGET_TOKEN, CdcOptions.TARGET_USERNAME, CdcOptions.TARGET_PASSWORD);
        c.targetDefaultPartitionName = o.get(CdcOptions.TARGET_DEFAULT_PARTITION_NAME);
        c.targetRetryTimeout = o.get(CdcOptions.TARGET_RETRY_TIMEOUT);
        c.targetRequestTimeout = o.get(CdcOptions.TARGET_REQUEST_TIMEOUT);
        c.onRefused = o.choice(CdcOptions.ON_REFUSED, Map.of("fail", MilvusSink.OnRefused.FAIL,
                "dead-letter", MilvusSink.OnRefused.DEAD_LETTER),
                "Use fail (stop the job) or dead-letter (write the operation to the dead-letter output and go on)");
        c.readDeadLetter(o);

        String onLost = o.get(CdcOptions.ON_LOST_POSITION);
        if (!onLost.equals("fail") && !onLost.equals("earliest")) {
            throw new ConfigException("startup.onLostPosition", "unknown value '" + onLost + "'",
                    "Use fail (stop, naming the channel and the lost range) or earliest (resume from the "
                            + "earliest retained message, losing the rest)");
        }
        c.resumeLostPositionsFromEarliest = onLost.equals("earliest");
        String mode = o.get(CdcOptions.STARTUP_MODE);
        try {
            c.startupMode = StartupMode.valueOf(mode.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("startup.mode", "unknown mode '" + mode + "'",
                    "Use latest, earliest, timestamp, positions or initial");
        }
        c.startupTimestampMs = startupTimestamp(o.get(CdcOptions.STARTUP_TIMESTAMP), c.startupMode, System.currentTimeMillis());
        c.startupPositions = c.startupPositions(o.get(CdcOptions.STARTUP_POSITIONS));
        c.checkpointInterval = o.get(CdcOptions.CHECKPOINT_INTERVAL);
        c.delivery = o.choice(CdcOptions.DELIVERY, Map.of("exactly-once", MilvusSink.Delivery.EXACTLY_ONCE,
                "at-least-once", MilvusSink.Delivery.AT_LEAST_ONCE),
                "Use exactly-once (operations reach the target once their checkpoint completes) or "
                        + "at-least-once (as they come; replayed in order after a failure)");
        c.checkpointDir = o.get(CdcOptions.CHECKPOINT_DIR);
        if (c.checkpointDir != null && !c.checkpointDir.matches("^[a-z][a-z0-9+.-]*://.*")) {
            throw new ConfigException("checkpointDir", "'" + c.checkpointDir + "' is not a URI",
                    "Use e.g. file:///var/lib/milvus-cdc/checkpoints or s3://bucket/milvus-cdc/checkpoints");
        }
        c.maxInFlight = o.positive(CdcOptions.BATCH_MAX_IN_FLIGHT, "Use e.g. 4");
        c.maxRowsPerBatch = o.positive(CdcOptions.BATCH_MAX_ROWS, "Use e.g. 10000");
        c.maxBytesPerBatch = o.get(CdcOptions.BATCH_MAX_BYTES);
        if (c.maxBytesPerBatch <= 0) {
            throw new ConfigException("batch.maxBytes", "must be positive",
                    "Use e.g. 16777216 (16 MiB), below the target's proxy.grpc.serverMaxRecvSize");
        }
        c.selection = selection(o);
        return c;
    }

    /** Typed reads of the options, a value of the wrong type named with its key. */
    private static final class Options {
        private final org.apache.flink.configuration.Configuration conf;

        Options(org.apache.flink.configuration.Configuration conf) {
            this.conf = conf;
        }

        @SuppressWarnings("unchecked")
        <T> T get(org.apache.flink.configuration.ConfigOption<T> option) {
            try {
                T value = conf.get(option);
                return value instanceof String ? (T) blankToNull((String) value) : value;
            } catch (IllegalArgumentException e) {
                Class<?> type = option.hasDefaultValue() ? option.defaultValue().getClass() : String.class;
                // The value is not echoed: a secret in the wrong place must not reach a log.
                if (type == Duration.class) {
                    throw new ConfigException(option.key(), "not a duration", "Use e.g. 5s, 2min or 10m");
                }
                if (type == Boolean.class) {
                    throw new ConfigException(option.key(), "expected true or false", "Write true or false");
                }
                if (type == Integer.class || type == Long.class) {
                    throw new ConfigException(option.key(), "expected a whole number", "Write e.g. " + option.defaultValue());
                }
                throw new ConfigException(option.key(), "cannot be read (" + e.getMessage().replaceAll("'[^']*'", "…")
                        + ")", "See configs/cdc.yaml for an example");
            }
        }

        <T> T get(org.apache.flink.configuration.ConfigOption<T> option, T fallback) {
            T value = get(option);
            return value == null ? fallback : value;
        }

        boolean isSet(org.apache.flink.configuration.ConfigOption<?> option) {
            return conf.contains(option);
        }

        int positive(org.apache.flink.configuration.ConfigOption<Integer> option, String fix) {
            int value = get(option);
            if (value <= 0) {
                throw new ConfigException(option.key(), "must be positive", fix);
            }
            return value;
        }

        <E> E choice(org.apache.flink.configuration.ConfigOption<String> option, Map<String, E> values, String fix) {
            String value = get(option);
            E chosen = values.get(value);
            if (chosen == null) {
                throw new ConfigException(option.key(), "unknown value '" + value + "'", fix);
            }
            return chosen;
        }
    }

    private void readDeadLetter(Options o) {
        String output = o.get(CdcOptions.DEAD_LETTER_OUTPUT);
        deadLetterTopic = o.get(CdcOptions.DEAD_LETTER_TOPIC, channelPrefix + "-cdc-dead-letter");
        switch (output) {
            case "queue":
                deadLetterOutput = DeadLetterOutput.QUEUE;
                break;
            case "file":
                deadLetterOutput = DeadLetterOutput.FILE;
                deadLetterPath = o.get(CdcOptions.DEAD_LETTER_PATH);
                if (deadLetterPath == null || !deadLetterPath.matches("^[a-z][a-z0-9+.-]*://.*")) {
                    throw new ConfigException("deadLetter.path", deadLetterPath == null ? "missing with output: file"
                            : "'" + deadLetterPath + "' is not a URI",
                            "Use a directory every TaskManager can write, e.g. file:///var/lib/milvus-cdc/dead-letters or s3://bucket/dead-letters");
                }
                break;
            default:
                throw new ConfigException("deadLetter.output", "unknown output '" + output + "'",
                        "Use queue (a topic on the source's Kafka or Pulsar) or file");
        }
    }

    /** Exactly one of {@code kafka.address} and {@code pulsar.address}: the Go CDC's file carries both sections. */
    private void readQueue(Options o) {
        kafkaAddress = o.get(CdcOptions.KAFKA_ADDRESS);
        kafkaProperties.putAll(o.get(CdcOptions.KAFKA_PROPERTIES));
        for (String owned : List.of("bootstrap.servers", "group.id", "key.deserializer", "value.deserializer",
                "enable.auto.commit", "auto.offset.reset")) {
            if (kafkaProperties.containsKey(owned)) {
                throw new ConfigException(CdcOptions.KAFKA_PROPERTIES.key() + "." + owned, "set by the job itself",
                        "Remove it; pass only connection settings (security.protocol, ssl.*, sasl.*)");
            }
        }
        pulsarTlsTrustCertsPath = readable(o, CdcOptions.PULSAR_TLS_TRUST);
        pulsarServiceUrl = o.get(CdcOptions.PULSAR_ADDRESS);
        pulsarTenant = o.get(CdcOptions.PULSAR_TENANT);
        pulsarNamespace = o.get(CdcOptions.PULSAR_NAMESPACE);
        pulsarAuthPlugin = o.get(CdcOptions.PULSAR_AUTH_PLUGIN);
        pulsarAuthParams = o.get(CdcOptions.PULSAR_AUTH_PARAMS);
        if (pulsarAuthPlugin == null && pulsarAuthParams != null) {
            throw new ConfigException("sourceConfig.pulsar.authPlugin", "authParams is set but no authPlugin",
                    "Set authPlugin: org.apache.pulsar.client.impl.auth.AuthenticationToken (or token)");
        }
        normalizeGoAuth();
        if (kafkaAddress != null && pulsarServiceUrl != null) {
            throw new ConfigException("sourceConfig.kafka.address", "both sourceConfig.kafka.address and "
                    + "sourceConfig.pulsar.address are set, but a source Milvus writes to one queue (its mq.type)",
                    "Keep the address of the queue the source Milvus uses and empty the other");
        }
        if (kafkaAddress != null) {
            queue = Queue.KAFKA;
        } else if (pulsarServiceUrl != null) {
            queue = Queue.PULSAR;
            if (!pulsarServiceUrl.contains("://")) {
                pulsarServiceUrl = "pulsar://" + pulsarServiceUrl;
            }
        } else {
            throw new ConfigException("sourceConfig.kafka.address", "no message queue is configured",
                    "Set sourceConfig.kafka.address (e.g. 127.0.0.1:9092) or sourceConfig.pulsar.address "
                            + "(e.g. pulsar://127.0.0.1:6650) to the source Milvus's message queue");
        }
    }

    /**
     * The Go CDC passes its values to the Go Pulsar client, which also takes {@code token} as the
     * plugin and {@code {"token":"..."}} as its parameters; the Java client wants the class name
     * and {@code token:...}.
     */
    private void normalizeGoAuth() {
        if ("token".equalsIgnoreCase(pulsarAuthPlugin)) {
            pulsarAuthPlugin = "org.apache.pulsar.client.impl.auth.AuthenticationToken";
        }
        if (pulsarAuthParams != null && pulsarAuthParams.trim().startsWith("{")) {
            try {
                JsonNode params = new ObjectMapper().readTree(pulsarAuthParams);
                if (params.has("token")) {
                    pulsarAuthParams = "token:" + params.get("token").asText();
                }
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                // Not echoing the value: it is a secret.
                throw new ConfigException("sourceConfig.pulsar.authParams", "starts with '{' but is not valid JSON",
                        "Write token:<jwt> or {\"token\":\"<jwt>\"}");
            }
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static Selection selection(Options o) {
        List<String> include = new ArrayList<>(o.get(CdcOptions.SELECTION_INCLUDE));
        List<String> exclude = new ArrayList<>(o.get(CdcOptions.SELECTION_EXCLUDE));
        include.removeIf(String::isBlank);
        exclude.removeIf(String::isBlank);
        include.forEach(p -> Selection.checkPattern(p, "selection.include"));
        exclude.forEach(p -> Selection.checkPattern(p, "selection.exclude"));
        Map<String, String> databases = new java.util.LinkedHashMap<>(o.get(CdcOptions.MAPPING_DATABASES));
        Map<String, String> collections = new java.util.LinkedHashMap<>(o.get(CdcOptions.MAPPING_COLLECTIONS));
        collections.forEach((key, value) -> {
            if (key.indexOf('.') < 0 || value.isEmpty()) {
                throw new ConfigException("mapping.collections." + key,
                        "needs a database.collection key and a collection name value",
                        "Write e.g. 'default.orders: orders_copy' (the target database follows mapping.databases)");
            }
        });
        return new Selection(include, exclude, databases, collections);
    }

    /** The Go CDC's etcd TLS keys: enableTLS with a CA, a client certificate and its key; null: no TLS. */
    private TlsSettings readEtcdTls(Options o) {
        if (!o.get(CdcOptions.ETCD_ENABLE_TLS)) {
            return null;
        }
        String minVersion = o.get(CdcOptions.ETCD_TLS_MIN_VERSION);
        if (!minVersion.equals("1.2") && !minVersion.equals("1.3")) {
            throw new ConfigException(CdcOptions.ETCD_TLS_MIN_VERSION.key(), "unsupported value '" + minVersion + "'",
                    "Use 1.2 or 1.3 (the JVM negotiates the highest both sides speak)");
        }
        return tls(readable(o, CdcOptions.ETCD_TLS_CA), readable(o, CdcOptions.ETCD_TLS_CERT),
                readable(o, CdcOptions.ETCD_TLS_KEY), o.get(CdcOptions.ETCD_SERVER_NAME),
                CdcOptions.ETCD_TLS_CERT.key(), CdcOptions.ETCD_TLS_KEY.key(), o.isSet(CdcOptions.ETCD_TLS_MIN_VERSION) ? minVersion : null);
    }

    /** The Go CDC's dial_config of a TLS Milvus (the target's, or the source's), in this file's camelCase. */
    private static TlsSettings milvusTls(Options o, List<org.apache.flink.configuration.ConfigOption<String>> dial,
                                         String section, String uri) {
        if (dial.stream().noneMatch(o::isSet)) {
            return null;
        }
        if (!uri.startsWith("https://")) {
            throw new ConfigException(section + "uri", "dialConfig is set, but the URI is not https://",
                    "Use https://host:port for a TLS Milvus, or remove " + section + "dialConfig");
        }
        // In CdcOptions.DIAL_CONFIG's order: serverName, caPemPath, serverPemPath, clientPemPath, clientKeyPath.
        String ca = readable(o, dial.get(1));
        String server = readable(o, dial.get(2));
        if (ca != null && server != null) {
            throw new ConfigException(dial.get(2).key(), "both caPemPath and serverPemPath are set",
                    "Set caPemPath (the CA that signed the Milvus's certificate) or serverPemPath (a self-signed "
                            + "certificate), not both");
        }
        return tls(ca != null ? ca : server, readable(o, dial.get(3)), readable(o, dial.get(4)), o.get(dial.get(0)),
                dial.get(3).key(), dial.get(4).key(), null);
    }

    /** {@code token}, or {@code username}/{@code password} as Milvus's {@code user:password} token; null: none. */
    private static String milvusToken(Options o, org.apache.flink.configuration.ConfigOption<String> token,
                                      org.apache.flink.configuration.ConfigOption<String> username,
                                      org.apache.flink.configuration.ConfigOption<String> password) {
        String t = o.get(token);
        if (t == null && o.isSet(username)) {
            t = o.get(username, "") + ":" + o.get(password, "");
        }
        return t;
    }

    /** The source Milvus's API (read by the verifier and the initial snapshot), from {@code sourceConfig.milvus}. */
    private void readSourceMilvus(Options o) {
        boolean given = o.isSet(CdcOptions.SOURCE_URI) || o.isSet(CdcOptions.SOURCE_TOKEN) || o.isSet(CdcOptions.SOURCE_USERNAME)
                || o.isSet(CdcOptions.SOURCE_PASSWORD) || CdcOptions.SOURCE_DIAL.stream().anyMatch(o::isSet);
        if (!given) {
            return;
        }
        sourceMilvusUri = o.get(CdcOptions.SOURCE_URI);
        if (sourceMilvusUri == null || !(sourceMilvusUri.startsWith("http://") || sourceMilvusUri.startsWith("https://"))) {
            throw new ConfigException(CdcOptions.SOURCE_URI.key(), "missing or not an http(s) URI",
                    "Set it to the source Milvus's proxy, e.g. http://127.0.0.1:19530");
        }
        sourceMilvusTls = milvusTls(o, CdcOptions.SOURCE_DIAL, "sourceConfig.milvus.", sourceMilvusUri);
        sourceMilvusToken = milvusToken(o, CdcOptions.SOURCE_TOKEN, CdcOptions.SOURCE_USERNAME, CdcOptions.SOURCE_PASSWORD);
    }

    /** How to reach the target Milvus. */
    public MilvusTargetConfig targetMilvus() {
        return new MilvusTargetConfig(targetUri, targetToken, targetRetryTimeout, targetRequestTimeout).withTls(targetTls);
    }

    /** How to reach the source Milvus's API; refused when the configuration does not say. */
    public MilvusTargetConfig sourceMilvus(String purpose) {
        if (sourceMilvusUri == null) {
            throw new ConfigException("sourceConfig.milvus.uri", "missing: " + purpose + " reads the source Milvus through its API",
                    "Add sourceConfig: {milvus: {uri: http://<source proxy>:19530}} (with token, or username and password, "
                            + "if it authenticates)");
        }
        return new MilvusTargetConfig(sourceMilvusUri, sourceMilvusToken, targetRetryTimeout, targetRequestTimeout)
                .withTls(sourceMilvusTls);
    }

    private static TlsSettings tls(String trust, String cert, String key, String serverName,
                                   String certKey, String keyKey, String minVersion) {
        if ((cert == null) != (key == null)) {
            String shortCert = certKey.substring(certKey.lastIndexOf('.') + 1);
            String shortKey = keyKey.substring(keyKey.lastIndexOf('.') + 1);
            throw new ConfigException(cert == null ? certKey : keyKey, "a client certificate needs both "
                    + shortCert + " and " + shortKey, "Set both (PEM certificate and its PKCS#8 PEM key) or neither");
        }
        return new TlsSettings(trust, cert, key, serverName, minVersion);
    }

    /** A path that must name a readable file on the machine that submits (and, alike, on every TaskManager). */
    private static String readable(Options o, org.apache.flink.configuration.ConfigOption<String> option) {
        String path = o.get(option);
        if (path != null && !Files.isReadable(Path.of(path))) {
            throw new ConfigException(option.key(), "cannot read '" + path + "'",
                    "Give the path of a readable PEM file, present at the same path on every TaskManager");
        }
        return path;
    }

    private static void required(JsonNode node, String key) {
        JsonNode value = node.get(key);
        if (value == null || !value.isObject()) {
            throw new ConfigException(key, "missing section", "Add a '" + key + ":' section; see configs/cdc.yaml");
        }
    }

    /** Epoch milliseconds stay below this until the year 5138; a TSO of today is above 4 * 10^17. */
    private static final long LARGEST_EPOCH_MILLIS = 100_000_000_000_000L;

    /**
     * {@code startup.timestamp}: an ISO-8601 instant ({@code 2026-12-01T08:00:00Z}, or with an
     * offset), epoch milliseconds, or a source TSO (as Milvus returns in its responses); required
     * by, and only allowed with, {@code mode: timestamp}; not in the future.
     */
    static long startupTimestamp(String value, StartupMode mode, long now) {
        if (mode != StartupMode.TIMESTAMP) {
            if (value != null) {
                throw new ConfigException("startup.timestamp", "set, but startup.mode is " + mode.name().toLowerCase()
                        + ", which ignores it", "Set startup.mode: timestamp, or remove startup.timestamp");
            }
            return -1;
        }
        String fix = "Set startup.timestamp to an ISO-8601 time (e.g. 2026-12-01T08:00:00Z), epoch milliseconds, "
                + "or a source TSO";
        if (value == null) {
            throw new ConfigException("startup.timestamp", "missing: startup.mode timestamp replicates the changes "
                    + "written from a moment on", fix);
        }
        String text = value.trim();
        long millis;
        if (text.matches("\\d+")) {
            long number;
            try {
                number = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new ConfigException("startup.timestamp", "'" + text + "' is too large for a time", fix);
            }
            millis = number >= LARGEST_EPOCH_MILLIS ? io.milvuscdc.connectors.event.Tso.toMillis(number) : number;
        } else {
            try {
                millis = java.time.OffsetDateTime.parse(text).toInstant().toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                throw new ConfigException("startup.timestamp", "'" + text + "' is not a time", fix);
            }
        }
        if (millis > now) {
            throw new ConfigException("startup.timestamp", java.time.Instant.ofEpochMilli(millis)
                    + " is in the future (now " + java.time.Instant.ofEpochMilli(now) + ")",
                    "Use a moment in the past; latest starts from now");
        }
        return millis;
    }

    /**
     * {@code startup.positions}: channel to position, as milvus-backup and the Go CDC record them
     * (see {@link io.milvuscdc.connectors.mq.ChannelPositions}); required by, and only allowed
     * with, {@code mode: positions}.
     */
    private io.milvuscdc.connectors.mq.ChannelPositions startupPositions(Map<String, String> value) {
        boolean given = value != null && !value.isEmpty();
        if (startupMode != StartupMode.POSITIONS) {
            if (given) {
                throw new ConfigException("startup.positions", "set, but startup.mode is "
                        + startupMode.name().toLowerCase() + ", which ignores it",
                        "Set startup.mode: positions, or remove startup.positions");
            }
            return null;
        }
        String fix = "Set startup.positions to a map of channel to position, e.g. {by-dev-rootcoord-dml_0_4471v0: "
                + "<base64 MsgPosition as milvus-backup records it>}";
        if (!given) {
            throw new ConfigException("startup.positions", "missing: startup.mode "
                    + "positions starts each channel where a backup or an earlier replication ended", fix);
        }
        try {
            return io.milvuscdc.connectors.mq.ChannelPositions.parse(value,
                    queue == Queue.PULSAR ? io.milvuscdc.connectors.mq.ChannelPositions.Queue.PULSAR
                            : io.milvuscdc.connectors.mq.ChannelPositions.Queue.KAFKA,
                    channelPrefix + "-" + dmlChannelName + "_");
        } catch (io.milvuscdc.connectors.mq.ChannelPositions.InvalidPositionException e) {
            throw new ConfigException("startup.positions", e.getMessage(), fix);
        }
    }

    private String queueDescription() {
        return queue == Queue.PULSAR
                ? "pulsar " + pulsarServiceUrl + " " + pulsarTenant + "/" + pulsarNamespace
                        + (pulsarAuthPlugin == null ? "" : " (auth ***)")
                : "kafka " + kafkaAddress;
    }

    @Override
    public String toString() {
        return "CdcConfig{etcd=" + etcdEndpoints + " " + etcdRootPath + "/" + etcdMetaSubPath
                + (etcdPassword == null ? "" : " (auth)") + (etcdTls == null ? "" : " (" + etcdTls + ")")
                + ", queue=" + queueDescription() + (kafkaProperties.isEmpty() ? "" : " properties " + kafkaProperties.keySet()) + ", channels=" + channelPrefix + "-"
                + dmlChannelName + "_N, target=" + targetUri + (targetToken == null ? "" : " (token ***)") + (targetTls == null ? "" : " (" + targetTls + ")")
                + (sourceMilvusUri == null ? "" : ", source API=" + sourceMilvusUri + (sourceMilvusToken == null ? "" : " (token ***)"))
                + ", selection={" + selection + "}, startup=" + startupMode + ", checkpointInterval=" + checkpointInterval
                + ", deadLetters=" + (deadLetterOutput == DeadLetterOutput.FILE ? deadLetterPath : "topic " + deadLetterTopic)
                + ", onRefused=" + onRefused + ", delivery=" + delivery + '}';
    }
}
