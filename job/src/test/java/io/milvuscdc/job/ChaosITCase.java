package io.milvuscdc.job;

import io.milvuscdc.job.chaos.ChaosRun;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small seeded randomized run on a real Flink standalone cluster with {@code kill -9} of the
 * TaskManager (see {@link ChaosRun}); {@code scripts/chaos.sh} runs any size. System properties
 * {@code chaos.seed}, {@code chaos.rows}, {@code chaos.kills} change it.
 */
@ExtendWith(MilvusStackExtension.class)
class ChaosITCase {

    @Test
    void theTargetEqualsTheSourceAfterRandomizedWritesAndKills(MilvusStack stack) throws Exception {
        ChaosRun.Options options = new ChaosRun.Options();
        options.seed = Long.getLong("chaos.seed", 42);
        options.rows = Long.getLong("chaos.rows", 2_000);
        options.kills = Integer.getInteger("chaos.kills", 3);
        Path root = MilvusStack.projectRoot();
        Path jar = root.resolve("job/target/milvus-cdc-job.jar");
        assertTrue(Files.isRegularFile(jar), "the shaded jar is built in the package phase, before integration tests");
        ChaosRun.Outcome outcome = new ChaosRun(stack, jar, root.resolve("job/target/chaos"), options).run();
        outcome.report.forEach(System.out::println);
        assertTrue(outcome.kills >= options.kills, "kills: " + outcome.kills);
        assertTrue(outcome.passed(), String.join("\n", outcome.report));
    }
}
