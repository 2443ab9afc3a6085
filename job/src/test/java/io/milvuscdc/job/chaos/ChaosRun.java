package io.milvuscdc.job.chaos;

import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusTables;

import io.milvus.v2.client.MilvusClientV2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One randomized run: the shaded job on a real Flink standalone cluster, a seeded workload on
 * the source, the TaskManager killed with {@code kill -9} at random moments (every other kill
 * right after a checkpoint completes, when the committer is applying it) and restarted; then,
 * once the job has caught up, the oracle compares every collection. Prints the figures.
 *
 * <p>{@code scripts/chaos.sh --ops N --kills K --seed S} runs it at any size.
 */
public final class ChaosRun {

    /** The fault injected while the workload writes. */
    public enum Fault {
        /** {@code kill -9} of the TaskManager, started again after up to 3 s. */
        TASKMANAGER(null),
        /** The target Milvus killed ({@code kill -9}) and started again after {@link Options#outage}. */
        TARGET_DOWN("targetMilvus"),
        /** The source Milvus killed and started again after the outage (its writers fail meanwhile). */
        SOURCE_DOWN("sourceMilvus"),
        /**
         * The target refuses every write for {@link Options#outage} (its quota's
         * {@code limitWriting.forceDeny}, set through Milvus's dynamic configuration in etcd): the
         * job must take the refusal as passing and retry, nothing lost.
         */
        TARGET_DENIES_WRITES(null),
        /*
         * A broker or etcd coming back is followed by a restart of the Milvus servers on it, as
         * their supervisor would do: Milvus 2.3.5 standalone does not always resume its own
         * consumers or session (its loads then time out), which would leave the shared stack
         * broken for the tests after. The job meets the outage first, then those restarts.
         */
        /** The Kafka broker killed and started again after the outage (the source and the target Milvus run on it). */
        KAFKA_DOWN("kafka", "sourceMilvus", "targetMilvus"),
        /**
         * The Pulsar standalone stopped and started again after the outage (the job reads the source
         * on Pulsar). Stopped with SIGTERM: after a {@code kill -9} its one bookie could no longer
         * read a ledger ("LastConfirmedEntry is null when reading ledger 51"), a broken broker.
         */
        PULSAR_DOWN("pulsar", "pulsarSourceMilvus"),
        /** etcd killed and started again after the outage (every Milvus keeps its catalog there). */
        ETCD_DOWN("etcd", "sourceMilvus", "pulsarSourceMilvus", "targetMilvus"),
        /**
         * An upgrade as an operator makes it: {@code flink stop --savepointPath}, the writers going
         * on for {@link Options#outage}, then {@code flink run -s} of the savepoint at another
         * parallelism (4, then 2, in turn; the cluster has 4 slots).
         */
        UPGRADE(null);

        /** The key of the server in stack.json; null for the TaskManager. */
        final String server;
        /** Servers restarted once {@link #server} is back. */
        final String[] restartAfter;

        Fault(String server, String... restartAfter) {
            this.server = server;
            this.restartAfter = restartAfter;
        }
    }

    /** What a run is asked to do. */
    public static final class Options {
        public long seed = 1;
        public long rows = 3_000;
        /** How many times the fault is injected. */
        public int kills = 3;
        public int writers = 3;
        public Duration catchUp = Duration.ofMinutes(5);
        /** The faults injected, in turn ({@link #kills} in all): e.g. etcd, then Kafka, then etcd again. */
        public List<Fault> faults = List.of(Fault.TASKMANAGER);
        /** The source's queue (a Pulsar fault reads Pulsar whatever this says). */
        public MilvusStack.Queue queue = MilvusStack.Queue.KAFKA;
        public Duration outage = Duration.ofMinutes(2);
        /** How long the job stays stopped in an {@link Fault#UPGRADE} (the writers go on); {@link #outage} when null. */
        public Duration upgradeStop;
        /** Whether to read the per-collection metrics (REST, Prometheus) once the job has caught up. */
        public boolean metrics = true;
        /** Whether the shipped verifier ({@code flink run … verify}) must agree with the oracle at the end. */
        public boolean verify = true;
        /** The job's {@code targetConfig.retryTimeout}. */
        public Duration retryTimeout = Duration.ofMinutes(5);
        /** The job's {@code targetConfig.requestTimeout} (as shipped when null). */
        public Duration requestTimeout;
        /** The job's {@code delivery}. */
        public io.milvuscdc.connectors.sink.MilvusSink.Delivery delivery =
                io.milvuscdc.connectors.sink.MilvusSink.Delivery.EXACTLY_ONCE;
    }

