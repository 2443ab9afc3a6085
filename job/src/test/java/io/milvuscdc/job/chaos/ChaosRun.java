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
        TASKMANAGER,
        /** The target Milvus killed ({@code kill -9}) and started again after {@link Options#outage}. */
        TARGET_DOWN
    }

    /** What a run is asked to do. */
    public static final class Options {
        public long seed = 1;
        public long rows = 3_000;
        /** How many times the fault is injected. */
        public int kills = 3;
        public int writers = 3;
        public Duration catchUp = Duration.ofMinutes(5);
        public Fault fault = Fault.TASKMANAGER;
        public Duration outage = Duration.ofMinutes(2);
        /** The job's {@code targetConfig.retryTimeout}. */
        public Duration retryTimeout = Duration.ofMinutes(5);
    }

    /** What a run did and found. */
    public static final class Outcome {
        public Oracle.Result result;
        public final List<String> report = new ArrayList<>();
        public int kills;
        public long restarts;
        public final List<Double> recoverySeconds = new ArrayList<>();

        public boolean passed() {
            return result != null && result.equal();
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
        String run = "s" + options.seed + "_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        Files.createDirectories(dir);
        Path opsLog = dir.resolve("ops.log");
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink"), 1)) {
            Path cdcYaml = FlinkCluster.cdcYaml(stack, dir,
                    "  retryTimeout: " + options.retryTimeout.toSeconds() + "s",
                    "selection:",
                    "  include: ['*." + "chaos_*" + run + "', 'chaos_db_" + run + ".*']",
                    "checkpointInterval: 2s");
            String job = flink.submit(jar, "--config", cdcYaml.toString());
            waitUntil("the job runs", Duration.ofMinutes(2), () -> "RUNNING".equals(state(flink, job)));
            // Let the sources start reading before the first write ("latest" starts at submission).
            waitUntil("a first checkpoint", Duration.ofMinutes(2), () -> checkpoints(flink, job) > 0);

            Workload workload = new Workload(source, run, options.seed, options.writers, options.rows,
                    4, opsLog);
            workload.setUp();
            AtomicInteger kills = new AtomicInteger();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicBoolean killerDone = new AtomicBoolean(options.kills == 0);
            Thread killer = new Thread(() -> {
                if (options.fault == Fault.TARGET_DOWN) {
                    targetDown(flink, job, kills, writing, killerDone, outcome);
                } else {
                    kill(flink, job, kills, writing, killerDone, outcome);
                }
            }, "chaos-killer");
            long t0 = System.nanoTime();
            killer.start();
            workload.run(() -> !killerDone.get());
            writing.set(false);
            killer.join();
            double workloadSeconds = (System.nanoTime() - t0) / 1e9;
            outcome.kills = kills.get();

            // Catch-up: the target converges to the source, or the last comparison is reported.
            Oracle oracle = new Oracle(source, target);
            long deadline = System.nanoTime() + options.catchUp.toNanos();
            long t1 = System.nanoTime();
            Oracle.Result result;
            while (true) {
                result = compare(oracle, workload);
                if (result.equal() || System.nanoTime() > deadline || "FAILED".equals(state(flink, job))) {
                    break;
                }
                Thread.sleep(2000);
            }
            outcome.result = result;
            double catchUpSeconds = (System.nanoTime() - t1) / 1e9;
            outcome.report.add(String.format("seed=%d rows written/deleted=%d writers=%d workload=%.0fs catch-up=%.0fs",
                    options.seed, workload.rowsWritten(), options.writers, workloadSeconds, catchUpSeconds));
            outcome.report.add("operations " + workload.counts());
            outcome.restarts = flink.restarts(job);
            outcome.report.add(String.format("fault=%s%s times=%d restarts=%d completed checkpoints=%d recovery (s)=%s",
                    options.fault, options.fault == Fault.TARGET_DOWN ? " outage=" + options.outage.toSeconds() + "s" : "",
                    outcome.kills, outcome.restarts, flink.completedCheckpoints(job), outcome.recoverySeconds));
            outcome.report.add("oracle " + result.summary());
            if (!result.equal()) {
                describeFailure(result, opsLog, outcome.report);
                outcome.report.add("last job failure: " + flink.lastFailure(job));
            }
            String state = flink.jobState(job);
            outcome.report.add("job state " + state);
            if ("RUNNING".equals(state)) {
                flink.cancel(job);
            }
        } finally {
            source.close();
            target.close();
        }
        return outcome;
    }

    private static Oracle.Result compare(Oracle oracle, Workload workload) {
        try {
            return oracle.compare(workload.collections(), workload.keysEverWritten());
        } catch (RuntimeException e) {
            Oracle.Result r = new Oracle.Result();
            String m = String.valueOf(e.getMessage());
            r.schemaDifferences.add("not comparable yet: " + (m.length() > 300 ? m.substring(0, 300) + "…" : m));
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

    /** Kills the TaskManager {@code options.kills} times while the workload writes; restarts it each time. */
    private void kill(FlinkCluster flink, String job, AtomicInteger kills, AtomicBoolean writing, AtomicBoolean killerDone,
                      Outcome outcome) {
        Random random = new Random(options.seed * 7919);
        try {
            // Spread over the run: about 400 rows a second are written here, so a kill every rows/400/kills seconds.
            long meanGapMs = options.rows * 1000 / 400 / Math.max(1, options.kills);
            while (writing.get() && kills.get() < options.kills) {
                Thread.sleep((long) (random.nextDouble() * 2 * meanGapMs));
                long before = checkpoints(flink, job);
                // Progress between kills: running, and one more checkpoint since the last restart.
                waitUntil("a checkpoint before the next kill", Duration.ofMinutes(3),
                        () -> running(flink, job) && checkpoints(flink, job) > before);
                if (kills.get() % 2 == 0) {
                    // Right after a checkpoint completes: its committable is being applied.
                    long seen = checkpoints(flink, job);
                    waitUntil("a checkpoint to complete", Duration.ofMinutes(2), () -> checkpoints(flink, job) > seen);
                    Thread.sleep(random.nextInt(300));
                } else {
                    Thread.sleep(1000 + random.nextInt(8000));
                }
                long restarts = flink.restarts(job);
                flink.killTaskManager(0);
                kills.incrementAndGet();
                Thread.sleep(random.nextInt(3000));
                flink.startTaskManager(0);
                long started = System.nanoTime();
                waitUntil("the job runs again", Duration.ofMinutes(3), () -> restartsOf(flink, job) > restarts
                        && running(flink, job) && allTasksRunning(flink, job));
                outcome.recoverySeconds.add(Math.round((System.nanoTime() - started) / 1e8) / 10.0);
            }
        } catch (Exception e) {
            outcome.report.add("the killer stopped: " + e.getMessage());
        } finally {
            // Done (or a failed job that takes no more kills): the workload may end, the oracle report.
            killerDone.set(true);
        }
    }

    /**
     * Takes the target Milvus down ({@code kill -9}) for {@code options.outage}, {@code options.kills}
     * times, while the workload writes; then starts it again with its data. Recovery: from the
     * target's return until the job runs and has completed two more checkpoints (the first may be
     * the one whose operations waited for the target).
     */
    private void targetDown(FlinkCluster flink, String job, AtomicInteger outages, AtomicBoolean writing,
                            AtomicBoolean done, Outcome outcome) {
        Random random = new Random(options.seed * 7919);
        try {
            while (writing.get() && outages.get() < options.kills) {
                long before = checkpoints(flink, job);
                waitUntil("a checkpoint before the outage", Duration.ofMinutes(3),
                        () -> running(flink, job) && checkpoints(flink, job) > before);
                Thread.sleep(1000 + random.nextInt(5000));
                stack.stopServer("targetMilvus", true);
                outages.incrementAndGet();
                Thread.sleep(options.outage.toMillis());
                stack.startServer("targetMilvus");
                long started = System.nanoTime();
                long seen = checkpoints(flink, job);
                waitUntil("two checkpoints after the target is back", Duration.ofMinutes(10),
                        () -> running(flink, job) && allTasksRunning(flink, job) && checkpoints(flink, job) > seen + 1);
                outcome.recoverySeconds.add(Math.round((System.nanoTime() - started) / 1e8) / 10.0);
            }
        } catch (Exception e) {
            outcome.report.add("the fault injector stopped: " + e.getMessage());
        } finally {
            done.set(true);
        }
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

    /** {@code ChaosRun STACK_JSON JAR DIR SEED ROWS KILLS [WRITERS [FAULT OUTAGE_S RETRY_TIMEOUT_S]]}: scripts/chaos.sh. */
    public static void main(String[] args) throws Exception {
        Options o = new Options();
        o.seed = Long.parseLong(args[3]);
        o.rows = Long.parseLong(args[4]);
        o.kills = Integer.parseInt(args[5]);
        if (args.length > 6) {
            o.writers = Integer.parseInt(args[6]);
        }
        if (args.length > 9) {
            o.fault = Fault.valueOf(args[7].toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
            o.outage = Duration.ofSeconds(Long.parseLong(args[8]));
            o.retryTimeout = Duration.ofSeconds(Long.parseLong(args[9]));
        }
        o.catchUp = Duration.ofMinutes(Math.max(5, o.rows / 50_000));
        Outcome outcome = new ChaosRun(MilvusStack.read(Path.of(args[0])), Path.of(args[1]), Path.of(args[2]), o).run();
        outcome.report.forEach(System.out::println);
        System.out.println(outcome.passed() ? "PASSED: the target equals the source" : "FAILED");
        System.exit(outcome.passed() ? 0 : 1);
    }
}
