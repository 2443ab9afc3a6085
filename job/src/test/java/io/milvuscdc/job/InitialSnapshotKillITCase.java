package io.milvuscdc.job;

import io.milvuscdc.job.chaos.FlinkCluster;
import io.milvuscdc.job.chaos.Oracle;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import org.apache.flink.core.testutils.CommonTestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code startup.mode: initial} on the real cluster, the shaded jar submitted with {@code flink run}:
 * the TaskManager is killed with {@code kill -9} in the middle of the copy (its progress line
 * shows some rows copied, not all) while a writer changes the source; a new TaskManager takes over from the last checkpoint
 * and the target ends equal to the source (verifier and the chaos judge).
 */
@ExtendWith(MilvusStackExtension.class)
class InitialSnapshotKillITCase {

    private static final int ROWS = 30_000;

    @Test
    void aKillMidCopyLosesAndDuplicatesNothing(MilvusStack stack) throws Exception {
        String name = "initkill_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        Path root = MilvusStack.projectRoot();
        Path jar = root.resolve("job/target/milvus-cdc-job.jar");
        assertTrue(Files.isRegularFile(jar), "the shaded jar is built in the package phase, before integration tests");
        Path dir = root.resolve("job/target/initial-snapshot-kill");
        Files.createDirectories(dir);
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        Set<Object> keys = new TreeSet<>();
        try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink"), 1)) {
            SmallCollections.create(source, name, true);
            for (int from = 0; from < ROWS; from += 2_000) {
                source.insert(InsertReq.builder().collectionName(name).data(SmallCollections.rows(from, from + 2_000)).build());
            }
            for (long k = 0; k < ROWS; k++) {
                keys.add(k);
            }
            Path cdcYaml = FlinkCluster.cdcYaml(stack, dir,
                    "selection:", "  include: [default." + name + "]",
                    "startup:", "  mode: initial",
                    "checkpointInterval: 1s");
            String job = flink.submit(jar, "--config", cdcYaml.toString());

            AtomicReference<Exception> failed = new AtomicReference<>();
            List<Long> inserted = new ArrayList<>();
            Thread writer = new Thread(() -> {
                Random random = new Random(11);
                long next = 1_000_000;
                try {
                    for (int round = 0; round < 60; round++) {
                        long k = random.nextInt(ROWS);
                        JsonObject row = SmallCollections.rows(k, k + 1).get(0);
                        row.addProperty("s", "changed in round " + round);
                        source.upsert(UpsertReq.builder().collectionName(name).data(List.of(row)).build());
                        source.delete(DeleteReq.builder().collectionName(name)
                                .filter("id in [" + random.nextInt(ROWS) + "]").build());
                        source.insert(InsertReq.builder().collectionName(name).data(SmallCollections.rows(next, next + 5)).build());
                        synchronized (inserted) {
                            for (long i = next; i < next + 5; i++) {
                                inserted.add(i);
                            }
                        }
                        next += 5;
                        Thread.sleep(200); // a steady writer's pace, not a wait for a condition
                    }
                } catch (Exception e) {
                    failed.set(e);
                }
            }, "snapshot-writer");
            writer.start();

            // Mid-copy: the job's progress line shows some rows copied, not all (the target
            // collection is loaded only once its copy is done: its count cannot tell).
            Path log = dir.resolve("flink/taskmanager-0.log");
            String progress = "Initial snapshot of default." + name + ": ";
            CommonTestUtils.waitUtil(() -> {
                try {
                    String text = Files.exists(log) ? Files.readString(log) : "";
                    return text.contains(progress) && !text.contains("Initial snapshot of default." + name + " copied");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, Duration.ofMinutes(3), Duration.ofMillis(50), "the copy under way");
            String copied = Files.readString(log).lines().filter(l -> l.contains(progress)).reduce((a, b) -> b).orElse("");
            flink.killTaskManager(0);
            Thread.sleep(1_000); // the machine stays down a moment, as after a crash
            flink.startTaskManager(0);
            System.out.println("killed the TaskManager mid-copy, after: " + copied);
            writer.join();
            if (failed.get() != null) {
                throw failed.get();
            }
            keys.addAll(inserted);

            // The counts first (cheap; the target answers once its copy is done and loaded), then the
            // verifier, which takes half a minute per look at these rows.
            ReplicationHarness.waitUntil("the target's count(*) equals the source's",
                    () -> MilvusTables.count(target, name) == MilvusTables.count(source, name));
            CdcConfig config = CdcConfig.load(cdcYaml);
            ReplicationHarness.awaitVerifierEqual(config, 1);
            // The kill failed the job over (REST metrics lag: its exception history tells at once).
            CommonTestUtils.waitUtil(() -> {
                try {
                    return flink.restarts(job) >= 1 || !flink.failures(job).isEmpty();
                } catch (java.io.IOException e) {
                    return false;
                }
            }, Duration.ofSeconds(30), Duration.ofMillis(500), "the job failed over after the kill");
            Oracle.Result judged = new Oracle(source, target).compare(Map.of("default", Set.of(name)),
                    Map.of("default." + name, keys));
            assertTrue(judged.equal(), judged.summary() + " " + judged.schemaDifferences);
            flink.cancel(job);
        } finally {
            for (MilvusClientV2 side : List.of(source, target)) {
                side.dropCollection(DropCollectionReq.builder().collectionName(name).build());
                side.close();
            }
        }
    }
}
