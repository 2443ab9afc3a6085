package io.milvuscdc.job;

import io.milvuscdc.job.chaos.ChaosRun;
import io.milvuscdc.job.chaos.ChaosRun.Fault;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The servers around the job killed ({@code kill -9}) in turn while the randomized workload
 * writes — etcd, the target Milvus, Kafka (the source's and the target's queue) — and the target
 * refusing writes (its quota) for as long; each started again 12 s later with its data, the
 * Milvus servers on etcd or Kafka restarted after it as a supervisor would (which restarts the
 * source Milvus too: what a source restart puts on its channels is met here; the job itself
 * never calls the source Milvus while it streams, so {@code source-down} alone runs in
 * {@code scripts/chaos.sh --fault source-down,...}, which runs any size and outage). A Pulsar
 * restart under the Pulsar source is in {@link ChaosITCase}'s at-least-once run. The job rides
 * each out without a restart (the target's outage is shorter than {@code targetConfig.retryTimeout})
 * and the target ends equal to the source. Keys a Milvus lost after it had acknowledged them are
 * reported apart ({@link io.milvuscdc.job.chaos.Oracle.Result#sourceLost},
 * {@link io.milvuscdc.job.chaos.Oracle.Result#targetLost}): 2.3.5 does lose some after a {@code kill -9}.
 */
@ExtendWith(MilvusStackExtension.class)
class ServerRestartITCase {

    @Test
    void etcdTheTargetItsQuotaAndKafkaInTurnNoRestartNothingLost(MilvusStack stack) throws Exception {
        run(stack, "kafka", List.of(Fault.ETCD_DOWN, Fault.TARGET_DOWN, Fault.TARGET_DENIES_WRITES, Fault.KAFKA_DOWN));
    }

    private static void run(MilvusStack stack, String name, List<Fault> faults) throws Exception {
        ChaosRun.Options options = new ChaosRun.Options();
        options.seed = 21;
        options.rows = 1_000;
        options.kills = faults.size();
        options.faults = faults;
        options.outage = Duration.ofSeconds(12);
        options.metrics = false; // ChaosITCase reads them, and runs the verifier
        options.verify = false;
        Path root = MilvusStack.projectRoot();
        ChaosRun.Outcome outcome = new ChaosRun(stack, root.resolve("job/target/milvus-cdc-job.jar"),
                root.resolve("job/target/restart-" + name), options).run();
        outcome.report.forEach(System.out::println);
        assertEquals(faults.size(), outcome.kills, String.join("\n", outcome.report));
        assertTrue(outcome.passed(), String.join("\n", outcome.report));
        assertEquals(0, outcome.restarts, "rode out without a failover:\n" + String.join("\n", outcome.report));
    }
}
