package io.milvuscdc.job;

import io.milvuscdc.job.chaos.ChaosRun;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The target Milvus killed while the randomized workload writes, and started again a minute later
 * with its data (see {@link ChaosRun}; {@code scripts/chaos.sh --fault target-down} runs any size).
 * Shorter than {@code targetConfig.retryTimeout}, the job waits (retries with backoff, back-pressure)
 * and never restarts; longer, it fails over and resumes from its checkpoint once the target is
 * back. Either way the target ends equal to the source.
 */
@ExtendWith(MilvusStackExtension.class)
class TargetOutageITCase {

    @Test
    void anOutageShorterThanTheRetryTimeoutIsWaitedOut(MilvusStack stack) throws Exception {
        ChaosRun.Outcome outcome = run(stack, "short", Duration.ofMinutes(5));
        assertEquals(0, outcome.restarts, String.join("\n", outcome.report));
    }

    @Test
    void anOutageLongerThanTheRetryTimeoutFailsOverAndResumesOnceTheTargetIsBack(MilvusStack stack) throws Exception {
        ChaosRun.Outcome outcome = run(stack, "long", Duration.ofSeconds(20));
        assertTrue(outcome.restarts >= 1, String.join("\n", outcome.report));
    }

    private static ChaosRun.Outcome run(MilvusStack stack, String name, Duration retryTimeout) throws Exception {
        ChaosRun.Options options = new ChaosRun.Options();
        options.seed = 11;
        options.rows = 1_000;
        options.kills = 1;
        options.fault = ChaosRun.Fault.TARGET_DOWN;
        options.outage = Duration.ofSeconds(60);
        options.retryTimeout = retryTimeout;
        Path root = MilvusStack.projectRoot();
        ChaosRun.Outcome outcome = new ChaosRun(stack, root.resolve("job/target/milvus-cdc-job.jar"),
                root.resolve("job/target/outage-" + name), options).run();
        outcome.report.forEach(System.out::println);
        assertEquals(1, outcome.kills, String.join("\n", outcome.report));
        assertTrue(outcome.passed(), String.join("\n", outcome.report));
        return outcome;
    }
}
