package io.milvuscdc.job;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.testutils.CommonTestUtils;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DescribeCollectionReq;
import io.milvus.v2.service.collection.response.DescribeCollectionResp;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/** What the end-to-end tests share: the job's configuration and start, waits, schema views. */
final class ReplicationHarness {

    static final Duration WAIT = Duration.ofMinutes(3);
    static final Duration POLL = Duration.ofMillis(100);

    /** The jobs' checkpoints, beside the build's other output. */
    static final java.nio.file.Path CHECKPOINTS = MilvusStack.projectRoot().resolve("job/target/it-checkpoints");

    private ReplicationHarness() {}

    /**
     * The stack's source on {@code queue} and its target, in the Go CDC's keys; {@code extraYaml}
     * adds top-level sections.
     */
    static CdcConfig config(MilvusStack stack, Queue queue, String... extraYaml) {
        return CdcConfig.parse(yaml(stack, queue, extraYaml));
    }

    /** The text of {@link #config}. */
    static String yaml(MilvusStack stack, Queue queue, String... extraYaml) {
        MilvusStack.Milvus source = stack.source(queue);
        String mq = queue == Queue.PULSAR
                ? String.join("\n",
                        "  pulsar:",
                        "    address: " + stack.pulsar().serviceUrl(),
                        "    webAddress: " + stack.pulsar().webUrl(),
                        "    maxMessageSize: 5242880",
                        "    tenant: " + stack.pulsar().tenant(),
                        "    namespace: " + stack.pulsar().namespace())
                : String.join("\n",
                        "  kafka:",
                        "    address: " + stack.kafkaBootstrap());
        StringBuilder yaml = new StringBuilder(String.join("\n",
                "sourceConfig:",
                "  etcd:",
                "    address: [" + stack.etcdEndpoint() + "]",
                "    rootPath: " + source.etcdRootPath(),
                "    metaSubPath: " + source.metaSubPath(),
                "  replicateChan: " + source.channelPrefix() + "-replicate-msg",
                mq,
                "  milvus:",
                "    uri: " + source.uri(),
                "targetConfig:",
                "  uri: " + stack.target().uri(),
                "checkpointInterval: 1s",
                "checkpointDir: " + CHECKPOINTS.toUri()));
        for (String line : extraYaml) {
            yaml.append('\n').append(line);
        }
        return yaml.toString();
    }

    /** One TaskManager with two slots: the job runs with parallelism 2 (the Pulsar source with 1). */
    static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
    }

    static JobClient start(CdcConfig config, String name) throws Exception {
        return start(config, name, null);
    }

    /** Starts the job, from a savepoint if {@code savepoint} is not null. */
    static JobClient start(CdcConfig config, String name, String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        CdcPipeline.build(env, config);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName(name);
        if (savepoint != null) {
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        }
        return env.executeAsync(graph);
    }

    /**
     * Building the job (as {@code flink run} does) fails within 15 s with a message that starts by
     * naming {@code key}; returns the exception.
     */
    static io.milvuscdc.job.config.ConfigException assertSubmissionRefused(CdcConfig config, String what, String key) {
        org.apache.flink.configuration.Configuration flink = new org.apache.flink.configuration.Configuration();
        flink.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY, CHECKPOINTS.toUri().toString());
        long t0 = System.nanoTime();
        io.milvuscdc.job.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.milvuscdc.job.config.ConfigException.class,
                () -> CdcPipeline.build(StreamExecutionEnvironment.getExecutionEnvironment(flink), config), what);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s (%.1f s): %s%n", what, seconds, e.getMessage());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("Invalid configuration at '" + key + "': "),
                what + ": " + e.getMessage());
        org.junit.jupiter.api.Assertions.assertTrue(seconds < 15, what + " took " + seconds + " s");
        return e;
    }

    /**
     * Runs the shipped verifier (in this JVM, no recheck delay) until it finds the target equal to
     * the source over {@code collections} selected collections; fails with its last report.
     */
    static io.milvuscdc.job.verify.VerifyReport awaitVerifierEqual(CdcConfig config, int collections) throws Exception {
        io.milvuscdc.job.verify.VerifyOptions options = io.milvuscdc.job.verify.VerifyOptions.parse(
                new String[]{"--config", "unused", "--recheck-after", "0s"});
        java.util.concurrent.atomic.AtomicReference<io.milvuscdc.job.verify.VerifyReport> last =
                new java.util.concurrent.atomic.AtomicReference<>();
        try {
            waitUntil("the verifier finds the target equal to the source", () -> {
                try {
                    io.milvuscdc.job.verify.VerifyReport report = io.milvuscdc.job.verify.Verifier.inThisJvm(
                            config.sourceMilvus("test"), config.targetMilvus(), config.selection, options).run();
                    last.set(report);
                    return report.equal() && report.collections.size() == collections;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e.getMessage() + "; the last report:\n"
                    + (last.get() == null ? "none" : last.get().text()), e);
        }
        System.out.println(last.get().text());
        return last.get();
    }

    /**
     * Waits with Flink's test utility, looking every 100 ms (its default, 1 ms, sent a query about
     * every 10 ms: 4,900 "collection not found" answers in 52 s from a target the job was busy
     * filling, on the same two cores); a failing call counts as "not yet".
     */
    static void waitUntil(String what, BooleanSupplier condition) throws Exception {
        CommonTestUtils.waitUtil(() -> {
            try {
                return condition.getAsBoolean();
            } catch (RuntimeException e) {
                return false; // not there yet (not created or not loaded on the target)
            }
        }, WAIT, POLL, "Timed out after " + WAIT + " waiting until " + what);
    }

    static DescribeCollectionResp describe(MilvusClientV2 client, String db, String collection) {
        return client.describeCollection(DescribeCollectionReq.builder().databaseName(db).collectionName(collection).build());
    }

    /**
     * Everything the target must keep of a source schema: field names, types, key, partition
     * key, dimensions, lengths, array element types and capacities, dynamic field, shards,
     * consistency level, properties and partition count. Auto-id is the one allowed difference
     * (rows carry the source's keys).
     */
    static String schemaOf(DescribeCollectionResp d) {
        List<String> fields = d.getCollectionSchema().getFieldSchemaList().stream()
                .map(ReplicationHarness::field)
                .collect(Collectors.toList());
        return fields + " dynamic=" + d.getEnableDynamicField() + " shards=" + d.getShardsNum()
                + " consistency=" + d.getConsistencyLevel() + " properties=" + userProperties(d.getProperties())
                + " partitions=" + d.getNumOfPartitions();
    }

    /** A collection's properties but those the job adds on the target (its bookkeeping). */
    static java.util.Map<String, String> userProperties(java.util.Map<String, String> properties) {
        java.util.Map<String, String> out = new java.util.TreeMap<>(properties);
        out.keySet().removeIf(k -> k.startsWith(io.milvuscdc.connectors.sink.internal.TargetMilvusClient.PROPERTY_PREFIX));
        return out;
    }

    private static String field(CreateCollectionReq.FieldSchema f) {
        return f.getName() + ":" + f.getDataType() + (f.getIsPrimaryKey() ? ":pk" : "")
                + (Boolean.TRUE.equals(f.getIsPartitionKey()) ? ":partitionKey" : "")
                + (f.getDimension() == null ? "" : ":dim=" + f.getDimension())
                + (f.getMaxLength() == null ? "" : ":len=" + f.getMaxLength())
                + (f.getElementType() == null ? "" : ":element=" + f.getElementType())
                + (f.getMaxCapacity() == null ? "" : ":capacity=" + f.getMaxCapacity());
    }
}