    /** What a run did and found. */
    public static final class Outcome {
        public Oracle.Result result;
        public final List<String> report = new ArrayList<>();
        public int kills;
        public long restarts;
        /** Why the job failed over, per failure, in every job of the run (an upgrade starts a new one). */
        public final List<String> failures = new ArrayList<>();
        /** Seconds from each fault's end until the job ran again, per fault, in order. */
        public final List<String> recovery = new ArrayList<>();

        /**
         * What {@code flink run … verify} (the shipped verifier, on the same cluster) said once the job
         * was cancelled: null when not asked (the oracle found a difference, or excused a server's own
         * loss, which the verifier rightly reports).
         */
        public Boolean verified;
        /** The per-collection metrics of the run's collections: REST, and Prometheus lines. */
        public final List<String> restMetrics = new ArrayList<>();
        public final List<String> prometheus = new ArrayList<>();
        /** The source reader's lines of the scrape (its lag, each channel's last tick). */
        public final List<String> readerPrometheus = new ArrayList<>();
        /** The first job's tasks and their parallelism (a source pinned below the job's shows here). */
        public Map<String, Integer> tasks = Map.of();
        /** Where the run's time went: seconds per phase, in order (the suite's budget is watched by it). */
        public final Map<String, Double> phases = new java.util.LinkedHashMap<>();

        public boolean passed() {
            return result != null && result.equal() && !Boolean.FALSE.equals(verified);
        }
    }

    private final MilvusStack stack;
    private final Path jar;
    private final Path dir;
    private final Options options;

    public ChaosRun(MilvusStack stack, Path jar, Path dir, Options options) {
        this.stack = stack;
        this.jar = jar;
        this.dir = dir;
        this.options = options;
    }

