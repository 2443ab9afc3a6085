package io.milvuscdc.job;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.mq.MilvusMessageDecoder;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.WireCaptures;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;

import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The Pulsar source at parallelism 4 reads every channel. Milvus's channels are non-partitioned
 * topics, which flink-connector-pulsar 4.1.0-1.18 alone gives to a reader -1 for about one in
 * four names at this parallelism and never reads (FLINK-34629).
 */
@ExtendWith(MilvusStackExtension.class)
class PulsarParallelismITCase {

    private static final int CHANNELS = 16;
    private static final int PARALLELISM = 4;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(PARALLELISM)
            .build());


    @Test
    void everyChannelIsReadAtParallelismFour(MilvusStack stack) throws Exception {
        MilvusStack.Pulsar broker = stack.pulsar();
        String prefix = "par" + System.currentTimeMillis() % 100_000;
        List<String> channels = new ArrayList<>();
        for (int i = 0; i < CHANNELS; i++) {
            channels.add(prefix + "-rootcoord-dml_" + i);
        }
        // The test means something only if the connector alone would drop some of these names.
        assertFalse(channels.stream().filter(c -> connectorOwner(topic(broker, c)) < 0).findAny().isEmpty(),
                "some channel falls to reader -1 under the connector's own assignment");

        // A message a real Milvus wrote on a DML channel.
        byte[] payload = WireCaptures.load(WireCaptures.MILVUS_2_3_5_PULSAR).messages().stream()
                .filter(m -> m.channel.contains("-rootcoord-dml_")
                        && !new MilvusMessageDecoder().decodeRecords(m.payload, m.channel + "@0").isEmpty())
                .findFirst().orElseThrow().payload;
        try (PulsarClient client = PulsarClient.builder().serviceUrl(broker.serviceUrl()).build()) {
            for (String channel : channels) {
                try (Producer<byte[]> producer = client.newProducer().topic(topic(broker, channel))
                        .enableBatching(false).create()) {
                    producer.send(payload);
                }
            }
        }

        CdcConfig config = PulsarAuthenticationITCase.earliestFrom(stack, broker, prefix);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(PARALLELISM);
        TreeSet<String> read = new TreeSet<>();
        // A channel left unread would block the collection for ever: bounded, reporting what was read.
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (CloseableIterator<ChangeRecord> records = env.fromSource(CdcPipeline.pulsarSource(config).build(),
                    WatermarkStrategy.noWatermarks(), "Pulsar at parallelism 4").executeAndCollect()) {
                while (read.size() < CHANNELS && records.hasNext()) {
                    String origin = records.next().decode().getOrigin();
                    synchronized (read) {
                        read.add(origin.substring(0, origin.indexOf('@')));
                    }
                }
            }
        }, () -> {
            synchronized (read) {
                return "channels read: " + read;
            }
        });
        assertEquals(new TreeSet<>(channels), read);
    }

    /** The reader flink-connector-pulsar 4.1.0-1.18 assigns a non-partitioned topic (partition -1) to. */
    private static int connectorOwner(String topic) {
        int start = ((topic.hashCode() * 31) & Integer.MAX_VALUE) % PARALLELISM;
        return (start - 1) % PARALLELISM;
    }

    private static String topic(MilvusStack.Pulsar broker, String channel) {
        return "persistent://" + broker.tenant() + "/" + broker.namespace() + "/" + channel;
    }
}
