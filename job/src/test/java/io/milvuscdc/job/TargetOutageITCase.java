package io.milvuscdc.job;

import io.milvuscdc.job.chaos.ChaosRun;
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
 * The target Milvus killed while the randomized workload writes, and started again with its data
 * after longer than {@code targetConfig.retryTimeout}: the job fails over, and resumes from its
 * checkpoint once the target is back; the target ends equal to the source. (An outage shorter
 * than the retry timeout is waited out without a restart: {@link ServerRestartITCase}.)
 * {@code scripts/chaos.sh --fault target-down --outage 120 --retry-timeout 600} runs any length.
 */
@ExtendWith(MilvusStackExtension.class)
class TargetOutageITCase {

    @Test
    void anOutageLongerThanTheRetryTimeoutFailsOverAndResumesOnceTheTargetIsBack(MilvusStack stack) throws Exception {
        ChaosRun.Options options = new ChaosRun.Options();
        options.seed = 11;
        options.rows = 1_000;
        options.kills = 1;
        options.faults = List.of(ChaosRun.Fault.TARGET_DOWN);
        options.outage = Duration.ofSeconds(30);
        options.retryTimeout = Duration.ofSeconds(10);
        Path root = MilvusStack.projectRoot();
        ChaosRun.Outcome outcome = new ChaosRun(stack, root.resolve("job/target/milvus-cdc-job.jar"),
                root.resolve("job/target/outage-long"), options).run();
        outcome.report.forEach(System.out::println);
        assertEquals(1, outcome.kills, String.join("\n", outcome.report));
        assertTrue(outcome.passed(), String.join("\n", outcome.report));
        assertTrue(outcome.restarts >= 1, String.join("\n", outcome.report));
    }
}
