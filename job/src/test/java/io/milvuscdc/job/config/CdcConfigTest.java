package io.milvuscdc.job.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
}
