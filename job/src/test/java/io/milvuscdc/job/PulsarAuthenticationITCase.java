package io.milvuscdc.job;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.mq.MilvusMessageDecoder;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.ConfigException;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.WireCaptures;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sourceConfig.pulsar.authPlugin}/{@code authParams} against a real Pulsar broker that
 * refuses clients without a valid token. Milvus 2.3 cannot authenticate to Pulsar itself, so the
 * channels on this broker hold what a real Milvus wrote (the captured payloads, byte for byte,
 * in their order), republished with the token under a fresh channel prefix.
 */
@ExtendWith(MilvusStackExtension.class)
class PulsarAuthenticationITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = ReplicationHarness.miniCluster();

    private static final WireCaptures CAPTURE = WireCaptures.load(WireCaptures.MILVUS_2_3_5_PULSAR);

    private static MilvusStack stack;
    private static String prefix;

    @BeforeAll
    static void publishCapturedChannels(MilvusStack running) throws Exception {
        stack = running;
        prefix = "auth" + System.currentTimeMillis() % 100_000;
        MilvusStack.Pulsar broker = stack.pulsarWithToken();
        Map<String, Producer<byte[]>> producers = new HashMap<>();
        try (PulsarClient client = PulsarClient.builder().serviceUrl(broker.serviceUrl())
                .authentication(AuthenticationFactory.token(broker.token())).build()) {
            for (WireCaptures.MqMessage m : CAPTURE.messages()) {
                Producer<byte[]> producer = producers.computeIfAbsent(channel(m), channel -> {
                    try {
                        return client.newProducer().topic(topic(broker, channel)).enableBatching(false).create();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                producer.send(m.payload);
            }
            for (Producer<byte[]> p : producers.values()) {
                p.close();
            }
        }
    }

    @Test
    void aValidTokenReadsEveryChannel() throws Exception {
        MilvusStack.Pulsar broker = stack.pulsarWithToken();
        // The Go CDC's spelling: the plugin's short name and JSON parameters.
        CdcConfig config = config(broker, "token", "'{\"token\":\"" + broker.token() + "\"}'");
        List<String> expected = new java.util.ArrayList<>();
        MilvusMessageDecoder decoder = new MilvusMessageDecoder();
        for (WireCaptures.MqMessage m : CAPTURE.messages()) {
            decoder.decode(m.payload, channel(m) + "@x").forEach(e -> expected.add(comparable(e)));
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        List<ChangeRecord> read = env.fromSource(CdcPipeline.pulsarSource(config).build(),
                        WatermarkStrategy.noWatermarks(), "token source")
                .setParallelism(1)
                .executeAndCollect(expected.size());

        assertEquals(expected.stream().sorted().collect(Collectors.toList()),
                read.stream().map(r -> comparable(r.decode())).sorted().collect(Collectors.toList()));
        // Positions: channel and Pulsar message id (ledger:entry:partition:batch).
        TreeSet<String> channels = new TreeSet<>();
        for (ChangeRecord r : read) {
            String origin = r.decode().getOrigin();
            assertTrue(origin.matches(".+@\\d+:\\d+:-1(:\\d+)?"), origin);
            channels.add(origin.substring(0, origin.indexOf('@')));
        }
        assertEquals(List.of(prefix + "-replicate-msg", prefix + "-rootcoord-dml_0", prefix + "-rootcoord-dml_1"),
                List.copyOf(channels));
    }

    @Test
    void aWrongTokenStopsTheSubmissionNamingTheKey() {
        MilvusStack.Pulsar broker = stack.pulsarWithToken();
        String valid = broker.token();
        // Same claims, signature of another key.
        String wrong = valid.substring(0, valid.lastIndexOf('.') + 1) + "c2lnbmVkLWJ5LWFub3RoZXIta2V5LXNpZ25lZC1ieS1hbm90aGVy";
        CdcConfig config = config(broker, "org.apache.pulsar.client.impl.auth.AuthenticationToken", "token:" + wrong);

        ConfigException e = assertThrows(ConfigException.class, () -> CdcPipeline.pulsarSource(config));
        assertTrue(e.getMessage().startsWith("Invalid configuration at 'sourceConfig.pulsar.authParams': the Pulsar broker at "
                + broker.serviceUrl() + " refused the credentials"), e.getMessage());
        assertFalse(e.getMessage().contains(wrong.substring(wrong.lastIndexOf('.') + 1)), "the token stays secret");
        assertFalse(config.toString().contains(wrong), "the token stays out of the logged config");
    }

    @Test
    void noTokenStopsTheSubmissionNamingTheKey() {
        MilvusStack.Pulsar broker = stack.pulsarWithToken();
        CdcConfig config = config(broker, null, null);
        ConfigException e = assertThrows(ConfigException.class, () -> CdcPipeline.pulsarSource(config));
        assertTrue(e.getMessage().contains("'sourceConfig.pulsar.authParams'") && e.getMessage().contains("refused"),
                e.getMessage());
    }

    private static CdcConfig config(MilvusStack.Pulsar broker, String authPlugin, String authParams) {
        return earliestFrom(stack, broker, prefix,
                authPlugin == null ? "" : "    authPlugin: " + authPlugin,
                authParams == null ? "" : "    authParams: " + authParams);
    }

    /** A config reading the channels of {@code prefix} on {@code broker} from their start. */
    static CdcConfig earliestFrom(MilvusStack stack, MilvusStack.Pulsar broker, String prefix, String... pulsarLines) {
        return CdcConfig.parse(String.join("\n",
                "sourceConfig:",
                "  etcd:",
                "    address: [" + stack.etcdEndpoint() + "]",
                "  replicateChan: " + prefix + "-replicate-msg",
                "  pulsar:",
                "    address: " + broker.serviceUrl(),
                "    tenant: " + broker.tenant(),
                "    namespace: " + broker.namespace(),
                String.join("\n", pulsarLines),
                "targetConfig:",
                "  uri: " + stack.target().uri(),
                "startup:",
                "  mode: earliest"));
    }

    /** The captured channel under this run's prefix. */
    private static String channel(WireCaptures.MqMessage m) {
        return prefix + m.channel.substring(CAPTURE.channelPrefix().length());
    }

    private static String topic(MilvusStack.Pulsar broker, String channel) {
        return "persistent://" + broker.tenant() + "/" + broker.namespace() + "/" + channel;
    }

    /** An event without its position, which differs between the capture and this broker. */
    private static String comparable(ChangeEvent e) {
        return e.toBuilder().clearOrigin().build().toString();
    }
}
