package io.milvuscdc.job;

import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.job.chaos.ChaosRun;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small seeded randomized run on a real Flink standalone cluster with {@code kill -9} of the
 * TaskManager (see {@link ChaosRun}), in each delivery mode (at least once on a Pulsar source,
 * through a broker restart), savepoint upgrades and a target outage that fails the job over;
 * {@code scripts/chaos.sh} runs any size. System properties
 * {@code chaos.seed}, {@code chaos.rows}, {@code chaos.kills} change it.
 */
@ExtendWith(MilvusStackExtension.class)
class ChaosITCase {

    /**
     * Exactly once, in turn while writers run: a {@code kill -9} of the TaskManager right after a
     * checkpoint completes; an upgrade as an operator makes it ({@code flink stop --savepointPath},
     * writes while the job is stopped, {@code flink run -s} at parallelism 4); the target Milvus
     * killed for longer than {@code targetConfig.retryTimeout}, so that the job fails over and
     * resumes from its checkpoint once the target is back (an outage shorter than the retry timeout
     * is waited out without a restart: {@link ServerRestartITCase}; {@code scripts/chaos.sh --fault
     * target-down --outage 120 --retry-timeout 600} runs any length); an upgrade back to
     * parallelism 2. One run: each run costs a cluster, a submission and a catch-up.
     */
    @Test
    void theTargetEqualsTheSourceAcrossKillsUpgradesAndATargetOutageLongerThanTheRetryTimeout(MilvusStack stack)
            throws Exception {
        ChaosRun.Options options = options(Long.getLong("chaos.seed", 42), MilvusSink.Delivery.EXACTLY_ONCE);
        options.faults = java.util.List.of(ChaosRun.Fault.TASKMANAGER, ChaosRun.Fault.UPGRADE,
                ChaosRun.Fault.TARGET_DOWN, ChaosRun.Fault.UPGRADE);
        options.kills = options.faults.size() * Integer.getInteger("chaos.kills", 2) / 2;
        options.upgradeStop = java.time.Duration.ofSeconds(5);
        options.outage = java.time.Duration.ofSeconds(20);
        options.retryTimeout = java.time.Duration.ofSeconds(8);
        // A target Milvus back from a kill -9 may hold a write for minutes (seen: two 60 s deadlines
        // in a row on one collection): shorter calls fail over sooner and try again.
        options.requestTimeout = java.time.Duration.ofSeconds(20);
        ChaosRun.Outcome outcome = run(stack, options, "chaos");
        assertTrue(outcome.failures.stream().anyMatch(f -> f.contains("Target Milvus unavailable for PT8S")),
                "the target's outage failed the job over:\n" + String.join("\n", outcome.report));
        // The job after two upgrades reports its per-collection metrics through REST and Prometheus.
        outcome.restMetrics.stream().limit(8).forEach(System.out::println);
        outcome.prometheus.stream().limit(8).forEach(System.out::println);
        assertTrue(outcome.restMetrics.stream().anyMatch(m -> m.contains(".rowsUpserted = ") && !m.endsWith("= 0")),
                "REST: rows upserted per collection: " + outcome.restMetrics);
        assertTrue(outcome.restMetrics.stream().anyMatch(m -> m.contains(".replicationLagMs = ")),
                "REST: a lag per collection: " + outcome.restMetrics);
        assertTrue(outcome.prometheus.stream().anyMatch(l -> l.contains("_rowsUpserted{") && l.contains("database=\"")
                        && !l.endsWith(" 0.0")), "Prometheus: rows upserted per collection: " + outcome.prometheus);
        assertTrue(outcome.prometheus.stream().anyMatch(l -> l.contains("_operationsBuffered{") && l.contains("collection=\"")),
                "Prometheus: operations buffered per collection: " + outcome.prometheus);
        outcome.readerPrometheus.stream().limit(4).forEach(System.out::println);
        assertTrue(outcome.readerPrometheus.stream().anyMatch(l -> l.contains("_milvus_channel_tickLagMs{")
                        && l.contains("channel=\"")),
                "Prometheus: the source reader's tick lag per channel: " + outcome.readerPrometheus);
    }

    /**
     * At least once, on a source whose queue is Pulsar: operations applied as they come. The Pulsar
     * broker stopped for 12 s and started again (its Milvus restarted after it, as a supervisor
     * would) is ridden out without a failover; then a {@code kill -9} of the TaskManager, whose
     * replay converges to the same end. Every failover in the job's history is the TaskManager's.
     */
    @Test
    void atLeastOnceOnPulsarThroughABrokerRestartAndAKillTheTargetEqualsTheSource(MilvusStack stack) throws Exception {
        ChaosRun.Options options = options(Long.getLong("chaos.seed", 42) + 1, MilvusSink.Delivery.AT_LEAST_ONCE);
        options.faults = java.util.List.of(ChaosRun.Fault.PULSAR_DOWN, ChaosRun.Fault.TASKMANAGER);
        options.kills = options.faults.size() * Integer.getInteger("chaos.kills", 2) / 2;
        options.outage = java.time.Duration.ofSeconds(12);
        options.metrics = false; // read once, in the run above
        options.verify = false; // the oracle compares every key and field; the verifier's turn is the run above
        ChaosRun.Outcome outcome = run(stack, options, "chaos-at-least-once");
        // The broker restarts under two readers: each must take its channels up again.
        assertEquals(2, outcome.tasks.entrySet().stream().filter(t -> t.getKey().contains("Source changes (Pulsar)"))
                .mapToInt(Map.Entry::getValue).findFirst().orElse(0), "the Pulsar source's parallelism: " + outcome.tasks);
        assertTrue(outcome.failures.stream().allMatch(f -> f.contains("TaskManager")),
                "only the killed TaskManager failed the job over:\n" + String.join("\n", outcome.report));
    }

    private static ChaosRun.Options options(long seed, MilvusSink.Delivery delivery) {
        ChaosRun.Options options = new ChaosRun.Options();
        options.seed = seed;
        options.rows = Long.getLong("chaos.rows", 1_500);
        options.kills = Integer.getInteger("chaos.kills", 2);
        options.delivery = delivery;
        return options;
    }

    private static ChaosRun.Outcome run(MilvusStack stack, ChaosRun.Options options, String dir) throws Exception {
        Path root = MilvusStack.projectRoot();
        Path jar = root.resolve("job/target/milvus-cdc-job.jar");
        assertTrue(Files.isRegularFile(jar), "the shaded jar is built in the package phase, before integration tests");
        ChaosRun.Outcome outcome = new ChaosRun(stack, jar, root.resolve("job/target/" + dir), options).run();
        outcome.report.forEach(System.out::println);
        assertTrue(outcome.kills >= options.kills, "kills: " + outcome.kills);
        assertTrue(outcome.passed(), String.join("\n", outcome.report));
        return outcome;
    }
}
