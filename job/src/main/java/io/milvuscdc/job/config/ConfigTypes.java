package io.milvuscdc.job.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The type of every key of cdc.yaml, checked before anything is read: a value of the wrong type
 * (a list where a name goes, words where a number goes) is refused with the key and an example,
 * instead of silently falling back to a default.
 */
final class ConfigTypes {

    enum Type {
        SECTION("a section (key: value lines below it)"),
        TEXT("a single value"),
        LIST("a list, e.g. [a, b]"),
        INTEGER("a whole number"),
        BOOLEAN("true or false");

        final String expected;

        Type(String expected) {
            this.expected = expected;
        }
    }

    private static final Map<String, Type> TYPES = new LinkedHashMap<>();

    static {
        section("sourceConfig", "sourceConfig.etcd", "sourceConfig.kafka", "sourceConfig.pulsar", "targetConfig",
                "startup", "batch", "selection", "mapping", "mapping.databases", "mapping.collections", "deadLetter",
                "targetConfig.dialConfig", "sourceConfig.kafka.properties");
        text("sourceConfig.etcd.rootPath", "sourceConfig.etcd.metaSubPath", "sourceConfig.etcd.username",
                "sourceConfig.etcd.password", "sourceConfig.etcdRootPath", "sourceConfig.etcdMetaSubPath",
                "sourceConfig.etcdUsername", "sourceConfig.etcdPassword", "sourceConfig.defaultPartitionName",
                "sourceConfig.replicateChan", "sourceConfig.channelPrefix", "sourceConfig.dmlChannelName",
                "sourceConfig.kafka.address", "sourceConfig.pulsar.address", "sourceConfig.pulsar.webAddress",
                "sourceConfig.pulsar.tenant", "sourceConfig.pulsar.namespace", "sourceConfig.pulsar.authPlugin",
                "sourceConfig.pulsar.authParams", "targetConfig.uri", "targetConfig.token", "targetConfig.username",
                "targetConfig.password", "targetConfig.retryTimeout", "targetConfig.requestTimeout",
                "targetConfig.onRefused", "startup.mode", "startup.onLostPosition", "checkpointInterval", "checkpointDir", "deadLetter.output",
                "deadLetter.topic", "deadLetter.path", "sourceConfig.etcd.tlsCertPath", "sourceConfig.etcd.tlsKeyPath",
                "sourceConfig.etcd.tlsCACertPath", "sourceConfig.etcd.tlsMinVersion", "sourceConfig.etcd.serverName",
                "targetConfig.dialConfig.serverName", "targetConfig.dialConfig.serverPemPath",
                "targetConfig.dialConfig.caPemPath", "targetConfig.dialConfig.clientPemPath",
                "targetConfig.dialConfig.clientKeyPath", "sourceConfig.pulsar.tlsTrustCertsFilePath");
        // A comma-separated single value is accepted too (the Go CDC's flat form).
        TYPES.put("sourceConfig.etcd.address", Type.LIST);
        TYPES.put("sourceConfig.etcdAddress", Type.LIST);
        TYPES.put("selection.include", Type.LIST);
        TYPES.put("selection.exclude", Type.LIST);
        TYPES.put("sourceConfig.readChanLen", Type.INTEGER);
        TYPES.put("sourceConfig.pulsar.maxMessageSize", Type.INTEGER);
        TYPES.put("batch.maxRows", Type.INTEGER);
        TYPES.put("batch.maxBytes", Type.INTEGER);
        TYPES.put("batch.maxInFlight", Type.INTEGER);
        TYPES.put("sourceConfig.etcd.enableAuth", Type.BOOLEAN);
        TYPES.put("sourceConfig.etcdEnableAuth", Type.BOOLEAN);
        TYPES.put("sourceConfig.etcd.enableTLS", Type.BOOLEAN);
    }

    private ConfigTypes() {}

    private static void section(String... keys) {
        for (String k : keys) {
            TYPES.put(k, Type.SECTION);
        }
    }

    private static void text(String... keys) {
        for (String k : keys) {
            TYPES.put(k, Type.TEXT);
        }
    }

    static void check(JsonNode root) {
        for (Map.Entry<String, Type> e : TYPES.entrySet()) {
            JsonNode node = root;
            for (String part : e.getKey().split("\\.")) {
                node = node == null || !node.isObject() ? null : node.get(part);
            }
            if (node == null || node.isNull() || matches(node, e.getValue())) {
                continue;
            }
            // The value itself is not echoed: it may be a secret in the wrong place.
            String got = node.isArray() ? "a list" : node.isObject() ? "a section" : node.isNumber() ? "a number"
                    : node.isBoolean() ? "true/false" : "text";
            throw new ConfigException(e.getKey(), "expected " + e.getValue().expected + ", got " + got,
                    "See configs/cdc.yaml for an example of " + e.getKey().substring(e.getKey().lastIndexOf('.') + 1));
        }
    }

    private static boolean matches(JsonNode node, Type type) {
        switch (type) {
            case SECTION:
                return node.isObject();
            case TEXT:
                return node.isValueNode();
            case LIST:
                return node.isArray() && java.util.stream.StreamSupport.stream(node.spliterator(), false)
                        .allMatch(JsonNode::isValueNode) || node.isTextual();
            case INTEGER:
                return node.isIntegralNumber() || node.isTextual() && node.asText().trim().matches("-?\\d+");
            case BOOLEAN:
                return node.isBoolean() || node.isTextual() && node.asText().trim().matches("(?i)true|false");
            default:
                return false;
        }
    }
}