    public Outcome run() throws Exception {
        Outcome outcome = new Outcome();
        long[] phaseStart = {System.nanoTime()};
        java.util.function.Consumer<String> phase = name -> {
            outcome.phases.put(name, seconds(phaseStart[0]));
            phaseStart[0] = System.nanoTime();
        };
        long startMillis = System.currentTimeMillis() - 60_000; // broker clock: the same machine's
        String run = "s" + options.seed + "_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        Files.createDirectories(dir);
        Path opsLog = dir.resolve("ops.log");
        MilvusStack.Queue queue = options.faults.contains(Fault.PULSAR_DOWN) ? MilvusStack.Queue.PULSAR : options.queue;
        MilvusClientV2 source = MilvusTables.connect(stack.source(queue));
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink"), 1, null,
                options.faults.contains(Fault.UPGRADE) ? 4 : 0)) {
            Path cdcYaml = FlinkCluster.cdcYaml(stack, queue, dir,
                    "  retryTimeout: " + options.retryTimeout.toSeconds() + "s",
                    options.requestTimeout == null ? "" : "  requestTimeout: " + options.requestTimeout.toSeconds() + "s",
                    "selection:",
                    "  include: ['*." + "chaos_*" + run + "', 'chaos_db_" + run + ".*']",
                    "checkpointInterval: 2s",
                    "delivery: " + options.delivery.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            String first = flink.submit(jar, "--config", cdcYaml.toString());
            // The job's id changes with each upgrade (a new submission from a savepoint).
            java.util.concurrent.atomic.AtomicReference<String> current = new java.util.concurrent.atomic.AtomicReference<>(first);
            waitUntil("the job runs", Duration.ofMinutes(2), () -> "RUNNING".equals(state(flink, first)));
            // Let the sources start reading before the first write ("latest" starts at submission).
            waitUntil("a first checkpoint", Duration.ofMinutes(2), () -> checkpoints(flink, first) > 0);
            outcome.tasks = flink.taskParallelism(first);
            outcome.report.add("tasks (parallelism): " + outcome.tasks);
            phase.accept("cluster, job, first checkpoint");

            Workload workload = new Workload(source, run, options.seed, options.writers, options.rows,
                    4, opsLog);
            String sourceKey = MilvusStack.sourceServer(queue);
            workload.setStuckSourceRecovery(() -> {
                outcome.report.add("the source did not finish a load: " + sourceKey + " restarted");
                try {
                    stack.stopServer(sourceKey, true);
                    stack.startServer(sourceKey);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            workload.setUp();
            phase.accept("collections set up");
            AtomicInteger kills = new AtomicInteger();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicBoolean killerDone = new AtomicBoolean(options.kills == 0);
            Thread killer = new Thread(() -> inject(flink, current, cdcYaml, kills, writing, killerDone, outcome),
                    "chaos-killer");
            long t0 = System.nanoTime();
            killer.start();
            workload.run(() -> !killerDone.get());
            writing.set(false);
            killer.join();
            double workloadSeconds = (System.nanoTime() - t0) / 1e9;
            outcome.phases.put("faults", Math.round((faultsDoneNanos - t0) / 1e8) / 10.0);
            phase.accept("workload and faults");
            outcome.kills = kills.get();
            String job = current.get();

            // Catch-up: the target converges to the source, or the last comparison is reported.
            // Only the stack's target on Kafka has a log to read; a loss of the TLS target would count.
            String sourcePrefix = stack.source(queue).channelPrefix();
            Oracle oracle = new Oracle(source, target,
                    () -> MilvusWal.readKafka(stack.kafkaBootstrap(), stack.target().channelPrefix(), startMillis),
                    () -> queue == MilvusStack.Queue.PULSAR
                            ? MilvusWal.readPulsar(stack.pulsar(), sourcePrefix, startMillis)
                            : MilvusWal.readKafka(stack.kafkaBootstrap(), sourcePrefix, startMillis));
            long deadline = System.nanoTime() + options.catchUp.toNanos();
            long t1 = System.nanoTime();
            Oracle.Result result;
            int sourceRestarts = 0;
            while (true) {
                result = compare(oracle, workload);
                if (result.equal() || System.nanoTime() > deadline || "FAILED".equals(state(flink, job))) {
                    break;
                }
                if (!result.comparable() && sourceRestarts < 2 && !answersStrongQueries(source, workload)) {
                    // 2.3.5 on a restarted broker may never serve a strong query again (its time
                    // ticks stall): restarted as its supervisor would, with time to come back.
                    outcome.report.add("the source answered no strong query within 30 s: " + sourceKey + " restarted");
                    stack.stopServer(sourceKey, true);
                    stack.startServer(sourceKey);
                    sourceRestarts++;
                    deadline = Math.max(deadline, System.nanoTime() + Duration.ofMinutes(2).toNanos());
                }
                Thread.sleep(2000);
            }
            outcome.result = result;
            phase.accept("catch-up and oracle");
            double catchUpSeconds = (System.nanoTime() - t1) / 1e9;
            outcome.report.add(String.format("seed=%d delivery=%s rows written/deleted=%d writers=%d workload=%.0fs catch-up=%.0fs",
                    options.seed, options.delivery, workload.rowsWritten(), options.writers, workloadSeconds, catchUpSeconds));
            outcome.report.add("operations " + workload.counts());
            outcome.restarts = flink.restarts(job);
            outcome.report.add(String.format("faults=%s%s times=%d restarts=%d completed checkpoints=%d recovery (s)=%s",
                    options.faults, options.faults.stream().anyMatch(f -> f.server != null)
                            ? " outage=" + options.outage.toSeconds() + "s" : "",
                    outcome.kills, outcome.restarts, flink.completedCheckpoints(job), outcome.recovery));
            outcome.report.add("oracle " + result.summary());
            for (Map.Entry<String, Map<String, Set<String>>> lost : Map.of("the source lost acknowledged keys",
                    result.sourceLost, "the target lost keys its log holds", result.targetLost).entrySet()) {
                lost.getValue().forEach((c, keys) -> outcome.report.add(lost.getKey() + " in " + c + " (" + keys.size()
                        + "): first " + keys.stream().limit(5).toList()));
            }
            outcome.failures.addAll(flink.failures(job));
            outcome.failures.forEach(f -> outcome.report.add("failure " + f));
            if (!result.equal()) {
                describeFailure(result, opsLog, outcome.report);
                outcome.report.add("last job failure: " + flink.lastFailure(job));
            }
            String state = flink.jobState(job);
            outcome.report.add("job state " + state);
            if ("RUNNING".equals(state) && options.metrics) {
                // The per-collection metrics as an operator reads them: REST (the web UI; its metric
                // fetcher polls the TaskManagers every 10 s) and Prometheus.
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < until) {
                    List<String> rest = flink.jobMetrics(job, ".collection.");
                    List<String> prometheus = new ArrayList<>();
                    List<String> reader = new ArrayList<>();
                    for (String line : flink.prometheusScrape().split("\n")) {
                        if (line.contains("collection=\"") && line.contains(run) && !line.startsWith("#")) {
                            prometheus.add(line);
                        } else if (line.startsWith("flink_taskmanager_job_task_operator_") && line.contains("_milvus_")) {
                            reader.add(line);
                        }
                    }
                    outcome.readerPrometheus.clear();
                    outcome.readerPrometheus.addAll(reader);
                    outcome.restMetrics.clear();
                    outcome.restMetrics.addAll(rest);
                    outcome.prometheus.clear();
                    outcome.prometheus.addAll(prometheus);
                    if (rest.stream().anyMatch(m -> m.contains(".rowsUpserted = "))
                            && prometheus.stream().anyMatch(l -> l.contains("_rowsUpserted{"))
                            && prometheus.stream().anyMatch(l -> l.contains("_operationsBuffered{"))) {
                        break;
                    }
                    Thread.sleep(1000);
                }
            }
            if ("RUNNING".equals(state)) {
                flink.cancel(job);
                phase.accept("metrics, cancel");
            }
            if (options.verify && result.equal() && result.sourceLost.isEmpty() && result.targetLost.isEmpty()) {
                verify(flink, cdcYaml, outcome);
                phase.accept("verifier");
            }
        } finally {
            source.close();
            target.close();
        }
        phase.accept("cluster stopped");
        outcome.report.add("time (s) " + outcome.phases);
        return outcome;
    }

    /** The shipped verifier, as a user runs it, must agree with the oracle: the target equals the source. */
    private void verify(FlinkCluster flink, Path cdcYaml, Outcome outcome) throws InterruptedException {
        try {
            String out = flink.cli("run", jar.toString(), "verify", "--config", cdcYaml.toString(),
                    "--recheck-after", "0s", "--report", dir.resolve("verify.json").toString());
            outcome.verified = true;
            outcome.report.add("verify: " + out.lines().filter(l -> l.startsWith("EQUAL: ")).findFirst().orElse(out));
        } catch (IOException e) {
            outcome.verified = false;
            outcome.report.add("verify found differences: " + e.getMessage());
        }
    }

    /** Whether the source answers a strong {@code count(*)} on one of the workload's collections within 30 s. */
    private static boolean answersStrongQueries(MilvusClientV2 source, Workload workload) {
        String collection = new java.util.TreeSet<>(workload.collections().get("default")).first();
        java.util.concurrent.ExecutorService probe = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "source-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            probe.submit(() -> MilvusTables.count(source, "default", collection)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (Exception e) {
            return true; // an answer (a collection not loaded, say), not a stall
        } finally {
            probe.shutdownNow();
        }
    }

    private static Oracle.Result compare(Oracle oracle, Workload workload) {
        try {
            return oracle.compare(workload.collections(), workload.keysEverWritten(), workload.acknowledgedState());
        } catch (RuntimeException e) {
            Oracle.Result r = new Oracle.Result();
            String m = String.valueOf(e.getMessage());
            r.schemaDifferences.add(Oracle.Result.NOT_COMPARABLE + (m.length() > 300 ? m.substring(0, 300) + "…" : m));
            return r;
        }
    }

    private static void describeFailure(Oracle.Result r, Path opsLog, List<String> report) throws IOException {
        report.addAll(r.schemaDifferences.subList(0, Math.min(10, r.schemaDifferences.size())));
        for (Map.Entry<String, Map<String, Set<String>>> kind : Map.of("missing", r.missing, "extra", r.extra,
                "duplicated", r.duplicated, "differing", r.differing).entrySet()) {
            for (Map.Entry<String, Set<String>> c : kind.getValue().entrySet()) {
                Set<String> first = new java.util.TreeSet<>(c.getValue().stream().limit(5).collect(java.util.stream.Collectors.toSet()));
                report.add(kind.getKey() + " in " + c.getKey() + " (" + c.getValue().size() + "): first " + first);
                String name = c.getKey();
                for (String line : Workload.opsTouching(opsLog, name, first, 10)) {
                    report.add("    " + (line.length() > 300 ? line.substring(0, 300) + "…" : line));
                }
            }
        }
    }

    /**
     * Injects {@code options.kills} faults while the workload writes, taking {@code options.faults}
     * in turn, spread over the run, each after the job has completed a checkpoint since the last.
     * The TaskManager is killed with {@code kill -9} (every other time right after a checkpoint
     * completes, while its operations are applied) and started again within 3 s; recovery: until
     * the job runs again. A server is killed for {@code options.outage}, then started with its
     * data, with any server that exited meanwhile (a Milvus losing its etcd or broker may), as a
     * supervisor would; recovery: from its return until the job runs and has completed two more
     * checkpoints (the first may be the one whose operations waited for the server).
     */
    private void inject(FlinkCluster flink, java.util.concurrent.atomic.AtomicReference<String> current, Path cdcYaml,
                        AtomicInteger injected, AtomicBoolean writing, AtomicBoolean done, Outcome outcome) {
        Random random = new Random(options.seed * 7919);
        try {
            // About 400 rows a second are written here: a fault every rows/400/kills seconds.
            long meanGapMs = options.rows * 1000 / 400 / Math.max(1, options.kills);
            // Per kind: upgrades alternate the parallelism, TaskManager kills their moment.
            Map<Fault, Integer> ofKind = new java.util.EnumMap<>(Fault.class);
            while (writing.get() && injected.get() < options.kills) {
                Fault fault = options.faults.get(injected.get() % options.faults.size());
                int nth = ofKind.merge(fault, 1, Integer::sum);
                String job = current.get();
                Thread.sleep((long) (random.nextDouble() * 2 * meanGapMs));
                long before = checkpoints(flink, job);
                waitUntil("a checkpoint before the next fault", Duration.ofMinutes(3),
                        () -> running(flink, job) && checkpoints(flink, job) > before);
                if (fault == Fault.UPGRADE) {
                    Thread.sleep(1000 + random.nextInt(5000));
                    outcome.failures.addAll(flink.failures(job)); // the next job has a history of its own
                    String savepoint = flink.stopWithSavepoint(job, dir.resolve("savepoints"));
                    injected.incrementAndGet();
                    // The writers go on while the job is stopped.
                    Thread.sleep((options.upgradeStop != null ? options.upgradeStop : options.outage).toMillis());
                    int parallelism = nth % 2 == 1 ? 4 : 2;
                    long started = System.nanoTime();
                    String resumed = flink.submitFrom(savepoint, parallelism, jar, "--config", cdcYaml.toString());
                    current.set(resumed);
                    waitUntil("the job runs again from its savepoint", Duration.ofMinutes(3),
                            () -> running(flink, resumed) && allTasksRunning(flink, resumed) && checkpoints(flink, resumed) > 0);
                    outcome.recovery.add(fault + "(p=" + parallelism + ")=" + seconds(started));
                    continue;
                }
                if (fault == Fault.TARGET_DENIES_WRITES) {
                    Thread.sleep(1000 + random.nextInt(5000));
                    long started;
                    try {
                        double effective = denyTargetWrites(true);
                        injected.incrementAndGet();
                        outcome.report.add("the target refused writes " + effective + " s after its quota was set to deny");
                        Thread.sleep(options.outage.toMillis());
                    } finally {
                        started = System.nanoTime();
                        outcome.report.add("the target took writes again " + denyTargetWrites(false)
                                + " s after its quota was reset");
                    }
                    long seen = checkpoints(flink, job);
                    waitUntil("two checkpoints after the target takes writes again", Duration.ofMinutes(10),
                            () -> running(flink, job) && allTasksRunning(flink, job) && checkpoints(flink, job) > seen + 1);
                    outcome.recovery.add(fault + "=" + seconds(started));
                    continue;
                }
                if (fault == Fault.TASKMANAGER) {
                    if (nth % 2 == 1) {
                        // Right after a checkpoint completes: its operations are being applied.
                        long seen = checkpoints(flink, job);
                        waitUntil("a checkpoint to complete", Duration.ofMinutes(2), () -> checkpoints(flink, job) > seen);
                        Thread.sleep(random.nextInt(300));
                    } else {
                        Thread.sleep(1000 + random.nextInt(8000));
                    }
                    long restarts = flink.restarts(job);
                    flink.killTaskManager(0);
                    injected.incrementAndGet();
                    Thread.sleep(random.nextInt(3000));
                    flink.startTaskManager(0);
                    long started = System.nanoTime();
                    waitUntil("the job runs again", Duration.ofMinutes(3), () -> restartsOf(flink, job) > restarts
                            && running(flink, job) && allTasksRunning(flink, job));
                    outcome.recovery.add(fault + "=" + seconds(started));
                    continue;
                }
                Thread.sleep(1000 + random.nextInt(5000));
                long stopping = System.nanoTime();
                stack.stopServer(fault.server, fault != Fault.PULSAR_DOWN);
                injected.incrementAndGet();
                double stopSeconds = seconds(stopping);
                Thread.sleep(options.outage.toMillis());
                long starting = System.nanoTime();
                stack.startServer(fault.server);
                double startSeconds = seconds(starting);
                long started = System.nanoTime();
                if (fault.restartAfter.length > 0) {
                    stack.restartServers(List.of(fault.restartAfter));
                }
                String healed = stack.heal();
                outcome.report.add(String.format("%s: stopped in %.1f s, started in %.1f s, its dependents restarted in %.1f s",
                        fault, stopSeconds, startSeconds, seconds(started)));
                if (!healed.contains("\"started\": []")) {
                    outcome.report.add("after the " + fault.server + " outage, started again: " + healed);
                }
                long seen = checkpoints(flink, job);
                waitUntil("two checkpoints after " + fault.server + " is back", Duration.ofMinutes(10),
                        () -> running(flink, job) && allTasksRunning(flink, job) && checkpoints(flink, job) > seen + 1);
                outcome.recovery.add(fault + "=" + seconds(started));
            }
        } catch (Exception e) {
            outcome.report.add("the fault injector stopped: " + e.getMessage());
        } finally {
            // Done (or a failed job that takes no more faults): the workload may end, the oracle report.
            faultsDoneNanos = System.nanoTime();
            done.set(true);
        }
    }

    /**
     * Sets the target's {@code quotaAndLimits.limitWriting.forceDeny} in its etcd configuration
     * (Milvus 2.3 reads {@code {rootPath}/config/...} at run time, and applies it to the
     * collections that exist at its next quota cycle; it ignores a deletion of the key, so the key
     * is set back to false), then waits until a write into an existing collection is refused, or
     * taken again, writing as the job does (one call, no client-side retries); returns how long
     * that took.
     */
    private double denyTargetWrites(boolean deny) throws Exception {
        io.milvuscdc.connectors.sink.MilvusTargetConfig config = new io.milvuscdc.connectors.sink.MilvusTargetConfig(
                stack.target().uri(), null, Duration.ofSeconds(10), Duration.ofSeconds(10));
        try (io.milvuscdc.connectors.sink.internal.TargetMilvusClient client =
                     new io.milvuscdc.connectors.sink.internal.TargetMilvusClient(config)) {
            if (deny) {
                denyProbe = io.milvuscdc.connectors.sink.internal.TargetWriteProbe.create(client);
            }
            try (io.etcd.jetcd.Client etcd = io.etcd.jetcd.Client.builder().endpoints(stack.etcdEndpoint()).build()) {
                String key = stack.target().etcdRootPath() + "/config/quotaAndLimits/limitWriting/forceDeny";
                etcd.getKVClient().put(io.etcd.jetcd.ByteSequence.from(key, java.nio.charset.StandardCharsets.UTF_8),
                        io.etcd.jetcd.ByteSequence.from(Boolean.toString(deny), java.nio.charset.StandardCharsets.UTF_8)).get();
            }
            long t0 = System.nanoTime();
            waitUntil(deny ? "the target to refuse writes" : "the target to take writes again", Duration.ofMinutes(2), () -> {
                try {
                    io.milvuscdc.connectors.sink.internal.TargetWriteProbe.write(client, denyProbe);
                    if (deny) {
                        Thread.sleep(200);
                    }
                    return !deny;
                } catch (io.milvuscdc.connectors.sink.internal.MilvusTargetException e) {
                    if (!deny && !e.getMessage().contains("ForceDeny")) {
                        throw e;
                    }
                    return deny && e.getMessage().contains("ForceDeny");
                }
            });
            double seconds = Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
            if (!deny) {
                io.milvuscdc.connectors.sink.internal.TargetWriteProbe.drop(client, denyProbe);
            }
            return seconds;
        }
    }

    /** When the last fault was over (the writers then finish their step, and index and load). */
    private volatile long faultsDoneNanos;

    /** The target collection that tells whether the target refuses writes. */
    private String denyProbe;

    private static double seconds(long startedNanos) {
        return Math.round((System.nanoTime() - startedNanos) / 1e8) / 10.0;
    }

    /** Whether the job runs; a failed job stops the killer (the oracle then reports). */
    private static boolean running(FlinkCluster flink, String job) {
        String state = state(flink, job);
        if ("FAILED".equals(state)) {
            throw new IllegalStateException("The job failed: " + lastFailure(flink, job));
        }
        return "RUNNING".equals(state);
    }

    private static String lastFailure(FlinkCluster flink, String job) {
        try {
            return flink.lastFailure(job);
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static long restartsOf(FlinkCluster flink, String job) {
        try {
            return flink.restarts(job);
        } catch (IOException e) {
            return -1;
        }
    }

    private static boolean allTasksRunning(FlinkCluster flink, String job) {
        try {
            return flink.registeredTaskManagers() > 0 && flink.runningTasks(job);
        } catch (IOException e) {
            return false;
        }
    }

    private static String state(FlinkCluster flink, String job) {
        try {
            return flink.jobState(job);
        } catch (IOException e) {
            return "UNKNOWN";
        }
    }

    private static long checkpoints(FlinkCluster flink, String job) {
        try {
            return flink.completedCheckpoints(job);
        } catch (IOException e) {
            return -1;
        }
    }

    /** A condition polled by {@link #waitUntil}; it may throw (a REST call, a query). */
    interface Check {
        boolean holds() throws Exception;
    }

    /** Polls {@code condition} every 50 ms until it holds; fails after {@code timeout}. */
    static void waitUntil(String what, Duration timeout, Check condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /**
     * {@code ChaosRun STACK_JSON JAR DIR SEED ROWS KILLS [WRITERS [FAULT[,FAULT…] OUTAGE_S RETRY_TIMEOUT_S [DELIVERY]]]}:
     * scripts/chaos.sh.
     */
    public static void main(String[] args) throws Exception {
        Options o = new Options();
        o.seed = Long.parseLong(args[3]);
        o.rows = Long.parseLong(args[4]);
        o.kills = Integer.parseInt(args[5]);
        if (args.length > 6) {
            o.writers = Integer.parseInt(args[6]);
        }
        if (args.length > 9) {
            o.faults = java.util.Arrays.stream(args[7].split(","))
                    .map(f -> Fault.valueOf(f.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_')))
                    .collect(java.util.stream.Collectors.toList());
            o.outage = Duration.ofSeconds(Long.parseLong(args[8]));
            o.retryTimeout = Duration.ofSeconds(Long.parseLong(args[9]));
        }
        if (args.length > 10) {
            o.delivery = io.milvuscdc.connectors.sink.MilvusSink.Delivery.valueOf(
                    args[10].toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        }
        o.catchUp = Duration.ofMinutes(Math.max(5, o.rows / 50_000));
        Outcome outcome = new ChaosRun(MilvusStack.read(Path.of(args[0])), Path.of(args[1]), Path.of(args[2]), o).run();
        outcome.report.forEach(System.out::println);
        System.out.println(outcome.passed() ? "PASSED: the target equals the source" : "FAILED");
        System.exit(outcome.passed() ? 0 : 1);
    }
}
