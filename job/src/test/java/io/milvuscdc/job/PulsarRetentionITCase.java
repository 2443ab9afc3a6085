package io.milvuscdc.job;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.ConfigException;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code startup.mode: positions} on Pulsar: a position in a ledger the broker has deleted (as
 * retention does; here by truncating the topic on the real broker) is refused at submission,
 * naming the channel and what was deleted; accepted with {@code startup.onLostPosition: earliest};
 * a position still retained is accepted.
 */
@ExtendWith(MilvusStackExtension.class)
class PulsarRetentionITCase {

    @Test
    void aPositionInADeletedLedgerIsRefusedAtSubmissionNamingTheChannel(MilvusStack stack) throws Exception {
        String prefix = "retention-pos" + System.currentTimeMillis() % 100_000;
        String channel = prefix + "-rootcoord-dml_0";
        String topic = "persistent://" + stack.pulsar().tenant() + "/" + stack.pulsar().namespace() + "/" + channel;
        List<MessageId> ids = new ArrayList<>();
        try (PulsarClient client = PulsarClient.builder().serviceUrl(stack.pulsar().serviceUrl()).build();
             PulsarAdmin admin = PulsarAdmin.builder().serviceHttpUrl(stack.pulsar().webUrl()).build()) {
            try (Producer<byte[]> producer = client.newProducer(Schema.BYTES).topic(topic).create()) {
                for (int i = 0; i < 5; i++) {
                    ids.add(producer.send(new byte[] {(byte) i}));
                }
            }
            // Unloading closes the topic's ledger: the next writes go to a new one.
            admin.topics().unload(topic);
            try (Producer<byte[]> producer = client.newProducer(Schema.BYTES).topic(topic).create()) {
                for (int i = 5; i < 10; i++) {
                    ids.add(producer.send(new byte[] {(byte) i}));
                }
            }
            // Deletes every ledger but the one written to, as retention would.
            admin.topics().truncate(topic);
        }
        String lost = text(ids.get(2));
        String retained = text(ids.get(7));
        assertTrue(!lost.split(":")[0].equals(retained.split(":")[0]), "two ledgers: " + lost + ", " + retained);

        ConfigException e = ReplicationHarness.assertSubmissionRefused(config(stack, prefix, channel, lost, ""),
                "a position Pulsar no longer retains", "startup.positions");
        assertTrue(e.getMessage().contains("channel " + channel + ": position " + lost + " deleted"), e.getMessage());
        assertTrue(e.getMessage().contains("startup.onLostPosition: earliest"), e.getMessage());

        Configuration flink = new Configuration();
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, ReplicationHarness.CHECKPOINTS.toUri().toString());
        CdcPipeline.build(StreamExecutionEnvironment.getExecutionEnvironment(flink),
                config(stack, prefix, channel, lost, ", onLostPosition: earliest"));
        CdcPipeline.build(StreamExecutionEnvironment.getExecutionEnvironment(flink),
                config(stack, prefix, channel, retained, ""));
    }

    /** The stack's Pulsar source with its channels under {@code prefix}, starting {@code channel} at {@code position}. */
    private static CdcConfig config(MilvusStack stack, String prefix, String channel, String position, String more) {
        String yaml = ReplicationHarness.yaml(stack, MilvusStack.Queue.PULSAR,
                "startup: {mode: positions, positions: {" + channel + ": '" + position + "'}" + more + "}");
        return CdcConfig.parse(yaml.replace(stack.source(MilvusStack.Queue.PULSAR).channelPrefix() + "-replicate-msg",
                prefix + "-replicate-msg"));
    }

    /** ledger:entry, as a user writes a Pulsar position. */
    private static String text(MessageId id) {
        String[] parts = id.toString().split(":");
        return parts[0] + ":" + parts[1];
    }
}
