package io.milvuscdc.job.chaos;

import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusTables;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.vector.request.InsertReq;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A backlog worked off on the real cluster: the job is stopped with a savepoint, {@code rows}
 * rows of {@code dim}-dimensional vectors are written to the source while it is down, and the
 * job resumes from the savepoint on the TaskManager as {@code flink-conf/config.yaml} sizes it.
 * It must catch up without a single restart, and the target must then equal the source (every
 * key once, every field). Prints the figures: catch-up time, rows per second, restarts,
 * checkpoints, the TaskManager's highest heap use seen.
 */
public final class BacklogRun {

    private final MilvusStack stack;
    private final Path jar;
    private final Path dir;
    private final long rows;
    private final int dim;

    /** What the run measured. */
    public static final class Outcome {
        public final List<String> report = new ArrayList<>();
        public long restarts;
        public Oracle.Result result;

        public boolean passed() {
            return restarts == 0 && result != null && result.equal();
        }
    }

    public BacklogRun(MilvusStack stack, Path jar, Path dir, long rows, int dim) {
        this.stack = stack;
        this.jar = jar;
        this.dir = dir;
        this.rows = rows;
        this.dim = dim;
    }

    public Outcome run() throws Exception {
        Outcome outcome = new Outcome();
        String name = "backlog_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        Files.createDirectories(dir);
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink"), 1)) {
            Path cdcYaml = FlinkCluster.cdcYaml(stack, dir, "selection:", "  include: ['default." + name + "']");
            String job = flink.submit(jar, "--config", cdcYaml.toString());
            ChaosRun.waitUntil("the job runs", Duration.ofMinutes(2), () -> flink.completedCheckpoints(job) > 0);
            create(source, name);
            ChaosRun.waitUntil("the collection is indexed and loaded on the target", Duration.ofMinutes(2), () ->
                    target.hasCollection(HasCollectionReq.builder().collectionName(name).build())
                            && target.getLoadState(GetLoadStateReq.builder().collectionName(name).build()));
            String savepoint = flink.stopWithSavepoint(job, dir.resolve("savepoints"));

            long t0 = System.nanoTime();
            Set<Object> keys = write(source, name);
            double writeSeconds = (System.nanoTime() - t0) / 1e9;

            // Resumed with the target given on the command line over a file that names an unreachable
            // one: a -D setting that did not override the file would fail the submission's target check.
            Path overridden = dir.resolve("cdc-overridden.yaml");
            Files.writeString(overridden, Files.readString(cdcYaml).replace("  uri: " + stack.target().uri(),
                    "  uri: http://127.0.0.1:9"));
            String resumed = flink.submitFrom(savepoint, jar, "--config", overridden.toString(),
                    "-DtargetConfig.uri=" + stack.target().uri());
            long t1 = System.nanoTime();
            long maxHeap = 0;
            Duration limit = Duration.ofMinutes(10 + rows / 20_000);
            while (MilvusTables.count(target, name) < rows) {
                if (System.nanoTime() - t1 > limit.toNanos() || "FAILED".equals(flink.jobState(resumed))) {
                    break;
                }
                maxHeap = Math.max(maxHeap, flink.taskManagerHeapUsed());
                Thread.sleep(1000);
            }
            double catchUpSeconds = (System.nanoTime() - t1) / 1e9;
            outcome.restarts = flink.restarts(resumed);
            outcome.result = new Oracle(source, target).compare(Map.of("default", Set.of(name)), Map.of("default." + name, keys));
            outcome.report.add(String.format("backlog rows=%d dim=%d (%.0f MB of vectors) written in %.0fs while the job was down",
                    rows, dim, rows * dim * 4 / 1e6, writeSeconds));
            outcome.report.add(String.format("catch-up=%.0fs (%.0f rows/s) restarts=%d completed checkpoints=%d "
                            + "TaskManager heap used, highest sample=%d MiB (max %d MiB)",
                    catchUpSeconds, rows / catchUpSeconds, outcome.restarts, flink.completedCheckpoints(resumed),
                    maxHeap >> 20, flink.taskManagerHeapMax() >> 20));
            outcome.report.add("oracle " + outcome.result.summary());
            if (outcome.restarts > 0) {
                outcome.report.add("last job failure: " + flink.lastFailure(resumed));
            }
            if ("RUNNING".equals(flink.jobState(resumed))) {
                flink.cancel(resumed);
            }
        } finally {
            source.close();
            target.close();
        }
        return outcome;
    }

    private void create(MilvusClientV2 source, String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("n").dataType(DataType.Int64).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(dim).build());
        source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).numShards(2).build());
        source.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build())).build());
        source.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    /** {@code rows} distinct keys in inserts of about 4 MB each. */
    private Set<Object> write(MilvusClientV2 source, String name) {
        Random random = new Random(rows);
        int perCall = Math.max(1, 4_000_000 / (dim * 4));
        Set<Object> keys = new LinkedHashSet<>();
        for (long from = 0; from < rows; from += perCall) {
            List<JsonObject> batch = new ArrayList<>();
            for (long k = from; k < Math.min(rows, from + perCall); k++) {
                JsonObject row = new JsonObject();
                row.addProperty("id", k);
                row.addProperty("n", k * 7);
                JsonArray vec = new JsonArray();
                for (int i = 0; i < dim; i++) {
                    vec.add(random.nextFloat());
                }
                row.add("vec", vec);
                batch.add(row);
                keys.add(k);
            }
            source.insert(InsertReq.builder().collectionName(name).data(batch).build());
        }
        return keys;
    }

    /** {@code BacklogRun STACK_JSON JAR DIR ROWS DIM}: scripts/backlog.sh. */
    public static void main(String[] args) throws Exception {
        Outcome outcome = new BacklogRun(MilvusStack.read(Path.of(args[0])), Path.of(args[1]), Path.of(args[2]),
                Long.parseLong(args[3]), Integer.parseInt(args[4])).run();
        outcome.report.forEach(System.out::println);
        System.out.println(outcome.passed() ? "PASSED: caught up without a restart; the target equals the source" : "FAILED");
        System.exit(outcome.passed() ? 0 : 1);
    }
}
