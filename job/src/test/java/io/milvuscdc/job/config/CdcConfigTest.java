package io.milvuscdc.job.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CdcConfigTest {

    @Test
    void shippedExampleLoads() {
        CdcConfig c = CdcConfig.load(Path.of("../configs/cdc.yaml"));
        assertEquals(List.of("http://127.0.0.1:2379"), c.etcdEndpoints);
        assertEquals("by-dev", c.channelPrefix);
        assertEquals("127.0.0.1:9092", c.kafkaAddress);
        assertEquals("http://127.0.0.1:19530", c.targetUri);
    }

    @Test
    void goCdcExampleFileLoadsUnchangedWithATargetUri() {
        CdcConfig c = CdcConfig.load(Path.of("src/test/resources/go-cdc/cdc.yaml"), Map.of("targetConfig.uri", "http://target:19530"));
        assertEquals(List.of("http://localhost:2379"), c.etcdEndpoints);
        assertEquals("by-dev", c.etcdRootPath);
        assertEquals("meta", c.etcdMetaSubPath);
        assertEquals("by-dev", c.channelPrefix);
        assertEquals("by-dev-replicate-msg", c.replicateChannel);
        assertEquals("localhost:9092", c.kafkaAddress);
        assertEquals("_default", c.defaultPartitionName);
        assertEquals("http://target:19530", c.targetUri);
        assertTrue(c.selection.includesCollection("any", "thing"));

        // Without a target the error names what to add.
        ConfigException e = assertThrows(ConfigException.class,
                () -> CdcConfig.load(Path.of("src/test/resources/go-cdc/cdc.yaml")));
        assertTrue(e.getMessage().contains("targetConfig"), e.getMessage());
    }

    @Test
    void goCdcPulsarFileLoadsWithTheTokenInTheJavaClientsForm() {
        CdcConfig c = CdcConfig.load(Path.of("src/test/resources/go-cdc/cdc-pulsar.yaml"), Map.of("targetConfig.uri", "http://target:19530"));
        assertEquals(CdcConfig.Queue.PULSAR, c.queue);
        assertEquals("pulsar://localhost:6650", c.pulsarServiceUrl);
        assertEquals("public", c.pulsarTenant);
        assertEquals("default", c.pulsarNamespace);
        assertEquals("org.apache.pulsar.client.impl.auth.AuthenticationToken", c.pulsarAuthPlugin);
        assertEquals("token:pulsar-token-secret", c.pulsarAuthParams);
        assertNull(c.kafkaAddress);
        assertEquals("by-dev", c.channelPrefix);
        assertFalse(c.toString().contains("secret"), c.toString());
        assertTrue(c.toString().contains("pulsar pulsar://localhost:6650 public/default (auth ***)"), c.toString());

        // A host:port without scheme, another tenant and namespace, the Java client's own form.
        CdcConfig plain = CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  pulsar: {address: 'p:6650', tenant: milvus, namespace: dr,"
                        + " authPlugin: org.apache.pulsar.client.impl.auth.AuthenticationToken, authParams: 'token:abc'}",
                "targetConfig: {uri: 'http://t:19530'}"));
        assertEquals("pulsar://p:6650", plain.pulsarServiceUrl);
        assertEquals("milvus", plain.pulsarTenant);
        assertEquals("dr", plain.pulsarNamespace);
        assertEquals("token:abc", plain.pulsarAuthParams);
    }

    @Test
    void aSourceHasOneQueueAndPulsarKeysAreChecked() {
        ConfigException both = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  kafka: {address: k:9092}",
                "  pulsar: {address: 'pulsar://p:6650'}",
                "targetConfig: {uri: 'http://t:19530'}")));
        assertTrue(both.getMessage().contains("'sourceConfig.kafka.address'") && both.getMessage().contains("mq.type"),
                both.getMessage());

        ConfigException none = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  pulsar: {address: ''}",
                "targetConfig: {uri: 'http://t:19530'}")));
        assertTrue(none.getMessage().contains("sourceConfig.pulsar.address"), none.getMessage());

        ConfigException unknown = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  pulsar: {address: 'pulsar://p:6650', token: abc}",
                "targetConfig: {uri: 'http://t:19530'}")));
        assertTrue(unknown.getMessage().contains("'sourceConfig.pulsar.token'"), unknown.getMessage());

        ConfigException paramsWithoutPlugin = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  pulsar: {address: 'pulsar://p:6650', authParams: 'token:very-secret'}",
                "targetConfig: {uri: 'http://t:19530'}")));
        assertTrue(paramsWithoutPlugin.getMessage().contains("'sourceConfig.pulsar.authPlugin'"), paramsWithoutPlugin.getMessage());
        assertFalse(paramsWithoutPlugin.getMessage().contains("very-secret"));

        ConfigException badJson = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  pulsar: {address: 'pulsar://p:6650', authPlugin: token, authParams: '{very-secret'}",
                "targetConfig: {uri: 'http://t:19530'}")));
        assertTrue(badJson.getMessage().contains("'sourceConfig.pulsar.authParams'"), badJson.getMessage());
        assertFalse(badJson.getMessage().contains("very-secret"));
    }

    @Test
    void selectionAndMappingAreReadAndBadPatternsNamed() {
        String base = String.join("\n",
                "sourceConfig:",
                "  etcdAddress: e:2379",
                "  kafka: {address: k:9092}",
                "targetConfig: {uri: http://t:19530}");
        CdcConfig c = CdcConfig.parse(base + "\n" + String.join("\n",
                "selection:",
                "  include: [sales.*, default.orders]",
                "  exclude: [sales.tmp_*]",
                "mapping:",
                "  databases: {sales: sales_dr}",
                "  collections: {default.orders: orders_dr}"));
        assertTrue(c.selection.includesCollection("sales", "invoices"));
        assertFalse(c.selection.includesCollection("sales", "tmp_1"));
        assertTrue(c.selection.includesCollection("default", "orders"));
        assertFalse(c.selection.includesCollection("default", "users"));
        assertTrue(c.selection.includesDatabase("sales"));
        assertFalse(c.selection.includesDatabase("hr"));
        assertEquals("sales_dr", c.selection.targetDatabase("sales"));
        assertEquals("orders_dr", c.selection.targetCollection("default", "orders"));
        assertEquals("users", c.selection.targetCollection("default", "users"));

        ConfigException e = assertThrows(ConfigException.class,
                () -> CdcConfig.parse(base + "\nselection: {include: [orders]}"));
        assertTrue(e.getMessage().contains("selection.include"), e.getMessage());
        assertTrue(e.getMessage().contains("database.collection"), e.getMessage());
    }

    @Test
    void goCdcNestedAndFlatFormsGiveTheSameSource() {
        CdcConfig nested = CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd:",
                "    address: [http://10.0.0.1:2379]",
                "    rootPath: prod",
                "    metaSubPath: meta",
                "    enableAuth: false",
                "  readChanLen: 10",
                "  defaultPartitionName: _default",
                "  replicateChan: prod-replicate-msg",
                "  kafka:",
                "    address: k:9092",
                "metaStoreConfig:",
                "  storeType: etcd",
                "targetConfig:",
                "  uri: http://t:19530",
                "  token: root:Milvus"));
        CdcConfig flat = CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcdAddress: http://10.0.0.1:2379",
                "  etcdRootPath: prod",
                "  etcdMetaSubPath: meta",
                "  replicateChan: prod-replicate-msg",
                "  kafka:",
                "    address: k:9092",
                "targetConfig:",
                "  uri: http://t:19530"));
        assertEquals(nested.etcdEndpoints, flat.etcdEndpoints);
        assertEquals("prod", nested.etcdRootPath);
        assertEquals("prod", flat.etcdRootPath);
        assertEquals("prod", nested.channelPrefix);
        assertEquals("prod", flat.channelPrefix);
        assertEquals("root:Milvus", nested.targetToken);
        assertNull(flat.targetToken);
    }

    @Test
    void secretsStayOutOfToString() {
        CdcConfig c = CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379], enableAuth: true, username: u, password: etcd-secret}",
                "  kafka: {address: k:9092}",
                "targetConfig: {uri: 'http://t:19530', username: root, password: target-secret}"));
        assertEquals("root:target-secret", c.targetToken);
        assertFalse(c.toString().contains("secret"), c.toString());
    }

    @Test
    void theSourceMilvusApiIsOptionalUntilAToolNeedsIt() {
        CdcConfig without = CdcConfig.parse(GOOD);
        ConfigException e = assertThrows(ConfigException.class, () -> without.sourceMilvus("verify"));
        assertTrue(e.getMessage().startsWith("Invalid configuration at 'sourceConfig.milvus.uri': missing: verify reads"),
                e.getMessage());
        CdcConfig with = CdcConfig.parse(GOOD.replace("  kafka:", "  milvus: {uri: 'http://s:19530', username: root, "
                + "password: source-secret}\n  kafka:"));
        assertEquals("http://s:19530", with.sourceMilvus("verify").uri());
        assertEquals("root:source-secret", with.sourceMilvus("verify").token());
        assertFalse(with.toString().contains("secret"), with.toString());
        assertFalse(with.sourceMilvus("verify").toString().contains("secret"));
    }

    @Test
    void aFileThatSetsNothingOptionalGetsTheOptionsDefaults() {
        CdcConfig c = CdcConfig.parse(String.join("\n",
                "sourceConfig: {etcd: {address: ['e:2379']}, kafka: {address: 'k:9092'}}",
                "targetConfig: {uri: 'http://t:19530'}"));
        assertEquals(CdcOptions.ETCD_ROOT_PATH.defaultValue(), c.etcdRootPath);
        assertEquals(CdcOptions.ETCD_META_SUB_PATH.defaultValue(), c.etcdMetaSubPath);
        assertEquals(CdcOptions.CHANNEL_PREFIX.defaultValue(), c.channelPrefix);
        assertEquals(CdcOptions.DML_CHANNEL_NAME.defaultValue(), c.dmlChannelName);
        assertEquals(CdcOptions.DEFAULT_PARTITION_NAME.defaultValue(), c.defaultPartitionName);
        assertEquals(CdcOptions.TARGET_RETRY_TIMEOUT.defaultValue(), c.targetRetryTimeout);
        assertEquals(CdcOptions.TARGET_REQUEST_TIMEOUT.defaultValue(), c.targetRequestTimeout);
        assertEquals(CdcOptions.CHECKPOINT_INTERVAL.defaultValue(), c.checkpointInterval);
        assertEquals((int) CdcOptions.BATCH_MAX_ROWS.defaultValue(), c.maxRowsPerBatch);
        assertEquals((long) CdcOptions.BATCH_MAX_BYTES.defaultValue(), c.maxBytesPerBatch);
        assertEquals((int) CdcOptions.BATCH_MAX_IN_FLIGHT.defaultValue(), c.maxInFlight);
        assertEquals(CdcConfig.StartupMode.LATEST, c.startupMode);
        assertEquals(io.milvuscdc.connectors.sink.MilvusSink.Delivery.EXACTLY_ONCE, c.delivery);
        assertEquals("by-dev-cdc-dead-letter", c.deadLetterTopic);
        assertTrue(c.selection.includesCollection("any", "thing"));
    }

    @Test
    void commandLineSettingsOverrideTheFile() {
        CdcConfig c = CdcConfig.parse(GOOD, Map.of(
                "batch.maxRows", "5000",
                "targetConfig.retryTimeout", "30min",
                "delivery", "at-least-once",
                "sourceConfig.etcdRootPath", "other-root", // the Go CDC's flat key stands for the nested one
                "selection.exclude", "default.tmp_*;scratch.*",
                "mapping.collections.default.orders", "orders_dr",
                "sourceConfig.kafka.properties.security.protocol", "SSL"));
        assertEquals(5000, c.maxRowsPerBatch);
        assertEquals(java.time.Duration.ofMinutes(30), c.targetRetryTimeout);
        assertEquals(io.milvuscdc.connectors.sink.MilvusSink.Delivery.AT_LEAST_ONCE, c.delivery);
        assertEquals("other-root", c.etcdRootPath);
        assertFalse(c.selection.includesCollection("default", "tmp_1"));
        assertFalse(c.selection.includesCollection("scratch", "x"));
        assertTrue(c.selection.includesCollection("default", "orders"));
        assertEquals("orders_dr", c.selection.targetCollection("default", "orders"));
        assertEquals("SSL", c.kafkaProperties.get("security.protocol"));

        ConfigException unknown = assertThrows(ConfigException.class, () -> CdcConfig.parse(GOOD, Map.of("batch.maxRow", "1")));
        assertTrue(unknown.getMessage().startsWith("Invalid configuration at 'batch.maxRow': unknown key"), unknown.getMessage());
        ConfigException badType = assertThrows(ConfigException.class, () -> CdcConfig.parse(GOOD, Map.of("batch.maxRows", "lots")));
        assertTrue(badType.getMessage().startsWith("Invalid configuration at 'batch.maxRows': expected a whole number"),
                badType.getMessage());
        ConfigException badDuration = assertThrows(ConfigException.class,
                () -> CdcConfig.parse(GOOD, Map.of("checkpointInterval", "soon")));
        assertTrue(badDuration.getMessage().startsWith("Invalid configuration at 'checkpointInterval': not a duration"),
                badDuration.getMessage());
    }

    @Test
    void badConfigurationNamesTheKeyAndTheFix() {
        ConfigException unknown = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  kafka: {address: k:9092}",
                "  kafkaa: {}",
                "targetConfig: {uri: 'http://t:19530'}")));
        assertTrue(unknown.getMessage().contains("'sourceConfig.kafkaa'"), unknown.getMessage());

        ConfigException noTarget = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  kafka: {address: k:9092}")));
        assertTrue(noTarget.getMessage().contains("'targetConfig'"), noTarget.getMessage());

        ConfigException badUri = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  kafka: {address: k:9092}",
                "targetConfig: {uri: 't:19530'}")));
        assertTrue(badUri.getMessage().contains("'targetConfig.uri'") && badUri.getMessage().contains("http://"),
                badUri.getMessage());

        ConfigException badDuration = assertThrows(ConfigException.class, () -> CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  kafka: {address: k:9092}",
                "targetConfig: {uri: 'http://t:19530'}",
                "checkpointInterval: soon")));
        assertTrue(badDuration.getMessage().contains("'checkpointInterval'"), badDuration.getMessage());
    }

    @Test
    void tlsSettingsAreReadInTheGoCdcKeys() {
        String file = "../configs/cdc.yaml"; // any readable file stands for a PEM here
        CdcConfig c = CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd:",
                "    address: ['127.0.0.1:2379']",
                "    enableTLS: true",
                "    tlsCACertPath: " + file,
                "    tlsCertPath: " + file,
                "    tlsKeyPath: " + file,
                "    tlsMinVersion: 1.3",
                "  kafka:",
                "    address: '127.0.0.1:9093'",
                "    properties: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN}",
                "targetConfig:",
                "  uri: https://t:19530",
                "  dialConfig: {serverName: milvus.example, caPemPath: " + file + ", clientPemPath: " + file
                        + ", clientKeyPath: " + file + "}"));
        assertEquals(List.of("https://127.0.0.1:2379"), c.etcdEndpoints, "enableTLS makes the endpoints https");
        assertEquals(new io.milvuscdc.connectors.tls.TlsSettings(file, file, file, null, "1.3"), c.etcdTls);
        assertEquals(List.of("TLSv1.3"), List.of(c.etcdTls.protocols()));
        assertEquals(new io.milvuscdc.connectors.tls.TlsSettings(file, file, file, "milvus.example"), c.targetTls);
        assertEquals(java.util.Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN"), c.kafkaProperties);

        CdcConfig plain = CdcConfig.parse(GOOD.replace("'127.0.0.1:2379'", "'https://e:2379'"));
        assertEquals(new io.milvuscdc.connectors.tls.TlsSettings(null, null, null, null), plain.etcdTls,
                "an https endpoint alone: TLS with the JVM's trust store");
        assertEquals(null, CdcConfig.parse(GOOD).targetTls);
    }

    @Test
    void durationsParse() {
        CdcConfig c = CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd: {address: [e:2379]}",
                "  kafka: {address: k:9092}",
                "targetConfig: {uri: 'http://t:19530', retryTimeout: 2min}",
                "checkpointInterval: 3s"));
        assertEquals(Duration.ofSeconds(3), c.checkpointInterval);
        assertEquals(Duration.ofMinutes(2), c.targetRetryTimeout);
    }

    @Test
    void deadLettersGoToATopicOnTheSourceQueueByDefaultOrToFiles() {
        String base = String.join("\n", "sourceConfig:", "  etcd: {address: ['127.0.0.1:2379']}",
                "  replicateChan: cdc-src-replicate-msg", "  kafka: {address: '127.0.0.1:9092'}",
                "targetConfig: {uri: 'http://t:19530'}");
        CdcConfig plain = CdcConfig.parse(base);
        assertEquals(CdcConfig.DeadLetterOutput.QUEUE, plain.deadLetterOutput);
        assertEquals("cdc-src-cdc-dead-letter", plain.deadLetterTopic);
        assertEquals(io.milvuscdc.connectors.sink.MilvusSink.OnRefused.FAIL, plain.onRefused);

        CdcConfig files = CdcConfig.parse(base.replace("targetConfig: {uri: 'http://t:19530'}",
                "targetConfig: {uri: 'http://t:19530', onRefused: dead-letter}")
                + "\ndeadLetter: {output: file, path: 'file:///var/dl'}");
        assertEquals(CdcConfig.DeadLetterOutput.FILE, files.deadLetterOutput);
        assertEquals("file:///var/dl", files.deadLetterPath);
        assertEquals(io.milvuscdc.connectors.sink.MilvusSink.OnRefused.DEAD_LETTER, files.onRefused);

        for (String[] bad : new String[][] {
                {"\ndeadLetter: {output: file}", "deadLetter.path"},
                {"\ndeadLetter: {output: file, path: /var/dl}", "deadLetter.path"},
                {"\ndeadLetter: {output: s3}", "deadLetter.output"},
                {"\ndeadLetter: {output: queue, topc: x}", "deadLetter.topc"},
                {"\ndeadLetter: yes", "deadLetter"}}) {
            ConfigException e = assertThrows(ConfigException.class, () -> CdcConfig.parse(base + bad[0]), bad[0]);
            assertTrue(e.getMessage().startsWith("Invalid configuration at '" + bad[1] + "':"), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> CdcConfig.parse(
                base.replace("uri: 'http://t:19530'", "uri: 'http://t:19530', onRefused: skip")));
        assertTrue(e.getMessage().contains("targetConfig.onRefused") && e.getMessage().contains("dead-letter"), e.getMessage());
    }

    @Test
    void deliveryIsExactlyOnceUnlessAtLeastOnceIsAskedFor() {
        String base = String.join("\n", "sourceConfig:", "  etcd: {address: ['127.0.0.1:2379']}",
                "  replicateChan: cdc-src-replicate-msg", "  kafka: {address: '127.0.0.1:9092'}",
                "targetConfig: {uri: 'http://t:19530'}");
        assertEquals(io.milvuscdc.connectors.sink.MilvusSink.Delivery.EXACTLY_ONCE, CdcConfig.parse(base).delivery);
        assertEquals(io.milvuscdc.connectors.sink.MilvusSink.Delivery.AT_LEAST_ONCE,
                CdcConfig.parse(base + "\ndelivery: at-least-once").delivery);
        ConfigException e = assertThrows(ConfigException.class, () -> CdcConfig.parse(base + "\ndelivery: at-most-once"));
        assertTrue(e.getMessage().startsWith("Invalid configuration at 'delivery':") && e.getMessage().contains("at-least-once"),
                e.getMessage());
    }

    @Test
    void aStartupTimestampIsAnIsoTimeEpochMillisecondsOrASourceTso() {
        String base = String.join("\n", "sourceConfig:", "  etcd: {address: ['127.0.0.1:2379']}",
                "  kafka: {address: '127.0.0.1:9092'}", "targetConfig: {uri: 'http://t:19530'}");
        long millis = java.time.Instant.parse("2026-12-01T08:00:00Z").toEpochMilli();
        for (String given : List.of("'2026-12-01T08:00:00Z'", "'2026-12-01T09:00:00+01:00'", Long.toString(millis),
                Long.toString((millis << 18) | 5))) {
            CdcConfig c = CdcConfig.parse(base + "\nstartup: {mode: timestamp, timestamp: " + given + "}");
            assertEquals(CdcConfig.StartupMode.TIMESTAMP, c.startupMode, given);
            assertEquals(millis, c.startupTimestampMs, given);
        }
        assertEquals(-1, CdcConfig.parse(base).startupTimestampMs);
    }

    @Test
    void startupPositionsAreReadPerChannelOfThisSource() {
        String base = String.join("\n", "sourceConfig:", "  etcd: {address: ['127.0.0.1:2379']}",
                "  replicateChan: cdc-src-replicate-msg", "  kafka: {address: '127.0.0.1:9092'}",
                "targetConfig: {uri: 'http://t:19530'}");
        CdcConfig c = CdcConfig.parse(base + "\nstartup: {mode: positions, positions: {cdc-src-rootcoord-dml_0: 12, "
                + "cdc-src-rootcoord-dml_1_4471v0: '30'}}");
        assertEquals(CdcConfig.StartupMode.POSITIONS, c.startupMode);
        assertEquals(java.util.Map.of("cdc-src-rootcoord-dml_0", 12L, "cdc-src-rootcoord-dml_1", 30L),
                c.startupPositions.kafkaOffsets());
    }

    private static final String GOOD = String.join("\n",
            "sourceConfig:",
            "  etcd:",
            "    address: ['127.0.0.1:2379']",
            "    rootPath: by-dev",
            "  kafka: {address: '127.0.0.1:9092'}",
            "targetConfig: {uri: 'http://t:19530'}",
            "selection: {include: ['*.*']}",
            "checkpointInterval: 2s",
            "batch: {maxRows: 100}");

    /** What is wrong, the text of {@link #GOOD} replaced, its replacement, the key the error must name. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> badConfigurations() {
        String kafka = "  kafka: {address: '127.0.0.1:9092'}";
        String target = "{uri: 'http://t:19530'}";
        return java.util.stream.Stream.of(
                bad("sourceConfig missing", "sourceConfig:", "sourceConfi:", "sourceConfi"),
                bad("etcd address missing", "    address: ['127.0.0.1:2379']\n", "", "sourceConfig.etcd.address"),
                bad("no queue", kafka, "", "sourceConfig.kafka.address"),
                bad("both queues", kafka, kafka + "\n  pulsar: {address: 'pulsar://p:6650'}", "sourceConfig.kafka.address"),
                bad("targetConfig missing", "targetConfig: " + target, "", "targetConfig"),
                bad("target uri missing", target, "{token: x}", "targetConfig.uri"),
                bad("target uri not http(s)", "http://t:19530", "t:19530", "targetConfig.uri"),
                bad("rows not a number", "maxRows: 100", "maxRows: lots", "batch.maxRows"),
                bad("rows not positive", "maxRows: 100", "maxRows: 0", "batch.maxRows"),
                bad("enableAuth not a boolean", "    rootPath: by-dev", "    enableAuth: maybe", "sourceConfig.etcd.enableAuth"),
                bad("uri a list", target, "{uri: [a, b]}", "targetConfig.uri"),
                bad("kafka not a section", kafka, "  kafka: 127.0.0.1:9092", "sourceConfig.kafka"),
                bad("include a section", "include: ['*.*']", "include: {a: b}", "selection.include"),
                bad("interval not a duration", "checkpointInterval: 2s", "checkpointInterval: soon", "checkpointInterval"),
                bad("retry timeout not a duration", target, "{uri: 'http://t:19530', retryTimeout: forever}",
                        "targetConfig.retryTimeout"),
                bad("startup mode unknown", "checkpointInterval: 2s", "startup: {mode: yesterday}", "startup.mode"),
                bad("startup timestamp missing", "checkpointInterval: 2s", "startup: {mode: timestamp}", "startup.timestamp"),
                bad("startup timestamp not a time", "checkpointInterval: 2s",
                        "startup: {mode: timestamp, timestamp: yesterday}", "startup.timestamp"),
                bad("startup timestamp in the future", "checkpointInterval: 2s",
                        "startup: {mode: timestamp, timestamp: '2999-01-01T00:00:00Z'}", "startup.timestamp"),
                bad("startup positions missing", "checkpointInterval: 2s", "startup: {mode: positions}", "startup.positions"),
                bad("startup positions not a map", "checkpointInterval: 2s", "startup: {mode: positions, positions: [1]}",
                        "startup.positions"),
                bad("startup position of another source's channel", "checkpointInterval: 2s",
                        "startup: {mode: positions, positions: {other-rootcoord-dml_0: 12}}", "startup.positions"),
                bad("startup positions with another mode", "checkpointInterval: 2s",
                        "startup: {mode: latest, positions: {by-dev-rootcoord-dml_0: 12}}", "startup.positions"),
                bad("startup timestamp with another mode", "checkpointInterval: 2s",
                        "startup: {mode: earliest, timestamp: 1764000000000}", "startup.timestamp"),
                bad("unknown top-level key", "checkpointInterval: 2s", "checkpointIntervall: 2s", "checkpointIntervall"),
                bad("unknown etcd key", "    rootPath: by-dev", "    rootPth: by-dev", "sourceConfig.etcd.rootPth"),
                bad("unknown kafka key", kafka, "  kafka: {adress: '127.0.0.1:9092'}", "sourceConfig.kafka.adress"),
                bad("unknown target key", target, "{uri: 'http://t:19530', tokn: x}", "targetConfig.tokn"),
                bad("unknown batch key", "maxRows: 100", "maxRow: 100", "batch.maxRow"),
                bad("unknown dead-letter output", "checkpointInterval: 2s", "deadLetter: {output: s3}", "deadLetter.output"),
                bad("dialConfig with an http target", target, "{uri: 'http://t:19530', dialConfig: {serverName: t}}",
                        "targetConfig.uri"),
                bad("unknown dialConfig key", target, "{uri: 'https://t:19530', dialConfig: {caPath: x}}",
                        "targetConfig.dialConfig.caPath"),
                bad("target CA unreadable", target, "{uri: 'https://t:19530', dialConfig: {caPemPath: /no/such/ca.pem}}",
                        "targetConfig.dialConfig.caPemPath"),
                bad("target client certificate without key", target, "{uri: 'https://t:19530', dialConfig: "
                        + "{clientPemPath: ../configs/cdc.yaml}}", "targetConfig.dialConfig.clientKeyPath"),
                bad("etcd enableTLS not a boolean", "    rootPath: by-dev", "    enableTLS: sure", "sourceConfig.etcd.enableTLS"),
                bad("etcd CA unreadable", "    rootPath: by-dev", "    enableTLS: true\n    tlsCACertPath: /no/ca.pem",
                        "sourceConfig.etcd.tlsCACertPath"),
                bad("etcd TLS version unknown", "    rootPath: by-dev", "    enableTLS: true\n    tlsMinVersion: 1.0",
                        "sourceConfig.etcd.tlsMinVersion"),
                bad("a Kafka property the job sets", kafka, "  kafka: {address: '127.0.0.1:9092', properties: "
                        + "{group.id: mine}}", "sourceConfig.kafka.properties.group.id"),
                bad("source Milvus uri missing", kafka, kafka + "\n  milvus: {token: x}", "sourceConfig.milvus.uri"),
                bad("source Milvus uri not http(s)", kafka, kafka + "\n  milvus: {uri: 's:19530'}", "sourceConfig.milvus.uri"),
                bad("unknown source Milvus key", kafka, kafka + "\n  milvus: {uri: 'http://s:19530', tokn: x}",
                        "sourceConfig.milvus.tokn"),
                bad("source Milvus dialConfig with an http uri", kafka, kafka + "\n  milvus: {uri: 'http://s:19530', "
                        + "dialConfig: {serverName: s}}", "sourceConfig.milvus.uri"),
                bad("Pulsar trust file unreadable", kafka, "  pulsar: {address: 'pulsar+ssl://p:6651', "
                        + "tlsTrustCertsFilePath: /no/ca.pem}", "sourceConfig.pulsar.tlsTrustCertsFilePath"));
    }

    private static org.junit.jupiter.params.provider.Arguments bad(String what, String replaced, String by, String key) {
        return org.junit.jupiter.params.provider.Arguments.of(what, replaced, by, key);
    }

    /** Each bad configuration names its key, says what is wrong and how to fix it. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("badConfigurations")
    void aBadConfigurationNamesTheKeyAndTheFix(String what, String replaced, String by, String key) {
        CdcConfig.parse(GOOD);
        assertTrue(GOOD.contains(replaced), "the case changes something: " + replaced);
        String bad = GOOD.replace(replaced, by);
        ConfigException e = assertThrows(ConfigException.class, () -> CdcConfig.parse(bad), what + ":\n" + bad);
        String prefix = "Invalid configuration at '" + key + "': ";
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        assertTrue(e.getMessage().indexOf(". ", prefix.length()) > 0, "a problem and a fix: " + e.getMessage());
    }
}
