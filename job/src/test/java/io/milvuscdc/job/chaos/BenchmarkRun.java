package io.milvuscdc.job.chaos;

import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusTables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.GetCollectionStatsReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.partition.request.CreatePartitionReq;
import io.milvus.v2.service.partition.request.HasPartitionReq;
import io.milvus.v2.service.utility.request.FlushReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.response.QueryResp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The benchmark of issue 7 on the real stack and a real Flink cluster ({@code scripts/benchmark.sh}):
 * the target's own ingest ceiling, the job's catch-up and live rates against it, the end-to-end
 * delay of rows and of DDL at steady rates, and what the TaskManager spent (CPU, memory,
 * checkpoints). Rows: an int64 key, a varchar and a {@code dim}-dimensional float vector.
 * Everything is measured side by side in one run; figures are printed as a table and written as
 * JSON ({@code DIR/benchmark.json}) for comparison across runs.
 */
public final class BenchmarkRun {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to run. */
    public static final class Options {
        public long rows = 200_000;
        public int dim = 768;
        public int batch = 1_000;
        public int[] clients = {1, 2, 4};
        /** Steady source write rates (rows/s) the delay is measured at. */
        public int[] lagRates = {200, 1_000};
        /** Also measure the delay at half the ceiling measured in the same run (the bar for at-least-once). */
        public boolean lagAtHalfCeiling = true;
        public Duration lagFor = Duration.ofSeconds(30);
        /** The delivery modes the catch-up is measured in, one after the other. */
        public List<String> catchUpDeliveries = List.of("exactly-once", "at-least-once");
        public Duration checkpointInterval = Duration.ofSeconds(2);
        /**
         * CPU profiles (JFR) of the TaskManager during the catch-up ({@code catchup.jfr}) and the delay
         * phases at the lowest rate ({@code lag-DELIVERY-RATE.jfr}), each with its summary.
         */
        public boolean profile;
        /** Scale-out: catch-ups at each job parallelism on so many TaskManagers ({@code {p, tms}}). */
        public int[][] scale = {{2, 1}, {4, 1}, {4, 2}};
        /** The collections a scale-out catch-up spreads its rows over (the sink is keyed by collection). */
        public int scaleCollections = 4;
        /** Collections replicated at once (bounded memory), and rows written into each. */
        public int collections = 1_000;
        public int rowsPerCollection = 20;
        /** The parts to run after the ceiling: catch-up, live (with the delays), snapshot, scale, many. */
        public Set<String> parts = Set.of("catchup", "live", "snapshot", "scale", "many");
        /** The queue the source Milvus writes to (and the job reads): the stack has one of each. */
        public MilvusStack.Queue queue = MilvusStack.Queue.KAFKA;
    }

    private final MilvusStack stack;
    private final Path jar;
    private final Path dir;
    private final Options options;
    private final ObjectNode figures = JSON.createObjectNode();
    private final List<String> table = new ArrayList<>();
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    public BenchmarkRun(MilvusStack stack, Path jar, Path dir, Options options) {
        this.stack = stack;
        this.jar = jar;
        this.dir = dir;
        this.options = options;
    }

