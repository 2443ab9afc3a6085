package io.milvuscdc.job;

import io.milvuscdc.job.chaos.BenchmarkRun;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small run of the benchmark ({@code scripts/benchmark.sh}), so that it cannot rot: every part
 * runs on the real cluster and reports its figure. It asserts no speed (the machine is shared):
 * only that every row reached the target (each part waits for it), that the job caught up without
 * a restart, and that each figure was measured.
 */
@ExtendWith(MilvusStackExtension.class)
class BenchmarkITCase {

    @Test
    void everyPartOfTheBenchmarkRunsAndReportsItsFigures(MilvusStack stack) throws Exception {
        BenchmarkRun.Options options = new BenchmarkRun.Options();
        options.rows = 1_000;
        options.dim = 64;
        options.clients = new int[] {1};
        options.lagRates = new int[] {100};
        options.lagAtHalfCeiling = false;
        options.lagFor = Duration.ofSeconds(5);
        options.catchUpDeliveries = List.of("exactly-once"); // the same code in either mode: one is enough here
        options.scale = new int[][] {{4, 2}};
        options.scaleCollections = 2;
        options.collections = 10;
        options.rowsPerCollection = 5;
        Path root = MilvusStack.projectRoot();
        BenchmarkRun run = new BenchmarkRun(stack, root.resolve("job/target/milvus-cdc-job.jar"),
                root.resolve("job/target/benchmark-small"), options);
        JsonNode figures = run.run();
        run.table().forEach(System.out::println);

        assertEquals(0, figures.at("/catchUp/restarts").asLong(), figures.toPrettyString());
        assertEquals(0, figures.at("/scaleOut/4x2/restarts").asLong(), figures.toPrettyString());
        assertEquals(0, figures.at("/manyCollections/restarts").asLong(), figures.toPrettyString());
        assertEquals(0, figures.at("/snapshot/restarts").asLong(), figures.toPrettyString());
        for (String figure : List.of("/ceiling/best", "/catchUp/rowsPerSecond", "/catchUp/ratioToCeiling",
                "/catchUp/rowsPerCpuSecond", "/catchUp/taskManagerPeakRssMiB", "/catchUp/checkpoints",
                "/live/targetRowsPerSecond", "/live/lastRowDelaySeconds",
                "/lag/target itself/100 rows~1s/p99Seconds",
                "/lag/exactly-once/100 rows~1s/p99Seconds", "/lag/exactly-once/ddl/createCollectionSeconds",
                "/lag/exactly-once/ddl/createPartitionSeconds", "/lag/at-least-once/100 rows~1s/p99Seconds",
                "/lag/at-least-once/ddl/createCollectionSeconds", "/lag/at-least-once/ddl/createPartitionSeconds",
                "/scaleOut/4x2/rowsPerSecond", "/scaleOut/4x2/rowsPerCpuSecond", "/manyCollections/allOnTargetSeconds",
                "/manyCollections/taskManagerPeakRssMiB", "/snapshot/rowsPerSecond", "/snapshot/ratioToCeiling")) {
            assertTrue(figures.at(figure).asDouble() > 0, figure + " measured:\n" + figures.toPrettyString());
        }
    }
}
