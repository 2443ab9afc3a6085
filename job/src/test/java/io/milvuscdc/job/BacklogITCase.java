package io.milvuscdc.job;

import io.milvuscdc.job.chaos.BacklogRun;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small backlog on a real Flink standalone cluster (see {@link BacklogRun}): 12,000 rows of
 * 768-dimensional vectors written while the job is stopped, worked off after the restore from
 * its savepoint with no restart, the target then equal to the source. {@code scripts/backlog.sh}
 * runs any size; system property {@code backlog.rows} changes this one.
 */
@ExtendWith(MilvusStackExtension.class)
class BacklogITCase {

    @Test
    void aBacklogIsWorkedOffWithoutARestart(MilvusStack stack) throws Exception {
        Path root = MilvusStack.projectRoot();
        BacklogRun.Outcome outcome = new BacklogRun(stack, root.resolve("job/target/milvus-cdc-job.jar"),
                root.resolve("job/target/backlog"), Long.getLong("backlog.rows", 12_000), 768).run();
        outcome.report.forEach(System.out::println);
        assertTrue(outcome.passed(), String.join("\n", outcome.report));
    }
}
