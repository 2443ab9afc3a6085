package io.milvuscdc.job.config;

import io.milvuscdc.connectors.mq.MilvusChannels;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.OperationBatcher;
import io.milvuscdc.connectors.tls.TlsSettings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The job's configuration, read from cdc.yaml. {@code sourceConfig} keeps the keys of the Go
 * Milvus-CDC's file (nested {@code etcd:} or flat {@code etcdAddress}/{@code etcdRootPath}/
 * {@code etcdMetaSubPath}); {@code metaStoreConfig} is accepted and ignored, since Flink's
 * checkpoints keep the progress. Secrets are never part of {@link #toString()}.
 */
public final class CdcConfig implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(CdcConfig.class);

    private static final Set<String> TOP_KEYS = Set.of("sourceConfig", "metaStoreConfig", "targetConfig",
            "startup", "delivery", "checkpointInterval", "checkpointDir", "batch", "selection", "mapping", "deadLetter");
    /** Keys of the Go CDC server itself (HTTP address, task limits, logging): nothing to do here. */
    private static final Set<String> GO_SERVER_KEYS = Set.of("address", "maxTaskNum", "maxNameLength", "logLevel",
            "detectDeadLock");
    private static final Set<String> SOURCE_KEYS = Set.of("etcd", "etcdAddress", "etcdRootPath", "etcdMetaSubPath",
            "etcdEnableAuth", "etcdUsername", "etcdPassword", "defaultPartitionName", "readChanLen", "replicateChan",
            "channelPrefix", "dmlChannelName", "kafka", "pulsar", "milvus");

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
    public String etcdRootPath = "by-dev";
    public String etcdMetaSubPath = "meta";
    public String etcdUsername;
    public String etcdPassword;
    /** TLS towards etcd ({@code https://} endpoints); null: plain. */
    public TlsSettings etcdTls;
    public String channelPrefix = "by-dev";
    public String dmlChannelName = "rootcoord-dml";
    /** In full; null: {@code {channelPrefix}-replicate-msg}. */
    public String replicateChannel;
    public Selection selection = Selection.all();
    public String defaultPartitionName = "_default";
    public Queue queue;
    public String kafkaAddress;
    /** Kafka client properties passed through (security.protocol, ssl.*, sasl.*) to every Kafka client of the job. */
    public Map<String, String> kafkaProperties = new java.util.LinkedHashMap<>();
    /** PEM of the CA that signed a {@code pulsar+ssl://} broker's certificate; null: the JVM's trust store. */
    public String pulsarTlsTrustCertsPath;
    public String pulsarServiceUrl;
    public String pulsarTenant = "public";
    public String pulsarNamespace = "default";
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
    public Duration targetRetryTimeout = Duration.ofMinutes(10);
    public StartupMode startupMode = StartupMode.LATEST;
    /** With {@link StartupMode#TIMESTAMP}: the first moment replicated, epoch milliseconds. */
    public long startupTimestampMs = -1;
    /** With {@link StartupMode#POSITIONS}: where each given channel starts. */
    public io.milvuscdc.connectors.mq.ChannelPositions startupPositions;
    /** A restored position the queue no longer retains: resume from the earliest retained one (true) or stop. */
    public boolean resumeLostPositionsFromEarliest;
    public Duration checkpointInterval = Duration.ofSeconds(5);
    public int maxRowsPerBatch = 10_000;
    public long maxBytesPerBatch = OperationBatcher.DEFAULT_MAX_BYTES;
    public int maxInFlight = io.milvuscdc.connectors.sink.MilvusSink.DEFAULT_MAX_IN_FLIGHT;
    public Duration targetRequestTimeout = MilvusTargetConfig.DEFAULT_REQUEST_TIMEOUT;
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
        return load(file, null);
    }

    /**
     * Reads a file; {@code targetUri} (from {@code --target-uri}) replaces or supplies
     * {@code targetConfig.uri}, so that a Go CDC file, which names no target, runs as it is.
     */
    public static CdcConfig load(Path file, String targetUri) {
        try {
            return parse(Files.readString(file), targetUri);
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file + " (" + e.getMessage() + ")",
                    "Pass the path of a readable cdc.yaml");
        }
    }

    public static CdcConfig parse(String yaml) {
        return parse(yaml, null);
    }

    public static CdcConfig parse(String yaml, String targetUri) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ConfigException("(file)", "not valid YAML: " + e.getOriginalMessage(), "Fix the YAML syntax");
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("(file)", "empty or not a mapping", "See configs/cdc.yaml for an example");
        }
        Set<String> topKeys = new java.util.HashSet<>(TOP_KEYS);
        topKeys.addAll(GO_SERVER_KEYS);
        checkKnown(root, "", topKeys);
        ConfigTypes.check(root);
        root.fieldNames().forEachRemaining(key -> {
            if (GO_SERVER_KEYS.contains(key)) {
                LOG.warn("{} is a key of the Go CDC server and is ignored: this job has no HTTP server or task list", key);
            }
        });
        CdcConfig c = new CdcConfig();
        if (root.has("metaStoreConfig")) {
            LOG.warn("metaStoreConfig is ignored: Flink checkpoints keep the replication progress");
        }
        JsonNode source = required(root, "sourceConfig");
        checkKnown(source, "sourceConfig.", SOURCE_KEYS);
        if (source.has("etcd")) {
            checkKnown(source.get("etcd"), "sourceConfig.etcd.", Set.of("address", "rootPath", "metaSubPath", "enableAuth",
                    "username", "password", "enableTLS", "tlsCertPath", "tlsKeyPath", "tlsCACertPath", "tlsMinVersion",
                    "serverName"));
            c.readEtcd(source.get("etcd"), "sourceConfig.etcd.", "address", "rootPath", "metaSubPath", "enableAuth",
                    "username", "password");
            c.readEtcdTls(source.get("etcd"));
        } else {
            c.readEtcd(source, "sourceConfig.", "etcdAddress", "etcdRootPath", "etcdMetaSubPath", "etcdEnableAuth",
                    "etcdUsername", "etcdPassword");
        }
        if (c.etcdEndpoints.isEmpty()) {
            throw new ConfigException("sourceConfig.etcd.address", "no etcd endpoint is given",
                    "Set it to the source Milvus's etcd, e.g. [http://127.0.0.1:2379]");
        }
        c.etcdEndpoints.replaceAll(e -> e.contains("://") ? e : (c.etcdTls != null ? "https://" : "http://") + e);
        if (c.etcdTls != null) {
            c.etcdEndpoints.replaceAll(e -> e.startsWith("http://") ? "https://" + e.substring("http://".length()) : e);
        } else if (c.etcdEndpoints.stream().anyMatch(e -> e.startsWith("https://"))) {
            c.etcdTls = new TlsSettings(null, null, null, null); // https endpoints: TLS with the JVM's trust store
        }
        c.defaultPartitionName = text(source, "defaultPartitionName", c.defaultPartitionName);
        // The Go CDC names the replicate channel in full ({cluster}-replicate-msg); the
        // cluster prefix of every channel is the part before that suffix.
        String replicateChan = text(source, "replicateChan", null);
        if (replicateChan != null && replicateChan.endsWith(MilvusChannels.REPLICATE_SUFFIX)) {
            c.channelPrefix = replicateChan.substring(0, replicateChan.length() - MilvusChannels.REPLICATE_SUFFIX.length());
        }
        c.replicateChannel = replicateChan;
        c.channelPrefix = text(source, "channelPrefix", c.channelPrefix);
        c.dmlChannelName = text(source, "dmlChannelName", c.dmlChannelName);
        c.readQueue(source);
        c.readSourceMilvus(source.get("milvus"));

        JsonNode target = targetUri != null && !root.has("targetConfig")
                ? new ObjectMapper().createObjectNode() : required(root, "targetConfig");
        checkKnown(target, "targetConfig.", Set.of("uri", "token", "username", "password", "retryTimeout",
                "requestTimeout", "onRefused", "dialConfig"));
        c.targetUri = targetUri != null ? targetUri : text(target, "uri", null);
        if (c.targetUri == null || !(c.targetUri.startsWith("http://") || c.targetUri.startsWith("https://"))) {
            throw new ConfigException("targetConfig.uri", "missing or not an http(s) URI",
                    "Set it to the target Milvus, e.g. http://127.0.0.1:19530");
        }
        c.targetTls = milvusTls(target.get("dialConfig"), "targetConfig.", c.targetUri);
        c.targetToken = milvusToken(target);
        c.targetRetryTimeout = duration(target, "retryTimeout", "targetConfig.retryTimeout", c.targetRetryTimeout);
        c.targetRequestTimeout = duration(target, "requestTimeout", "targetConfig.requestTimeout", c.targetRequestTimeout);
        String onRefused = text(target, "onRefused", "fail");
        switch (onRefused) {
            case "fail":
                c.onRefused = MilvusSink.OnRefused.FAIL;
                break;
            case "dead-letter":
                c.onRefused = MilvusSink.OnRefused.DEAD_LETTER;
                break;
            default:
                throw new ConfigException("targetConfig.onRefused", "unknown value '" + onRefused + "'",
                        "Use fail (stop the job) or dead-letter (write the operation to the dead-letter output and go on)");
        }
        c.readDeadLetter(root.get("deadLetter"));

        if (root.has("startup")) {
            JsonNode startup = root.get("startup");
            checkKnown(startup, "startup.", Set.of("mode", "onLostPosition", "timestamp", "positions"));
            String onLost = text(startup, "onLostPosition", "fail");
            if (!onLost.equals("fail") && !onLost.equals("earliest")) {
                throw new ConfigException("startup.onLostPosition", "unknown value '" + onLost + "'",
                        "Use fail (stop, naming the channel and the lost range) or earliest (resume from the "
                                + "earliest retained message, losing the rest)");
            }
            c.resumeLostPositionsFromEarliest = onLost.equals("earliest");
            String mode = text(startup, "mode", "latest");
            try {
                c.startupMode = StartupMode.valueOf(mode.toUpperCase());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("startup.mode", "unknown mode '" + mode + "'",
                        "Use latest, earliest, timestamp, positions or initial");
            }
            c.startupTimestampMs = startupTimestamp(startup.get("timestamp"), c.startupMode, System.currentTimeMillis());
            c.startupPositions = c.startupPositions(startup.get("positions"));
        }
        c.checkpointInterval = duration(root, "checkpointInterval", "checkpointInterval", c.checkpointInterval);
        String delivery = text(root, "delivery", "exactly-once");
        switch (delivery) {
            case "exactly-once":
                c.delivery = MilvusSink.Delivery.EXACTLY_ONCE;
                break;
            case "at-least-once":
                c.delivery = MilvusSink.Delivery.AT_LEAST_ONCE;
                break;
            default:
                throw new ConfigException("delivery", "unknown value '" + delivery + "'",
                        "Use exactly-once (operations reach the target once their checkpoint completes) or "
                                + "at-least-once (as they come; replayed in order after a failure)");
        }
        c.checkpointDir = text(root, "checkpointDir", null);
        if (c.checkpointDir != null && !c.checkpointDir.matches("^[a-z][a-z0-9+.-]*://.*")) {
            throw new ConfigException("checkpointDir", "'" + c.checkpointDir + "' is not a URI",
                    "Use e.g. file:///var/lib/milvus-cdc/checkpoints or s3://bucket/milvus-cdc/checkpoints");
        }
        if (root.has("batch")) {
            checkKnown(root.get("batch"), "batch.", Set.of("maxRows", "maxBytes", "maxInFlight"));
            c.maxInFlight = Integer.parseInt(text(root.get("batch"), "maxInFlight", Integer.toString(c.maxInFlight)).trim());
            if (c.maxInFlight <= 0) {
                throw new ConfigException("batch.maxInFlight", "must be positive", "Use e.g. 4");
            }
            c.maxRowsPerBatch = Integer.parseInt(text(root.get("batch"), "maxRows", Integer.toString(c.maxRowsPerBatch)).trim());
            if (c.maxRowsPerBatch <= 0) {
                throw new ConfigException("batch.maxRows", "must be positive", "Use e.g. 10000");
            }
            c.maxBytesPerBatch = Long.parseLong(text(root.get("batch"), "maxBytes", Long.toString(c.maxBytesPerBatch)).trim());
            if (c.maxBytesPerBatch <= 0) {
                throw new ConfigException("batch.maxBytes", "must be positive",
                        "Use e.g. 16777216 (16 MiB), below the target's proxy.grpc.serverMaxRecvSize");
            }
        }
        c.selection = selection(root);
        return c;
    }

    private void readDeadLetter(JsonNode node) {
        deadLetterTopic = channelPrefix + "-cdc-dead-letter";
        if (node == null) {
            return;
        }
        if (!node.isObject()) {
            throw new ConfigException("deadLetter", "not a section", "Write e.g. deadLetter: {output: file, path: file:///var/lib/milvus-cdc/dead-letters}");
        }
        checkKnown(node, "deadLetter.", Set.of("output", "topic", "path"));
        String output = text(node, "output", "queue");
        switch (output) {
            case "queue":
                deadLetterOutput = DeadLetterOutput.QUEUE;
                deadLetterTopic = text(node, "topic", deadLetterTopic);
                if (deadLetterTopic.isBlank()) {
                    throw new ConfigException("deadLetter.topic", "empty", "Name a topic, e.g. " + channelPrefix + "-cdc-dead-letter");
                }
                break;
            case "file":
                deadLetterOutput = DeadLetterOutput.FILE;
                deadLetterPath = text(node, "path", null);
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
    private void readQueue(JsonNode source) {
        if (source.has("kafka")) {
            checkKnown(source.get("kafka"), "sourceConfig.kafka.", Set.of("address", "properties"));
            kafkaAddress = blankToNull(text(source.get("kafka"), "address", null));
            JsonNode properties = source.get("kafka").get("properties");
            if (properties != null) {
                properties.fields().forEachRemaining(e -> kafkaProperties.put(e.getKey(), e.getValue().asText()));
                for (String owned : List.of("bootstrap.servers", "group.id", "key.deserializer", "value.deserializer",
                        "enable.auto.commit", "auto.offset.reset")) {
                    if (kafkaProperties.containsKey(owned)) {
                        throw new ConfigException("sourceConfig.kafka.properties." + owned, "set by the job itself",
                                "Remove it; pass only connection settings (security.protocol, ssl.*, sasl.*)");
                    }
                }
            }
        }
        if (source.has("pulsar")) {
            JsonNode pulsar = source.get("pulsar");
            // maxMessageSize (a producer's limit) and webAddress (the Go CDC's admin URL) are
            // accepted and unused: a consumer takes any message the broker stored, and the
            // connector's source and sink find topics through the client, not the admin API.
            checkKnown(pulsar, "sourceConfig.pulsar.", Set.of("address", "webAddress", "maxMessageSize", "tenant",
                    "namespace", "authPlugin", "authParams", "tlsTrustCertsFilePath"));
            pulsarTlsTrustCertsPath = readable(pulsar, "tlsTrustCertsFilePath", "sourceConfig.pulsar.");
            pulsarServiceUrl = blankToNull(text(pulsar, "address", null));
            pulsarTenant = text(pulsar, "tenant", pulsarTenant);
            pulsarNamespace = text(pulsar, "namespace", pulsarNamespace);
            pulsarAuthPlugin = blankToNull(text(pulsar, "authPlugin", null));
            pulsarAuthParams = blankToNull(text(pulsar, "authParams", null));
            if (pulsarAuthPlugin == null && pulsarAuthParams != null) {
                throw new ConfigException("sourceConfig.pulsar.authPlugin", "authParams is set but no authPlugin",
                        "Set authPlugin: org.apache.pulsar.client.impl.auth.AuthenticationToken (or token)");
            }
            normalizeGoAuth();
        }
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

    private static Selection selection(JsonNode root) {
        List<String> include = new ArrayList<>();
        List<String> exclude = new ArrayList<>();
        if (root.has("selection")) {
            JsonNode node = root.get("selection");
            checkKnown(node, "selection.", Set.of("include", "exclude"));
            include = strings(node.get("include"), "selection.include");
            exclude = strings(node.get("exclude"), "selection.exclude");
            include.forEach(p -> Selection.checkPattern(p, "selection.include"));
            exclude.forEach(p -> Selection.checkPattern(p, "selection.exclude"));
        }
        Map<String, String> databases = new java.util.LinkedHashMap<>();
        Map<String, String> collections = new java.util.LinkedHashMap<>();
        if (root.has("mapping")) {
            JsonNode node = root.get("mapping");
            checkKnown(node, "mapping.", Set.of("databases", "collections"));
            node.path("databases").fields().forEachRemaining(e -> databases.put(e.getKey(), e.getValue().asText()));
            node.path("collections").fields().forEachRemaining(e -> {
                if (e.getKey().indexOf('.') < 0 || e.getValue().asText().isEmpty()) {
                    throw new ConfigException("mapping.collections." + e.getKey(),
                            "needs a database.collection key and a collection name value",
                            "Write e.g. 'default.orders: orders_copy' (the target database follows mapping.databases)");
                }
                collections.put(e.getKey(), e.getValue().asText());
            });
        }
        return new Selection(include, exclude, databases, collections);
    }

    /** The Go CDC's two spellings of the etcd keys, nested and flat, read alike. */
    /** The Go CDC's etcd TLS keys: enableTLS with a CA, a client certificate and its key. */
    private void readEtcdTls(JsonNode etcd) {
        boolean enabled = Boolean.parseBoolean(text(etcd, "enableTLS", "false").trim());
        if (!enabled) {
            return;
        }
        String p = "sourceConfig.etcd.";
        String minVersion = text(etcd, "tlsMinVersion", null);
        if (minVersion != null && !minVersion.equals("1.2") && !minVersion.equals("1.3")) {
            throw new ConfigException(p + "tlsMinVersion", "unsupported value '" + minVersion + "'",
                    "Use 1.2 or 1.3 (the JVM negotiates the highest both sides speak)");
        }
        etcdTls = tls(p, readable(etcd, "tlsCACertPath", p), readable(etcd, "tlsCertPath", p),
                readable(etcd, "tlsKeyPath", p), text(etcd, "serverName", null), "tlsCertPath", "tlsKeyPath", minVersion);
    }

    /** The Go CDC's dial_config of a TLS Milvus (the target's, or the source's), in this file's camelCase. */
    private static TlsSettings milvusTls(JsonNode dial, String section, String uri) {
        if (dial == null) {
            return null;
        }
        String p = section + "dialConfig.";
        checkKnown(dial, p, Set.of("serverName", "serverPemPath", "caPemPath", "clientPemPath", "clientKeyPath"));
        if (!uri.startsWith("https://")) {
            throw new ConfigException(section + "uri", "dialConfig is set, but the URI is not https://",
                    "Use https://host:port for a TLS Milvus, or remove " + section + "dialConfig");
        }
        String ca = readable(dial, "caPemPath", p);
        String server = readable(dial, "serverPemPath", p);
        if (ca != null && server != null) {
            throw new ConfigException(p + "serverPemPath", "both caPemPath and serverPemPath are set",
                    "Set caPemPath (the CA that signed the Milvus's certificate) or serverPemPath (a self-signed "
                            + "certificate), not both");
        }
        return tls(p, ca != null ? ca : server, readable(dial, "clientPemPath", p), readable(dial, "clientKeyPath", p),
                text(dial, "serverName", null), "clientPemPath", "clientKeyPath", null);
    }

    /** {@code token}, or {@code username}/{@code password} as Milvus's {@code user:password} token; null: none. */
    private static String milvusToken(JsonNode section) {
        String token = text(section, "token", null);
        if (token == null && section.has("username")) {
            token = text(section, "username", "") + ":" + text(section, "password", "");
        }
        return token;
    }

    /** The source Milvus's API (read by the verifier and the initial snapshot), from {@code sourceConfig.milvus}. */
    private void readSourceMilvus(JsonNode milvus) {
        if (milvus == null) {
            return;
        }
        String p = "sourceConfig.milvus.";
        checkKnown(milvus, p, Set.of("uri", "token", "username", "password", "dialConfig"));
        sourceMilvusUri = text(milvus, "uri", null);
        if (sourceMilvusUri == null || !(sourceMilvusUri.startsWith("http://") || sourceMilvusUri.startsWith("https://"))) {
            throw new ConfigException(p + "uri", "missing or not an http(s) URI",
                    "Set it to the source Milvus's proxy, e.g. http://127.0.0.1:19530");
        }
        sourceMilvusTls = milvusTls(milvus.get("dialConfig"), p, sourceMilvusUri);
        sourceMilvusToken = milvusToken(milvus);
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

    private static TlsSettings tls(String prefix, String trust, String cert, String key, String serverName,
                                   String certKey, String keyKey, String minVersion) {
        if ((cert == null) != (key == null)) {
            throw new ConfigException(prefix + (cert == null ? certKey : keyKey), "a client certificate needs both "
                    + certKey + " and " + keyKey, "Set both (PEM certificate and its PKCS#8 PEM key) or neither");
        }
        return new TlsSettings(trust, cert, key, serverName, minVersion);
    }

    /** A path that must name a readable file on the machine that submits (and, alike, on every TaskManager). */
    private static String readable(JsonNode node, String key, String prefix) {
        String path = blankToNull(text(node, key, null));
        if (path != null && !Files.isReadable(Path.of(path))) {
            throw new ConfigException(prefix + key, "cannot read '" + path + "'",
                    "Give the path of a readable PEM file, present at the same path on every TaskManager");
        }
        return path;
    }

    private void readEtcd(JsonNode node, String path, String address, String rootPath, String metaSubPath,
                          String enableAuth, String username, String password) {
        etcdEndpoints = strings(node.get(address), path + address);
        etcdRootPath = text(node, rootPath, etcdRootPath);
        etcdMetaSubPath = text(node, metaSubPath, etcdMetaSubPath);
        if (Boolean.parseBoolean(text(node, enableAuth, "false").trim())) {
            etcdUsername = text(node, username, null);
            etcdPassword = text(node, password, null);
        }
    }

    private static JsonNode required(JsonNode node, String key) {
        JsonNode value = node.get(key);
        if (value == null || !value.isObject()) {
            throw new ConfigException(key, "missing section", "Add a '" + key + ":' section; see configs/cdc.yaml");
        }
        return value;
    }

    private static void checkKnown(JsonNode node, String prefix, Set<String> known) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            String key = fields.next().getKey();
            if (!known.contains(key)) {
                throw new ConfigException(prefix + key, "unknown key", "Known keys here: " + known);
            }
        }
    }

    /** Epoch milliseconds stay below this until the year 5138; a TSO of today is above 4 * 10^17. */
    private static final long LARGEST_EPOCH_MILLIS = 100_000_000_000_000L;

    /**
     * {@code startup.timestamp}: an ISO-8601 instant ({@code 2026-12-01T08:00:00Z}, or with an
     * offset), epoch milliseconds, or a source TSO (as Milvus returns in its responses); required
     * by, and only allowed with, {@code mode: timestamp}; not in the future.
     */
    static long startupTimestamp(JsonNode value, StartupMode mode, long now) {
        if (mode != StartupMode.TIMESTAMP) {
            if (value != null && !value.isNull()) {
                throw new ConfigException("startup.timestamp", "set, but startup.mode is " + mode.name().toLowerCase()
                        + ", which ignores it", "Set startup.mode: timestamp, or remove startup.timestamp");
            }
            return -1;
        }
        String fix = "Set startup.timestamp to an ISO-8601 time (e.g. 2026-12-01T08:00:00Z), epoch milliseconds, "
                + "or a source TSO";
        if (value == null || value.isNull() || value.asText().isBlank()) {
            throw new ConfigException("startup.timestamp", "missing: startup.mode timestamp replicates the changes "
                    + "written from a moment on", fix);
        }
        String text = value.asText().trim();
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
    private io.milvuscdc.connectors.mq.ChannelPositions startupPositions(JsonNode value) {
        boolean given = value != null && !value.isNull();
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
        if (!given || !value.isObject() || value.isEmpty()) {
            throw new ConfigException("startup.positions", given ? "not a map of channel to position" : "missing: startup.mode "
                    + "positions starts each channel where a backup or an earlier replication ended", fix);
        }
        Map<String, String> positions = new java.util.LinkedHashMap<>();
        value.fields().forEachRemaining(e -> positions.put(e.getKey(), e.getValue().asText()));
        try {
            return io.milvuscdc.connectors.mq.ChannelPositions.parse(positions,
                    queue == Queue.PULSAR ? io.milvuscdc.connectors.mq.ChannelPositions.Queue.PULSAR
                            : io.milvuscdc.connectors.mq.ChannelPositions.Queue.KAFKA,
                    channelPrefix + "-" + dmlChannelName + "_");
        } catch (io.milvuscdc.connectors.mq.ChannelPositions.InvalidPositionException e) {
            throw new ConfigException("startup.positions", e.getMessage(), fix);
        }
    }

    private static String text(JsonNode node, String key, String fallback) {
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? fallback : value.asText();
    }

    private static List<String> strings(JsonNode node, String key) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else {
            for (String s : node.asText().split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    private static Duration duration(JsonNode node, String key, String path, Duration fallback) {
        String text = text(node, key, null);
        if (text == null) {
            return fallback;
        }
        try {
            return org.apache.flink.util.TimeUtils.parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path, "'" + text + "' is not a duration", "Use e.g. 5s, 2min or 10m");
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