    /** Runs every part; returns the JSON written. */
    public JsonNode run() throws Exception {
        Files.createDirectories(dir);
        figures.put("cores", Runtime.getRuntime().availableProcessors());
        figures.put("rows", options.rows);
        figures.put("dim", options.dim);
        figures.put("queue", options.queue.name().toLowerCase(java.util.Locale.ROOT));
        row("machine", figures.get("cores").asInt() + " cores; rows of int64 + varchar + " + options.dim
                + "-dim vector; the source on " + figures.get("queue").asText());
        MilvusClientV2 source = MilvusTables.connect(stack.source(options.queue));
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        ObjectNode took = figures.putObject("partSeconds");
        long[] partStart = {System.nanoTime()};
        java.util.function.Consumer<String> part = name -> {
            took.put(name, round2(seconds(partStart[0])));
            partStart[0] = System.nanoTime();
        };
        try {
            double ceiling = ceiling(target);
            part.accept("ceiling");
            if (options.parts.contains("catchup") || options.parts.contains("live") || options.parts.contains("snapshot")) {
                try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink"), 1)) {
                    part.accept("cluster");
                    if (options.parts.contains("catchup")) {
                        for (String delivery : options.catchUpDeliveries) {
                            catchUp(flink, source, target, ceiling, delivery);
                            part.accept("catchUp " + delivery);
                        }
                    }
                    if (options.parts.contains("live")) {
                        live(flink, source, target, ceiling);
                        part.accept("live and delays");
                    }
                    if (options.parts.contains("snapshot")) {
                        snapshot(flink, source, target, ceiling);
                        part.accept("snapshot");
                    }
                }
                part.accept("cluster stopped");
            }
            save();
            if (options.parts.contains("scale")) {
                scaleOut(source, target, ceiling);
                part.accept("scale-out");
                save();
            }
            if (options.parts.contains("many") && options.collections > 0) {
                try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink-many"), 1)) {
                    manyCollections(flink, source, target);
                }
                part.accept("many collections");
            }
            row("time per part (s)", took.toString());
        } finally {
            source.close();
            target.close();
        }
        save();
        return figures;
    }

    /** The figures so far (a part that fails leaves those of the parts before it). */
    private void save() throws java.io.IOException {
        Files.writeString(dir.resolve("benchmark.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(figures));
    }

    public List<String> table() {
        return table;
    }

    // ---------------------------------------------------------------- 1. the target's own ceiling

    /** Best rows/s of inserting {@code rows} straight into the target with 1, 2, 4 clients, until all are queryable. */
    private double ceiling(MilvusClientV2 target) throws Exception {
        ObjectNode out = figures.putObject("ceiling");
        double best = 0;
        for (int clients : options.clients) {
            String name = "bench_ceiling_" + clients + "_" + run;
            create(target, name);
            long t0 = System.nanoTime();
            write(target, name, 0, options.rows, clients);
            waitForCount(target, name, options.rows, Duration.ofMinutes(10 + options.rows / 10_000));
            double rate = options.rows / seconds(t0);
            out.put(clients + " clients", Math.round(rate));
            row("target's own ingest, " + clients + " client(s), batches of " + options.batch, fmt(rate) + " rows/s");
            best = Math.max(best, rate);
            target.dropCollection(DropCollectionReq.builder().collectionName(name).build());
        }
        out.put("best", Math.round(best));
        return best;
    }

    // ---------------------------------------------------------------- 2. catch-up after a stop

    private void catchUp(FlinkCluster flink, MilvusClientV2 source, MilvusClientV2 target, double ceiling,
                         String delivery) throws Exception {
        boolean exactlyOnce = "exactly-once".equals(delivery);
        String name = "bench_catchup_" + (exactlyOnce ? "" : "alo_") + run;
        Path cdcYaml = cdcYaml(exactlyOnce ? "catchup" : "catchup-alo", "default." + name, delivery);
        String job = replicateNewCollection(flink, cdcYaml, source, target, name);
        String savepoint = flink.stopWithSavepoint(job, dir.resolve("savepoints"));
        write(source, name, 0, options.rows, options.clients[options.clients.length - 1]);

        String resumed = flink.submitFrom(savepoint, jar, "--config", cdcYaml.toString());
        CpuProfile profile = options.profile
                ? CpuProfile.start(flink.taskManagerPid(), dir.resolve((exactlyOnce ? "catchup" : "catchup-alo") + ".jfr")) : null;
        Usage usage = new Usage(flink);
        long t0 = System.nanoTime();
        waitForCount(target, name, options.rows, Duration.ofMinutes(10 + options.rows / 2_000), usage);
        double rate = options.rows / seconds(t0);
        if (profile != null) {
            System.err.println(profile.stop(25));
        }
        ObjectNode out = figures.putObject(exactlyOnce ? "catchUp" : "catchUpAtLeastOnce");
        out.put("rowsPerSecond", Math.round(rate));
        out.put("ratioToCeiling", round2(rate / ceiling));
        out.put("restarts", flink.restarts(resumed));
        usage.finish(out, options.rows);
        checkpoints(flink, resumed, out);
        row("CDC catch-up, " + delivery + " (" + options.rows + " rows written while the job was stopped)",
                fmt(rate) + " rows/s = " + round2(rate / ceiling) + "x the ceiling; restarts " + out.get("restarts"));
        row("  TaskManager during catch-up", usage.describe(out));
        row("  checkpoints", describeCheckpoints(out));
        flink.cancel(resumed);
    }

    // ---------------------------------------------------------------- 2b. initial snapshot

    /**
     * {@code startup.mode: initial} over a source that already holds the rows: from {@code flink run}
     * until the target holds them all (it is loaded once its copy is done, so its count answers then).
     */
    private void snapshot(FlinkCluster flink, MilvusClientV2 source, MilvusClientV2 target, double ceiling) throws Exception {
        String name = "bench_snapshot_" + run;
        create(source, name);
        write(source, name, 0, options.rows, options.clients[options.clients.length - 1]);
        Path phaseDir = dir.resolve("snapshot");
        Files.createDirectories(phaseDir);
        Path cdcYaml = FlinkCluster.cdcYaml(stack, options.queue, phaseDir, "selection:", "  include: ['default." + name + "']",
                "checkpointInterval: " + options.checkpointInterval.toSeconds() + "s", "startup:", "  mode: initial");
        Usage usage = new Usage(flink);
        long t0 = System.nanoTime();
        String job = flink.submit(jar, "--config", cdcYaml.toString());
        long deadline = System.nanoTime() + Duration.ofMinutes(10 + options.rows / 2_000).toNanos();
        while (true) {
            try {
                if (MilvusTables.count(target, name) >= options.rows) {
                    break;
                }
            } catch (RuntimeException e) {
                // not created or not loaded yet: the load follows the copy
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + ": the initial snapshot did not bring " + options.rows + " rows");
            }
            usage.sample();
            Thread.sleep(200);
        }
        double rate = options.rows / seconds(t0);
        ObjectNode out = figures.putObject("snapshot");
        out.put("rowsPerSecond", Math.round(rate));
        out.put("ratioToCeiling", round2(rate / ceiling));
        out.put("restarts", flink.restarts(job));
        usage.finish(out, options.rows);
        checkpoints(flink, job, out);
        row("initial snapshot (" + options.rows + " rows in the source; from flink run until all are on the target, loaded)",
                fmt(rate) + " rows/s = " + round2(rate / ceiling) + "x the ceiling; restarts " + out.get("restarts"));
        row("  TaskManager during the snapshot", usage.describe(out));
        row("  checkpoints", describeCheckpoints(out));
        flink.cancel(job);
        dropEverywhere(source, target, List.of(name));
    }

    // ---------------------------------------------------------------- 3. live, 4. lag

    private void live(FlinkCluster flink, MilvusClientV2 source, MilvusClientV2 target, double ceiling) throws Exception {
        String name = "bench_live_" + run;
        String job = replicateNewCollection(flink, cdcYaml("live", "default." + name + "*"), source, target, name);

        // Live: one client writes as fast as it can while the job runs.
        Usage usage = new Usage(flink);
        long t0 = System.nanoTime();
        write(source, name, 0, options.rows, 1);
        double writeSeconds = seconds(t0);
        long t1 = System.nanoTime();
        waitForCount(target, name, options.rows, Duration.ofMinutes(10 + options.rows / 2_000), usage);
        double lastRowDelay = seconds(t1);
        double targetRate = options.rows / seconds(t0);
        ObjectNode out = figures.putObject("live");
        out.put("sourceRowsPerSecond", Math.round(options.rows / writeSeconds));
        out.put("targetRowsPerSecond", Math.round(targetRate));
        out.put("ratioToCeiling", round2(targetRate / ceiling));
        out.put("lastRowDelaySeconds", round2(lastRowDelay));
        usage.finish(out, options.rows);
        row("CDC live (1 client writing " + fmt(options.rows / writeSeconds) + " rows/s into the source)",
                fmt(targetRate) + " rows/s on the target = " + round2(targetRate / ceiling) + "x the ceiling; last row "
                        + round2(lastRowDelay) + " s after the last write");
        row("  TaskManager while live", usage.describe(out));

        ObjectNode lag = figures.putObject("lag");
        processes = new LinkedHashMap<>();
        processes.put("source Milvus", stack.pid(MilvusStack.sourceServer(options.queue)));
        processes.put("target Milvus", stack.pid("targetMilvus"));
        processes.put("Kafka", stack.pid("kafka")); // the target's queue on either
        if (options.queue == MilvusStack.Queue.PULSAR) {
            processes.put("Pulsar", stack.pid("pulsar"));
        }
        processes.put("TaskManager", flink.taskManagerPid());
        targetOwnDelays(target, ceiling, lag.putObject("target itself"));
        delays(source, target, name, options.rows, "exactly-once", ceiling, lag.putObject("exactly-once"));
        checkpoints(flink, job, figures.putObject("liveCheckpoints"));
        flink.cancel(job);

        // The same delays with operations applied as they come.
        String fast = "bench_alo_" + run;
        String fastJob = replicateNewCollection(flink, cdcYaml("at-least-once", "default." + fast + "*", "at-least-once"),
                source, target, fast);
        delays(source, target, fast, 0, "at-least-once", ceiling, lag.putObject("at-least-once"));
        flink.cancel(fastJob);
    }

    /** The processes whose CPU the delay phases account for (the machine's cores are shared). */
    private Map<String, Long> processes = Map.of();

    private java.util.SortedSet<Integer> lagRates(double ceiling) {
        java.util.SortedSet<Integer> rates = new java.util.TreeSet<>();
        Arrays.stream(options.lagRates).forEach(rates::add);
        if (options.lagAtHalfCeiling) {
            rates.add((int) Math.round(ceiling / 2 / 100) * 100);
        }
        return rates;
    }

    /**
     * The floor of every delay below: rows written straight into the target at the same rates,
     * from its answer to the first poll that finds them (its own time to make them readable).
     */
    private void targetOwnDelays(MilvusClientV2 target, double ceiling, ObjectNode out) throws Exception {
        String name = "bench_direct_" + run;
        create(target, name);
        long next = 0;
        for (int rate : lagRates(ceiling)) {
            next = lag(target, target, name, next, rate, TARGET_ITSELF, out.putObject(rate + " rows/s"));
        }
        target.dropCollection(DropCollectionReq.builder().collectionName(name).build());
    }

    private static final String TARGET_ITSELF = "the target itself (rows written straight into it)";

    /** Row delays at each steady rate, then DDL delays, into {@code out}. */
    private void delays(MilvusClientV2 source, MilvusClientV2 target, String name, long from, String delivery,
                        double ceiling, ObjectNode out) throws Exception {
        long next = from;
        for (int rate : lagRates(ceiling)) {
            next = lag(source, target, name, next, rate, delivery, out.putObject(rate + " rows/s"));
        }
        ddlDelay(source, target, name + "_ddl", delivery, out.putObject("ddl"));
    }

    /**
     * Writes batches at {@code rate} rows/s for {@code lagFor} (10 rows, or 20 batches a second
     * above 200 rows/s; 4 writers, so that a slow insert does not hold back the next), while a
     * poller looks for each batch on the target (eventual consistency: the first moment it is
     * readable); per row, the delay from the source's answer to the first poll that finds it.
     */
    private long lag(MilvusClientV2 source, MilvusClientV2 target, String name, long from, int rate, String delivery,
                     ObjectNode out)
            throws Exception {
        int perBatch = Math.max(10, rate / 20);
        long batches = Math.max(1, options.lagFor.toSeconds() * rate / perBatch);
        long intervalNanos = 1_000_000_000L * perBatch / rate;
        ConcurrentLinkedQueue<long[]> acked = new ConcurrentLinkedQueue<>(); // {first key, ack nanos}
        List<Double> delays = new ArrayList<>();
        AtomicLong written = new AtomicLong();
        ExecutorService poller = Executors.newSingleThreadExecutor();
        Future<?> polling = poller.submit(() -> {
            List<long[]> waiting = new ArrayList<>();
            while (written.get() < batches || !waiting.isEmpty() || !acked.isEmpty()) {
                for (long[] a; (a = acked.poll()) != null; ) {
                    waiting.add(a);
                }
                if (waiting.isEmpty()) {
                    Thread.sleep(5);
                    continue;
                }
                List<long[]> ask = waiting.subList(0, Math.min(200, waiting.size()));
                String keys = ask.stream().map(a -> Long.toString(a[0])).collect(Collectors.joining(","));
                QueryResp resp = target.query(QueryReq.builder().collectionName(name).filter("id in [" + keys + "]")
                        .outputFields(List.of("id")).consistencyLevel(ConsistencyLevel.EVENTUALLY).build());
                long now = System.nanoTime();
                Set<Long> seen = resp.getQueryResults().stream().map(r -> ((Number) r.getEntity().get("id")).longValue())
                        .collect(Collectors.toSet());
                List<long[]> still = new ArrayList<>();
                for (long[] a : ask) {
                    if (seen.contains(a[0])) {
                        double d = (now - a[1]) / 1e9;
                        for (int i = 0; i < perBatch; i++) {
                            delays.add(d);
                        }
                    } else {
                        still.add(a);
                    }
                }
                still.addAll(waiting.subList(ask.size(), waiting.size())); // oldest first
                waiting = still;
                Thread.sleep(20);
            }
            return null;
        });
        ExecutorService writers = Executors.newFixedThreadPool(4);
        List<Future<?>> inserts = new ArrayList<>();
        // Messages each Milvus put on Kafka meanwhile (the target's own log is on the same broker).
        // A source on Pulsar puts none there.
        List<String> milvusPrefixes = List.of(stack.source(options.queue).channelPrefix(), stack.target().channelPrefix());
        Map<String, Long> messagesBefore = MilvusWal.kafkaMessages(stack.kafkaBootstrap(), milvusPrefixes);
        boolean profiled = options.profile && processes.containsKey("TaskManager") && !TARGET_ITSELF.equals(delivery)
                && rate == Arrays.stream(options.lagRates).min().orElse(-1); // the lowest rate: per-request costs show
        CpuProfile profile = profiled ? CpuProfile.start(processes.get("TaskManager"),
                dir.resolve("lag-" + delivery + "-" + rate + ".jfr")) : null;
        MachineCpu cpu = MachineCpu.start(processes);
        long start = System.nanoTime();
        for (long b = 0; b < batches; b++) {
            long due = start + b * intervalNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            long first = from + b * perBatch;
            List<JsonObject> data = rows(new Random(first), first, perBatch);
            inserts.add(writers.submit(() -> {
                source.insert(InsertReq.builder().collectionName(name).data(data).build());
                acked.add(new long[] {first, System.nanoTime()});
                written.incrementAndGet();
                return null;
            }));
        }
        for (Future<?> insert : inserts) {
            insert.get(2, java.util.concurrent.TimeUnit.MINUTES);
        }
        writers.shutdown();
        double achieved = batches * perBatch / seconds(start);
        double busy = cpu.busyShare();
        Map<String, Double> cores = cpu.coresByProcess();
        if (profile != null) {
            System.err.println("== TaskManager, " + delivery + " at " + rate + " rows/s\n" + profile.stop(25));
        }
        Map<String, Long> messagesAfter = MilvusWal.kafkaMessages(stack.kafkaBootstrap(), milvusPrefixes);
        long sourceMessages = messagesAfter.get(milvusPrefixes.get(0)) - messagesBefore.get(milvusPrefixes.get(0));
        long targetMessages = messagesAfter.get(milvusPrefixes.get(1)) - messagesBefore.get(milvusPrefixes.get(1));
        out.put("sourceKafkaMessages", sourceMessages);
        out.put("targetKafkaMessages", targetMessages);
        ObjectNode cpuOut = out.putObject("cpuWhileWriting");
        cpuOut.put("machineBusyShare", round2(busy));
        cores.forEach((process, used) -> cpuOut.put(process + " cores", round2(used)));
        polling.get(5, java.util.concurrent.TimeUnit.MINUTES);
        poller.shutdownNow();
        double[] sorted = delays.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        out.put("achievedRowsPerSecond", Math.round(achieved));
        out.put("p50Seconds", round2(percentile(sorted, 0.50)));
        out.put("p99Seconds", round2(percentile(sorted, 0.99)));
        out.put("maxSeconds", round2(sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]));
        row("lag, " + delivery + ", at " + rate + " rows/s (achieved " + fmt(achieved) + ")"
                + (TARGET_ITSELF.equals(delivery) ? "" : ", " + options.checkpointInterval.toSeconds() + " s checkpoints"), "p50 " + out.get("p50Seconds") + " s, p99 " + out.get("p99Seconds") + " s, max "
                + out.get("maxSeconds") + " s; cores " + Math.round(100 * busy) + "% busy ("
                + cores.entrySet().stream().map(e -> e.getKey() + " " + round2(e.getValue()))
                        .collect(Collectors.joining(", ")) + "); Kafka messages: source " + sourceMessages
                + ", target " + targetMessages);
        return from + batches * perBatch;
    }

    /** Delay of a CreateCollection and of a CreatePartition, source answer to visible on the target. */
    private void ddlDelay(MilvusClientV2 source, MilvusClientV2 target, String name, String delivery, ObjectNode out)
            throws Exception {
        CreateCollectionReq.CollectionSchema schema = schema();
        source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).build());
        long t0 = System.nanoTime();
        ChaosRun.waitUntil("the collection on the target", Duration.ofMinutes(2), () ->
                target.hasCollection(HasCollectionReq.builder().collectionName(name).build()));
        double collection = seconds(t0);
        source.createPartition(CreatePartitionReq.builder().collectionName(name).partitionName("p1").build());
        long t1 = System.nanoTime();
        ChaosRun.waitUntil("the partition on the target", Duration.ofMinutes(2), () ->
                target.hasPartition(HasPartitionReq.builder().collectionName(name).partitionName("p1").build()));
        double partition = seconds(t1);
        out.put("createCollectionSeconds", round2(collection));
        out.put("createPartitionSeconds", round2(partition));
        row("DDL on the target after the source's answer, " + delivery, "create collection " + round2(collection)
                + " s, create partition " + round2(partition) + " s (polled every 50 ms)");
    }

    // ---------------------------------------------------------------- 5. scale-out

    /**
     * The catch-up of {@link Options#rows} spread over {@link Options#scaleCollections} collections (the source reads
     * the channels and the collection sequencer a collection in each subtask; the sink applies one target database,
     * here one, in one subtask), at each parallelism and number of TaskManagers, each on a cluster of its own.
     */
    private void scaleOut(MilvusClientV2 source, MilvusClientV2 target, double ceiling) throws Exception {
        ObjectNode out = figures.putObject("scaleOut");
        int collections = options.scaleCollections;
        for (int[] config : options.scale) {
            int parallelism = config[0];
            int taskManagers = config[1];
            String label = parallelism + " slots on " + taskManagers + " TaskManager(s)";
            String prefix = "bench_scale_" + parallelism + "x" + taskManagers + "_" + run;
            try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink-" + parallelism + "x" + taskManagers),
                    taskManagers, null, (parallelism + taskManagers - 1) / taskManagers)) {
                Path cdcYaml = cdcYaml("scale-" + parallelism + "x" + taskManagers, "default." + prefix + "_*");
                String job = flink.submitFrom(null, parallelism, jar, "--config", cdcYaml.toString());
                ChaosRun.waitUntil("the job runs", Duration.ofMinutes(2), () -> flink.completedCheckpoints(job) > 0);
                List<String> names = new ArrayList<>();
                for (int c = 0; c < collections; c++) {
                    names.add(prefix + "_" + c);
                    create(source, names.get(c));
                }
                for (String name : names) {
                    waitForCollection(target, name);
                }
                String savepoint = flink.stopWithSavepoint(job, dir.resolve("savepoints"));
                long per = options.rows / collections;
                for (String name : names) {
                    write(source, name, 0, per, options.clients[options.clients.length - 1]);
                }
                String resumed = flink.submitFrom(savepoint, parallelism, jar, "--config", cdcYaml.toString());
                Usage usage = new Usage(flink);
                long t0 = System.nanoTime();
                for (String name : names) {
                    waitForCount(target, name, per, Duration.ofMinutes(10 + options.rows / 2_000), usage);
                }
                double rate = per * collections / seconds(t0);
                ObjectNode one = out.putObject(parallelism + "x" + taskManagers);
                one.put("parallelism", parallelism);
                one.put("taskManagers", taskManagers);
                one.put("rowsPerSecond", Math.round(rate));
                one.put("ratioToCeiling", round2(rate / ceiling));
                one.put("restarts", flink.restarts(resumed));
                usage.finish(one, per * collections);
                row("scale-out: catch-up of " + per * collections + " rows in " + collections + " collections, " + label,
                        fmt(rate) + " rows/s = " + round2(rate / ceiling) + "x the ceiling; " + one.get("rowsPerCpuSecond")
                                + " rows per CPU-second; restarts " + one.get("restarts"));
                flink.cancel(resumed);
                dropEverywhere(source, target, names);
            }
        }
    }

    // ---------------------------------------------------------------- 6. many collections at once

    /**
     * {@link Options#collections} collections created on the source while the job runs (10 s
     * checkpoints, the shipped 2 GB TaskManager), a few rows written into each: every one reaches
     * the target with its rows, and what the TaskManager held meanwhile.
     */
    private void manyCollections(FlinkCluster flink, MilvusClientV2 source, MilvusClientV2 target) throws Exception {
        String prefix = "bench_many_" + run;
        Path cdcYaml = cdcYaml("many", "default." + prefix + "_*", "exactly-once", Duration.ofSeconds(10));
        String job = flink.submit(jar, "--config", cdcYaml.toString());
        ChaosRun.waitUntil("the job runs", Duration.ofMinutes(2), () -> flink.completedCheckpoints(job) > 0);
        Usage usage = new Usage(flink);
        long t0 = System.nanoTime();
        List<String> names = new ArrayList<>();
        for (int c = 0; c < options.collections; c++) {
            names.add(prefix + "_" + c);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> parts = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int first = w;
                parts.add(pool.submit(() -> {
                    Random random = new Random(first);
                    for (int c = first; c < names.size(); c += 4) {
                        source.createCollection(CreateCollectionReq.builder().collectionName(names.get(c))
                                .collectionSchema(schema()).numShards(1).build());
                        source.insert(InsertReq.builder().collectionName(names.get(c))
                                .data(rows(random, 0, options.rowsPerCollection)).build());
                        if (c % 100 == 0) {
                            usage.sample();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> part : parts) {
                part.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double writeSeconds = seconds(t0);
        long expected = (long) options.collections * options.rowsPerCollection;
        long deadline = System.nanoTime() + Duration.ofMinutes(10 + options.collections / 50).toNanos();
        long held = 0;
        List<String> missing = new ArrayList<>(names);
        Map<String, Long> counted = new HashMap<>();
        while (true) {
            usage.sample();
            missing.removeIf(name -> target.hasCollection(HasCollectionReq.builder().collectionName(name).build()));
            if (missing.isEmpty()) {
                // The target's row counts without loading 1,000 collections: its statistics count
                // sealed segments, so seal what has arrived in the collections still short, then
                // count those. The flush is asked for, not waited for (a busy target misses any
                // wait's deadline): what it sealed is counted on a later round.
                List<String> shortOfRows = names.stream()
                        .filter(n -> counted.getOrDefault(n, 0L) < options.rowsPerCollection).toList();
                for (int from = 0; from < shortOfRows.size(); from += 100) {
                    try {
                        target.flush(FlushReq.builder()
                                .collectionNames(shortOfRows.subList(from, Math.min(shortOfRows.size(), from + 100)))
                                .waitFlushedTimeoutMs(1_000L).build());
                    } catch (RuntimeException e) {
                        // Sealed, not yet flushed: counted later.
                    }
                }
                for (String name : shortOfRows) {
                    counted.put(name, target.getCollectionStats(GetCollectionStatsReq.builder().collectionName(name)
                            .build()).getNumOfEntities());
                }
                held = counted.values().stream().mapToLong(Long::longValue).sum();
            }
            if (missing.isEmpty() && held >= expected) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("after " + Duration.ofNanos(System.nanoTime() - t0).toSeconds()
                        + " s the target holds " + (names.size() - missing.size()) + " of " + names.size()
                        + " collections and " + held + " of " + expected + " rows");
            }
            Thread.sleep(5_000);
        }
        double allSeconds = seconds(t0);
        ObjectNode out = figures.putObject("manyCollections");
        out.put("collections", names.size());
        out.put("rows", expected);
        out.put("sourceWriteSeconds", round2(writeSeconds));
        out.put("allOnTargetSeconds", round2(allSeconds));
        out.put("restarts", flink.restarts(job));
        out.put("taskManagerHeapMaxMiB", flink.taskManagerHeapMax() >> 20);
        usage.finish(out, expected);
        checkpoints(flink, job, out);
        row(names.size() + " collections created and written (" + options.rowsPerCollection
                        + " rows each) while the job runs, 10 s checkpoints",
                "all on the target with their rows " + round2(allSeconds) + " s after the first create (the source took "
                        + round2(writeSeconds) + " s); restarts " + out.get("restarts") + "; peak RSS "
                        + out.get("taskManagerPeakRssMiB") + " MiB, heap up to " + out.get("taskManagerMaxHeapSampledMiB")
                        + " of " + out.get("taskManagerHeapMaxMiB") + " MiB");
        row("  checkpoints", describeCheckpoints(out));
        flink.cancel(job);
        dropEverywhere(source, target, names);
    }

    // ---------------------------------------------------------------- the TaskManager's spending

    /** CPU time, peak resident memory and heap of the TaskManager over a phase. */
    private static final class Usage {
        private final FlinkCluster flink;
        private final long cpu0;
        private final Map<String, Long> threads0;
        private final long t0 = System.nanoTime();
        private long maxHeap;

        Usage(FlinkCluster flink) throws Exception {
            this.flink = flink;
            this.cpu0 = flink.taskManagerCpuNanos();
            this.threads0 = flink.taskManagerThreadTicks();
        }

        synchronized void sample() throws Exception {
            maxHeap = Math.max(maxHeap, flink.taskManagerHeapUsed());
        }

        void finish(ObjectNode out, long rows) throws Exception {
            double cpu = (flink.taskManagerCpuNanos() - cpu0) / 1e9;
            out.put("taskManagerCpuSeconds", round2(cpu));
            out.put("rowsPerCpuSecond", Math.round(rows / cpu));
            out.put("cpuSecondsPer1000Rows", round2(cpu * 1000 / rows));
            out.put("taskManagerCpuShare", round2(cpu / seconds(t0)));
            out.put("taskManagerPeakRssMiB", flink.taskManagerPeakRss() >> 20);
            out.put("taskManagerMaxHeapSampledMiB", maxHeap >> 20);
            // Where the TaskManager's CPU went by kind of thread (a Java profiler sees neither GC nor JIT).
            Map<String, Long> threads = flink.taskManagerThreadTicks();
            long all = threads.keySet().stream().mapToLong(k -> threads.get(k) - threads0.getOrDefault(k, 0L)).sum();
            for (String kind : threads.keySet()) {
                out.put("cpuShare_" + kind, all <= 0 ? 0 : round2((double) (threads.get(kind) - threads0.getOrDefault(kind, 0L)) / all));
            }
            // A freshly submitted job compiles its classes while it runs: a short part pays that warm-up.
            out.put("rowsPerCpuSecondWithoutJit", Math.round(rows / (cpu * (1 - out.path("cpuShare_jit").asDouble()))));
        }

        String describe(ObjectNode out) {
            return out.get("rowsPerCpuSecond") + " rows per CPU-second (" + out.get("cpuSecondsPer1000Rows")
                    + " CPU-s per 1,000 rows; " + out.get("rowsPerCpuSecondWithoutJit") + " without the JIT's warm-up),"
                    + " peak RSS " + out.get("taskManagerPeakRssMiB") + " MiB, heap up to "
                    + out.get("taskManagerMaxHeapSampledMiB") + " MiB; CPU in garbage collection "
                    + Math.round(100 * out.path("cpuShare_gc").asDouble()) + "%, in the JIT "
                    + Math.round(100 * out.path("cpuShare_jit").asDouble()) + "%, in RocksDB's background threads "
                    + Math.round(100 * out.path("cpuShare_rocksdb").asDouble()) + "%";
        }
    }

    private static void checkpoints(FlinkCluster flink, String job, ObjectNode out) throws Exception {
        JsonNode summary = flink.checkpointSummary(job);
        out.put("checkpoints", flink.completedCheckpoints(job));
        out.put("checkpointSizeMaxBytes", summary.path("checkpointed_size").path("max").asLong());
        out.put("checkpointDurationP99Ms", summary.path("end_to_end_duration").path("p99").asLong());
        out.put("checkpointDurationMaxMs", summary.path("end_to_end_duration").path("max").asLong());
    }

    private static String describeCheckpoints(ObjectNode out) {
        return out.get("checkpoints") + " completed, up to " + (out.get("checkpointSizeMaxBytes").asLong() >> 10)
                + " KiB, end-to-end p99 " + out.get("checkpointDurationP99Ms") + " ms, max "
                + out.get("checkpointDurationMaxMs") + " ms";
    }

    // ---------------------------------------------------------------- helpers

    /** Submits the job, then creates {@code name} on the source; returns once the target has it loaded. */
    private String replicateNewCollection(FlinkCluster flink, Path cdcYaml, MilvusClientV2 source, MilvusClientV2 target,
                                          String name) throws Exception {
        String job = flink.submit(jar, "--config", cdcYaml.toString());
        ChaosRun.waitUntil("the job runs", Duration.ofMinutes(2), () -> flink.completedCheckpoints(job) > 0);
        create(source, name);
        waitForCollection(target, name);
        return job;
    }

    private Path cdcYaml(String phase, String include) throws Exception {
        return cdcYaml(phase, include, "exactly-once");
    }

    private Path cdcYaml(String phase, String include, String delivery) throws Exception {
        return cdcYaml(phase, include, delivery, options.checkpointInterval);
    }

    private Path cdcYaml(String phase, String include, String delivery, Duration checkpointInterval) throws Exception {
        Path phaseDir = dir.resolve(phase);
        Files.createDirectories(phaseDir);
        return FlinkCluster.cdcYaml(stack, options.queue, phaseDir, "selection:", "  include: ['" + include + "']",
                "checkpointInterval: " + checkpointInterval.toSeconds() + "s", "delivery: " + delivery);
    }

    /** Drops {@code names} on the source and the target (after the job is gone). */
    private static void dropEverywhere(MilvusClientV2 source, MilvusClientV2 target, List<String> names) {
        for (String name : names) {
            source.dropCollection(DropCollectionReq.builder().collectionName(name).build());
            target.dropCollection(DropCollectionReq.builder().collectionName(name).build());
        }
    }

    private CreateCollectionReq.CollectionSchema schema() {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("tag").dataType(DataType.VarChar).maxLength(64).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(options.dim).build());
        return schema;
    }

    /** A collection of the benchmark's rows, indexed (FLAT) and loaded, 2 shards. */
    private void create(MilvusClientV2 client, String name) {
        client.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema())
                .numShards(2).build());
        client.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build())).build());
        client.loadCollection(LoadCollectionReq.builder().collectionName(name).timeout(120_000L).build());
    }

    private static void waitForCollection(MilvusClientV2 target, String name) throws Exception {
        ChaosRun.waitUntil("the collection indexed and loaded on the target", Duration.ofMinutes(2), () ->
                target.hasCollection(HasCollectionReq.builder().collectionName(name).build())
                        && target.getLoadState(GetLoadStateReq.builder().collectionName(name).build()));
    }

    /** Keys {@code [from, from + rows)} in batches, split across {@code clients} threads sharing one client. */
    private void write(MilvusClientV2 client, String name, long from, long rows, int clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> parts = new ArrayList<>();
            long per = (rows + clients - 1) / clients;
            for (int c = 0; c < clients; c++) {
                long a = from + c * per;
                long b = Math.min(from + rows, a + per);
                parts.add(pool.submit(() -> {
                    Random random = new Random(a);
                    for (long k = a; k < b; k += options.batch) {
                        client.insert(InsertReq.builder().collectionName(name)
                                .data(rows(random, k, (int) Math.min(options.batch, b - k))).build());
                    }
                    return null;
                }));
            }
            for (Future<?> part : parts) {
                part.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private List<JsonObject> rows(Random random, long first, int n) {
        List<JsonObject> out = new ArrayList<>(n);
        for (long k = first; k < first + n; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            row.addProperty("tag", "row-" + k);
            JsonArray vec = new JsonArray(options.dim);
            for (int i = 0; i < options.dim; i++) {
                vec.add(random.nextFloat());
            }
            row.add("vec", vec);
            out.add(row);
        }
        return out;
    }

    private static void waitForCount(MilvusClientV2 client, String name, long rows, Duration limit) throws Exception {
        waitForCount(client, name, rows, limit, null);
    }

    private static void waitForCount(MilvusClientV2 client, String name, long rows, Duration limit, Usage usage)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (MilvusTables.count(client, name) < rows) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + ": fewer than " + rows + " rows after " + limit);
            }
            if (usage != null) {
                usage.sample();
            }
            Thread.sleep(200);
        }
    }

    private void row(String what, String figure) {
        table.add(String.format(Locale.ROOT, "| %s | %s |", what, figure));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%,d", Math.round(v));
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    /**
     * {@code BenchmarkRun STACK_JSON JAR DIR [--rows N] [--dim D] [--batch B] [--clients 1,2,4]
     * [--lag-rates 200,1000] [--lag-seconds S] [--checkpoint-seconds C] [--profile] [--scale 2x1,4x1,4x2|none]
     * [--collections N] [--rows-per-collection R] [--parts catchup,live,scale,many] [--queue kafka|pulsar]}:
     * scripts/benchmark.sh.
     */
    public static void main(String[] args) throws Exception {
        Options options = new Options();
        for (int i = 3; i < args.length; i += 2) {
            if (args[i].equals("--profile")) {
                options.profile = true;
                i--;
                continue;
            }
            String v = args[i + 1];
            switch (args[i]) {
                case "--rows": options.rows = Long.parseLong(v); break;
                case "--dim": options.dim = Integer.parseInt(v); break;
                case "--batch": options.batch = Integer.parseInt(v); break;
                case "--clients": options.clients = ints(v); break;
                case "--lag-rates": options.lagRates = ints(v); break;
                case "--lag-seconds": options.lagFor = Duration.ofSeconds(Long.parseLong(v)); break;
                case "--checkpoint-seconds": options.checkpointInterval = Duration.ofSeconds(Long.parseLong(v)); break;
                case "--scale": options.scale = scale(v); break;
                case "--collections": options.collections = Integer.parseInt(v); break;
                case "--rows-per-collection": options.rowsPerCollection = Integer.parseInt(v); break;
                case "--parts": options.parts = Set.of(v.split(",")); break;
                case "--queue": options.queue = MilvusStack.Queue.valueOf(v.toUpperCase(java.util.Locale.ROOT)); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        BenchmarkRun run = new BenchmarkRun(MilvusStack.read(Path.of(args[0])), Path.of(args[1]), Path.of(args[2]), options);
        int status = 0;
        try {
            run.run();
        } catch (Exception | Error e) {
            // A server that died mid-run (a target Milvus crash was seen) must end the run, not
            // leave it waiting on its writers' threads.
            e.printStackTrace();
            status = 1;
        } finally {
            System.out.println("| measured | figure |");
            System.out.println("|---|---|");
            run.table().forEach(System.out::println);
            System.out.println("JSON: " + Path.of(args[2]).resolve("benchmark.json"));
        }
        System.exit(status);
    }

    /** {@code 2x1,4x1,4x2}: parallelism x TaskManagers; "none" for no scale-out runs. */
    private static int[][] scale(String csv) {
        if (csv.equals("none")) {
            return new int[0][];
        }
        return Arrays.stream(csv.split(",")).map(c -> Arrays.stream(c.split("x")).mapToInt(Integer::parseInt).toArray())
                .toArray(int[][]::new);
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
