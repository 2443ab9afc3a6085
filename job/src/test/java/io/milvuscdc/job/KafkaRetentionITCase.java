package io.milvuscdc.job;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.mq.kafka.MilvusKafkaSourceBuilder;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka retention passed while the job was down (records deleted below the job's checkpointed
 * offset, as retention does): restored, the job stops (no restart loop) naming the channel and
 * the lost range; restored again with {@code startup.onLostPosition: earliest}, it reads on from
 * the earliest retained message. On the real Kafka, with the job's own source (a channel of its
 * own, so the shared source Milvus's topics keep everything).
 */
@ExtendWith(MilvusStackExtension.class)
class KafkaRetentionITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = ReplicationHarness.miniCluster();

    /** What the source read: each record's position, {@code channel@offset}. */
    private static final ConcurrentLinkedQueue<String> READ = new ConcurrentLinkedQueue<>();

    @Test
    void aLostRangeStopsTheJobNamingItAndAnExplicitOptionResumesFromTheEarliestRetained(MilvusStack stack) throws Exception {
        String prefix = "retention" + System.currentTimeMillis() % 100_000;
        String channel = prefix + "-rootcoord-dml_0";
        publish(stack, channel, 10);
        JobClient first = start(stack, prefix, false, null);
        ReplicationHarness.waitUntil("the first 10 messages are read", () -> READ.size() >= 10);
        String savepoint = first.stopWithSavepoint(false, Files.createTempDirectory("retention").toUri().toString(),
                SavepointFormatType.CANONICAL).get();

        publish(stack, channel, 10); // offsets 10..19 while the job is down
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            admin.deleteRecords(Map.of(new TopicPartition(channel, 0), RecordsToDelete.beforeOffset(15))).all().get();
        }

        READ.clear();
        JobClient stopped = start(stack, prefix, false, savepoint);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> stopped.getJobExecutionResult().get(2, TimeUnit.MINUTES));
        String causes = ExceptionUtils.stringifyException(e);
        assertTrue(causes.contains("channel " + channel + " (partition 0): offsets 10 to 14 (5 messages)"), causes);
        assertTrue(causes.contains("SuppressRestartsException"), "stops instead of restarting: " + causes);
        assertEquals(Set.of(), Set.copyOf(READ), "nothing read past the gap");

        JobClient resumed = start(stack, prefix, true, savepoint);
        try {
            ReplicationHarness.waitUntil("the retained messages are read", () -> READ.size() >= 5);
            TreeSet<String> expected = new TreeSet<>();
            for (int offset = 15; offset < 20; offset++) {
                expected.add(channel + "@" + offset);
            }
            assertEquals(expected, new TreeSet<>(READ), "from the earliest retained message on, each once");
        } finally {
            resumed.cancel().get();
        }
    }

    /**
     * {@code startup.mode: timestamp} from before what a channel retains: refused at submission,
     * naming the channel and what was deleted; accepted with {@code startup.onLostPosition: earliest}.
     */
    @Test
    void aStartTimeBeforeWhatKafkaRetainsIsRefusedAtSubmissionNamingTheChannel(MilvusStack stack) throws Exception {
        String prefix = "retention-ts" + System.currentTimeMillis() % 100_000;
        String channel = prefix + "-rootcoord-dml_0";
        long before = System.currentTimeMillis() - 1;
        publish(stack, channel, 10);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            admin.deleteRecords(Map.of(new TopicPartition(channel, 0), RecordsToDelete.beforeOffset(4))).all().get();
        }
        String startup = "startup: {mode: timestamp, timestamp: " + before;
        io.milvuscdc.job.config.ConfigException e = ReplicationHarness.assertSubmissionRefused(
                withPrefix(ReplicationHarness.config(stack, MilvusStack.Queue.KAFKA, startup + "}"), prefix),
                "a start time before what Kafka retains", "startup.timestamp");
        assertTrue(e.getMessage().contains("channel " + channel + " (partition 0): offsets 0 to 3 deleted"), e.getMessage());
        assertTrue(e.getMessage().contains("startup.onLostPosition: earliest"), e.getMessage());

        io.milvuscdc.job.config.CdcConfig accepting = withPrefix(ReplicationHarness.config(stack, MilvusStack.Queue.KAFKA,
                startup + ", onLostPosition: earliest}"), prefix);
        org.apache.flink.configuration.Configuration flink = new org.apache.flink.configuration.Configuration();
        flink.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                ReplicationHarness.CHECKPOINTS.toUri().toString());
        CdcPipeline.build(StreamExecutionEnvironment.getExecutionEnvironment(flink), accepting);
        // A moment after the deleted records is retained in full.
        long after = System.currentTimeMillis();
        CdcPipeline.build(StreamExecutionEnvironment.getExecutionEnvironment(flink), withPrefix(
                ReplicationHarness.config(stack, MilvusStack.Queue.KAFKA, "startup: {mode: timestamp, timestamp: " + after + "}"),
                prefix));
    }

    /** The stack's source, but its channels under {@code prefix} (a topic of this test's own). */
    private static io.milvuscdc.job.config.CdcConfig withPrefix(io.milvuscdc.job.config.CdcConfig config, String prefix) {
        config.channelPrefix = prefix;
        config.replicateChannel = prefix + "-replicate-msg";
        return config;
    }

    private static JobClient start(MilvusStack stack, String prefix, boolean resumeFromEarliest, String savepoint)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(500);
        MilvusKafkaSourceBuilder kafka = new MilvusKafkaSourceBuilder()
                .setBootstrapServers(stack.kafkaBootstrap())
                .setChannelPrefix(prefix)
                .setGroupId("retention-test-" + prefix)
                .setStartFromEarliest()
                .setResumeLostPositionsFromEarliest(resumeFromEarliest);
        env.fromSource(kafka.build(), WatermarkStrategy.noWatermarks(), "changes")
                .uid("milvus-kafka-source")
                .map(KafkaRetentionITCase::record)
                .uid("record")
                .sinkTo(new DiscardingSink<>());
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName("retention " + prefix);
        if (savepoint != null) {
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        }
        return env.executeAsync(graph);
    }

    private static String record(ChangeRecord r) {
        String origin = r.decode().getOrigin();
        READ.add(origin);
        return origin;
    }

    private static void publish(MilvusStack stack, String topic, int count) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                // Not Milvus messages: the source passes them on as undecodable events, with their positions.
                producer.send(new ProducerRecord<>(topic, new byte[] {(byte) 0xff, (byte) i})).get();
            }
        }
    }
}
