package io.milvuscdc.job;

import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.job.chaos.Oracle;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.verify.FlinkRangeRunner;
import io.milvuscdc.job.verify.VerificationFailedException;
import io.milvuscdc.job.verify.Verifier;
import io.milvuscdc.job.verify.VerifyOptions;
import io.milvuscdc.job.verify.VerifyReport;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The verifier ({@code flink run … verify}) on the real source and target, the job not running:
 * differences planted by hand on the target are each found (a scalar changed, one float of a vector
 * changed, a dynamic field's value changed, a row deleted, a row added, a key stored twice, a
 * collection without its index and not loaded, a collection only on one side), the run fails with
 * a report naming them; {@code --repair} makes the target match, which the chaos tests' own judge
 * (an independent comparison) confirms. A difference that heals before the second look is not reported.
 */
@ExtendWith(MilvusStackExtension.class)
class VerifierITCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void findsEveryPlantedDifferenceAndRepairMakesTheTargetMatch(MilvusStack stack, @TempDir Path dir) throws Exception {
        String prefix = "vfy_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36) + "_";
        String rowsName = prefix + "rows";
        String indexName = prefix + "index";
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try {
            for (MilvusClientV2 side : List.of(source, target)) {
                SmallCollections.create(side, rowsName, true);
                side.insert(InsertReq.builder().collectionName(rowsName).data(SmallCollections.rows(0, 2_500)).build());
                side.insert(InsertReq.builder().collectionName(rowsName).partitionName("p1").data(SmallCollections.rows(2_500, 2_800)).build());
            }
            SmallCollections.create(source, indexName, true);
            source.insert(InsertReq.builder().collectionName(indexName).data(SmallCollections.rows(0, 700)).build());
            SmallCollections.create(target, indexName, false); // no index, not loaded, no rows
            SmallCollections.create(source, prefix + "source_only", true);
            SmallCollections.create(target, prefix + "target_only", true);

            // Planted on the target.
            JsonObject scalar = SmallCollections.rows(1, 2).get(0);
            scalar.addProperty("s", "changed by hand");
            JsonObject vector = SmallCollections.rows(2, 3).get(0);
            JsonArray vec = vector.getAsJsonArray("vec");
            vec.set(3, new JsonPrimitive(vec.get(3).getAsFloat() + 0.001f));
            JsonObject dynamic = SmallCollections.rows(7, 8).get(0);
            dynamic.addProperty("extra", "changed by hand");
            target.upsert(UpsertReq.builder().collectionName(rowsName).data(List.of(scalar, vector, dynamic)).build());
            target.delete(DeleteReq.builder().collectionName(rowsName).filter("id in [3, 2700]").build());
            // More than a range's result carries back (100 keys): the repair compares that range again.
            target.delete(DeleteReq.builder().collectionName(rowsName).filter("id >= 1100 and id < 1250").build());
            List<JsonObject> added = new ArrayList<>(SmallCollections.rows(100_000, 100_001));
            added.addAll(SmallCollections.rows(5, 6)); // key 5 a second time: a plain insert does not replace
            target.insert(InsertReq.builder().collectionName(rowsName).data(added).build());

            Path config = dir.resolve("cdc.yaml");
            Files.writeString(config, ReplicationHarness.yaml(stack, MilvusStack.Queue.KAFKA,
                    "selection:", "  include: [default." + prefix + "*]"));
            // A partition the proxy does not answer queries on (a 2.3.5 proxy whose cache missed one
            // made while its queue was down) is told apart from a refusal: rows are then compared across partitions.
            try (MilvusQueryClient q = new MilvusQueryClient(CdcConfig.load(config).targetMilvus())) {
                assertTrue(q.partitionQueryable("default", rowsName, "p1"));
                assertFalse(q.partitionQueryable("default", rowsName, "p_never_made"));
            }
            Path report = dir.resolve("report.json");
            VerificationFailedException failed = assertThrows(VerificationFailedException.class, () -> MilvusCdcJob.verify(
                    VerifyOptions.parse(new String[]{"--config", config.toString(), "--report", report.toString(),
                            "--recheck-after", "0s", "--range-rows", "1000"})));
            assertTrue(failed.getMessage().startsWith("4 of 4 collections differ"), failed.getMessage());
            JsonNode found = collections(report);

            JsonNode rows = found.get("default." + rowsName);
            assertEquals(2_800, rows.get("sourceRows").asLong(), rows.toString());
            assertEquals(2_649, rows.get("targetRows").asLong(), rows.toString()); // 152 deleted, 1 added
            assertEquals(2_650, rows.get("targetCount").asLong(), rows.toString()); // key 5 counted twice
            assertEquals(152, rows.get("missing").asLong(), rows.toString());
            assertEquals(1, rows.get("duplicated").asLong(), rows.toString());
            assertEquals(List.of("1", "2", "7"), texts(rows.get("firstDiffering")), rows.toString());
            List<String> firstMissing = texts(rows.get("firstMissing"));
            assertEquals(List.of("3", "1100", "1101", "1102", "1103", "1104", "1105", "1106", "1107", "1108"), firstMissing,
                    "the lowest keys, in key order: " + rows);
            assertEquals(List.of("100000"), texts(rows.get("firstExtra")), rows.toString());
            assertEquals(4, rows.get("ranges").asLong(), "3 ranges of _default, 1 of p1: " + rows);
            assertTrue(rows.get("shapeDifferences").isEmpty(), rows.toString());

            JsonNode index = found.get("default." + indexName);
            String shape = index.get("shapeDifferences").toString();
            assertTrue(shape.contains("indexes: source [vec_index on vec") && shape.contains("target []"), shape);
            assertTrue(shape.contains("loadState: source LoadStateLoaded, target LoadStateNotLoad"), shape);
            assertEquals("a collection not loaded cannot be queried", index.get("rowsNotCompared").asText(), index.toString());
            assertTrue(found.get("default." + prefix + "source_only").get("onSource").asBoolean());
            assertTrue(!found.get("default." + prefix + "source_only").get("onTarget").asBoolean());
            assertTrue(!found.get("default." + prefix + "target_only").get("onSource").asBoolean());

            // Repair the two collections the job would have written (it creates and drops collections itself).
            Files.writeString(config, ReplicationHarness.yaml(stack, MilvusStack.Queue.KAFKA,
                    "selection:", "  include: [default." + rowsName + ", default." + indexName + "]"));
            VerifyReport repaired = MilvusCdcJob.verify(VerifyOptions.parse(new String[]{"--config", config.toString(),
                    "--report", report.toString(), "--recheck-after", "0s", "--range-rows", "1000", "--repair"}));
            assertTrue(repaired.equal(), repaired.text());
            VerifyReport.CollectionReport r = repaired.collections.stream()
                    .filter(c -> c.source.equals("default." + indexName)).findFirst().orElseThrow();
            assertEquals(List.of("created index vec_index on vec", "loaded", "upserted 700 rows from the source, deleted 0 keys"),
                    r.repairs, r.text());
            VerifyReport again = MilvusCdcJob.verify(VerifyOptions.parse(new String[]{"--config", config.toString(),
                    "--report", report.toString(), "--recheck-after", "0s"}));
            assertTrue(again.equal(), again.text());

            // An independent judge: every key, every field, count(*).
            Oracle.Result judged = new Oracle(source, target).compare(Map.of("default", Set.of(rowsName, indexName)),
                    Map.of("default." + rowsName, keys(0, 2_800, 100_000), "default." + indexName, keys(0, 700)));
            assertTrue(judged.equal(), judged.summary() + " " + judged.schemaDifferences);
        } finally {
            for (String name : List.of(rowsName, indexName, prefix + "source_only", prefix + "target_only")) {
                for (MilvusClientV2 side : List.of(source, target)) {
                    side.dropCollection(DropCollectionReq.builder().collectionName(name).build());
                }
            }
            source.close();
            target.close();
        }
    }

    @Test
    void aDifferenceThatHealsBeforeTheSecondLookIsNotReported(MilvusStack stack) throws Exception {
        String name = "vfy_heal_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try {
            for (MilvusClientV2 side : List.of(source, target)) {
                SmallCollections.create(side, name, true);
                side.insert(InsertReq.builder().collectionName(name).data(SmallCollections.rows(0, 50)).build());
            }
            // Two rows the source changed; the "job" has not brought them to the target yet.
            JsonObject one = SmallCollections.rows(1, 2).get(0);
            one.addProperty("s", "new");
            JsonObject two = SmallCollections.rows(2, 3).get(0);
            two.addProperty("s", "new");
            source.upsert(UpsertReq.builder().collectionName(name).data(List.of(one, two)).build());

            CdcConfig config = ReplicationHarness.config(stack, MilvusStack.Queue.KAFKA,
                    "selection:", "  include: [default." + name + "]");
            VerifyOptions options = VerifyOptions.parse(new String[]{"--config", "unused", "--recheck-after", "2s"});
            FlinkRangeRunner flink = new FlinkRangeRunner(StreamExecutionEnvironment.getExecutionEnvironment(),
                    config.sourceMilvus("verify"), config.targetMilvus(), "verify test");
            VerifyReport report = new Verifier(config.sourceMilvus("verify"), config.targetMilvus(), config.selection, options,
                    ranges -> {
                        var diffs = flink.compare(ranges);
                        // Key 1 arrives between the first and the second look; key 2 never does.
                        target.upsert(UpsertReq.builder().collectionName(name).data(List.of(one)).build());
                        return diffs;
                    }).run();
            VerifyReport.CollectionReport r = report.collections.get(0);
            assertEquals(List.of("2"), r.firstDiffering, r.text());
            assertEquals(1, r.differing, r.text());
        } finally {
            for (MilvusClientV2 side : List.of(source, target)) {
                side.dropCollection(DropCollectionReq.builder().collectionName(name).build());
                side.close();
            }
        }
    }

    private static Map<String, JsonNode> asMap(JsonNode collections) {
        Map<String, JsonNode> out = new java.util.HashMap<>();
        collections.forEach(c -> out.put(c.get("source").asText(), c));
        return out;
    }

    private static JsonNode collections(Path report) throws java.io.IOException {
        JsonNode root = JSON.readTree(report.toFile());
        com.fasterxml.jackson.databind.node.ObjectNode byName = JSON.createObjectNode();
        asMap(root.get("collections")).forEach(byName::set);
        return byName;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Set<Object> keys(long from, long to, long... more) {
        Set<Object> out = LongStream.range(from, to).boxed().collect(Collectors.toCollection(HashSet::new));
        for (long k : more) {
            out.add(k);
        }
        return new TreeSet<>(out);
    }
}
