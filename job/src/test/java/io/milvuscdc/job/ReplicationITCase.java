package io.milvuscdc.job;

import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusTables;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import io.milvuscdc.job.config.CdcConfig;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.response.InsertResp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The first slice end to end on real servers, once with a source Milvus on Kafka and once with
 * one on Pulsar: the job on a Flink MiniCluster, a target Milvus. Two collections are created
 * after the job starts, filled, partly deleted and upserted; the target must then hold exactly
 * the source's live rows.
 */
@ForEachSourceQueue
class ReplicationITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = ReplicationHarness.miniCluster();

    /** The source's queue; the lifecycle methods receive it as their argument. */
    @Parameter
    Queue queue;

    private static final int DIM = 128;

    private static MilvusStack stack;
    private static MilvusClientV2 source;
    private static MilvusClientV2 target;

    @BeforeParameterizedClassInvocation
    static void connect(Queue queue, MilvusStack running) {
        stack = running;
        source = MilvusTables.connect(stack.source(queue));
        target = MilvusTables.connect(stack.target());
    }

    @AfterParameterizedClassInvocation
    static void close() {
        source.close();
        target.close();
    }

    @Test
    void replicatesNewCollectionsWithInsertsDeletesAndUpserts() throws Exception {
        JobClient job = ReplicationHarness.start(ReplicationHarness.config(stack, queue), queue + " replication");
        try {
            String fixed = "cdc_fixed_" + System.currentTimeMillis();
            String auto = "cdc_auto_" + System.currentTimeMillis();
            createFixedCollection(fixed);
            createAutoIdCollection(auto);

            // (a) 20,000 rows in batches, 2,000 deleted by key, 1,000 upserted with new values.
            Random random = new Random(42);
            for (int batch = 0; batch < 20; batch++) {
                List<JsonObject> rows = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    rows.add(fixedRow(batch * 1000L + i, "v1", random));
                }
                source.insert(InsertReq.builder().collectionName(fixed).data(rows).build());
            }
            List<Object> deleted = new ArrayList<>();
            for (long k = 0; k < 20_000; k += 10) {
                deleted.add(k);
            }
            source.delete(DeleteReq.builder().collectionName(fixed).ids(deleted).build());
            List<JsonObject> upserts = new ArrayList<>();
            for (long k = 5; k < 10_000; k += 10) {
                upserts.add(fixedRow(k, "upserted", random));
            }
            source.upsert(UpsertReq.builder().collectionName(fixed).data(upserts).build());
            Set<Long> fixedLive = new LinkedHashSet<>();
            for (long k = 0; k < 20_000; k++) {
                if (k % 10 != 0) {
                    fixedLive.add(k);
                }
            }

            // (b) auto-id keys and a dynamic field: 20,000 rows, 2,000 of them deleted by key.
            List<Long> autoKeys = new ArrayList<>();
            for (int batch = 0; batch < 20; batch++) {
                List<JsonObject> rows = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    rows.add(autoRow(batch * 1000 + i, random));
                }
                InsertResp resp = source.insert(InsertReq.builder().collectionName(auto).data(rows).build());
                resp.getPrimaryKeys().forEach(k -> autoKeys.add(((Number) k).longValue()));
            }
            List<Object> autoDeleted = autoKeys.stream().filter(k -> k % 10 == 3).collect(Collectors.toList());
            source.delete(DeleteReq.builder().collectionName(auto).ids(autoDeleted).build());
            Set<Long> autoLive = new LinkedHashSet<>(autoKeys);
            autoDeleted.forEach(autoLive::remove);

            waitUntil("both collections exist on the target", () ->
                    target.hasCollection(HasCollectionReq.builder().collectionName(fixed).build())
                            && target.hasCollection(HasCollectionReq.builder().collectionName(auto).build()));
            // The source's index and load reach the target through the replicate channel.
            waitUntil("both collections are loaded on the target", () ->
                    target.getLoadState(GetLoadStateReq.builder().collectionName(fixed).build())
                            && target.getLoadState(GetLoadStateReq.builder().collectionName(auto).build()));

            assertSchemaEquivalent(fixed);
            assertSchemaEquivalent(auto);

            List<String> fixedFields = List.of("id", "title", "score", "meta", "vec");
            List<String> autoFields = List.of("id", "vec", "$meta");
            assertEquals(fixedLive.size(), MilvusTables.count(source, fixed));
            assertEquals(autoLive.size(), MilvusTables.count(source, auto));
            waitUntil("the target holds the source's row counts", () ->
                    MilvusTables.count(target, fixed) == fixedLive.size()
                            && MilvusTables.count(target, auto) == autoLive.size());
            waitUntil("the target's rows equal the source's", () ->
                    MilvusTables.rowsByKey(target, fixed, "id", fixedLive, fixedFields)
                            .equals(MilvusTables.rowsByKey(source, fixed, "id", fixedLive, fixedFields)));

            Map<Long, Map<String, Object>> sourceFixed = MilvusTables.rowsByKey(source, fixed, "id", fixedLive, fixedFields);
            Map<Long, Map<String, Object>> targetFixed = MilvusTables.rowsByKey(target, fixed, "id", fixedLive, fixedFields);
            assertEquals(fixedLive, sourceFixed.keySet());
            assertEquals(sourceFixed, targetFixed);
            assertEquals("upserted-title-5", targetFixed.get(5L).get("title"));

            Map<Long, Map<String, Object>> sourceAuto = MilvusTables.rowsByKey(source, auto, "id", autoLive, autoFields);
            Map<Long, Map<String, Object>> targetAuto = MilvusTables.rowsByKey(target, auto, "id", autoLive, autoFields);
            assertEquals(autoLive, sourceAuto.keySet());
            assertEquals(sourceAuto, targetAuto);
            assertFalse(targetAuto.values().iterator().next().keySet().stream().noneMatch(k -> k.equals("tag")),
                    "dynamic field values replicated: " + targetAuto.values().iterator().next().keySet());
            // No row beyond the source's: equal counts over equal key sets.
            assertEquals(MilvusTables.count(source, fixed), MilvusTables.count(target, fixed));
            assertEquals(MilvusTables.count(source, auto), MilvusTables.count(target, auto));
        } finally {
            job.cancel().get();
        }
    }

    /**
     * Positions live in the source's checkpointed state (Kafka offsets, Pulsar message ids): a
     * job stopped with a savepoint and resumed from it reads exactly what was written while it
     * was down, although its start-up mode (latest) alone would skip it.
     */
    @Test
    void resumesFromASavepointWithNothingLost() throws Exception {
        String name = "resumed_" + queue.name().toLowerCase() + "_" + System.currentTimeMillis() % 100_000;
        Random random = new Random(11);
        CdcConfig config = ReplicationHarness.config(stack, queue);
        JobClient job = ReplicationHarness.start(config, queue + " before savepoint");
        String savepoint;
        try {
            createFixedCollection(name);
            insertFixed(name, 0, 1000, "v1", random);
            waitUntil("the first rows are on the target", () -> MilvusTables.count(target, name) == 1000);
        } finally {
            savepoint = job.stopWithSavepoint(false, Files.createTempDirectory("savepoints").toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
        }

        // While the job is down: new rows, deletes and upserts.
        insertFixed(name, 1000, 1000, "v1", random);
        List<Object> deleted = LongStream.range(0, 100).boxed().collect(Collectors.toList());
        source.delete(DeleteReq.builder().collectionName(name).ids(deleted).build());
        List<JsonObject> upserts = new ArrayList<>();
        for (long k = 100; k < 200; k++) {
            upserts.add(fixedRow(k, "while-down", random));
        }
        source.upsert(UpsertReq.builder().collectionName(name).data(upserts).build());

        job = ReplicationHarness.start(config, queue + " after savepoint", savepoint);
        try {
            insertFixed(name, 2000, 500, "v1", random);
            Set<Long> live = LongStream.range(100, 2500).boxed().collect(Collectors.toCollection(LinkedHashSet::new));
            List<String> fields = List.of("id", "title", "score", "meta", "vec");
            assertEquals(live.size(), MilvusTables.count(source, name));
            waitUntil("the target holds the source's live rows", () -> MilvusTables.count(target, name) == live.size()
                    && MilvusTables.rowsByKey(target, name, "id", live, fields)
                            .equals(MilvusTables.rowsByKey(source, name, "id", live, fields)));
            Map<Long, Map<String, Object>> targetRows = MilvusTables.rowsByKey(target, name, "id", live, fields);
            assertEquals(live, targetRows.keySet());
            assertEquals("while-down-title-150", targetRows.get(150L).get("title"));
            assertEquals(MilvusTables.count(source, name), MilvusTables.count(target, name));
        } finally {
            job.cancel().get();
        }
    }

    private static void insertFixed(String name, long from, int count, String version, Random random) {
        List<JsonObject> rows = new ArrayList<>();
        for (long k = from; k < from + count; k++) {
            rows.add(fixedRow(k, version, random));
        }
        source.insert(InsertReq.builder().collectionName(name).data(rows).build());
    }

    private void createFixedCollection(String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).autoID(false).build());
        schema.addField(AddFieldReq.builder().fieldName("title").dataType(DataType.VarChar).maxLength(128).build());
        schema.addField(AddFieldReq.builder().fieldName("score").dataType(DataType.Float).build());
        schema.addField(AddFieldReq.builder().fieldName("meta").dataType(DataType.JSON).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(DIM).build());
        source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).numShards(2).build());
        loadForQuery(source, name);
    }

    private void createAutoIdCollection(String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().enableDynamicField(true).build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).autoID(true).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(DIM).build());
        source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).numShards(2).build());
        loadForQuery(source, name);
    }

    private static void loadForQuery(MilvusClientV2 client, String name) {
        client.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build())).build());
        client.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    private static void assertSchemaEquivalent(String name) {
        assertEquals(ReplicationHarness.schemaOf(ReplicationHarness.describe(source, "default", name)),
                ReplicationHarness.schemaOf(ReplicationHarness.describe(target, "default", name)), "schema of " + name);
    }

    private static JsonObject fixedRow(long id, String version, Random random) {
        JsonObject row = new JsonObject();
        row.addProperty("id", id);
        row.addProperty("title", version + "-title-" + id);
        row.addProperty("score", random.nextFloat());
        JsonObject meta = new JsonObject();
        meta.addProperty("n", id);
        meta.addProperty("version", version);
        row.add("meta", meta);
        row.add("vec", vector(random));
        return row;
    }

    private static JsonObject autoRow(int n, Random random) {
        JsonObject row = new JsonObject();
        row.add("vec", vector(random));
        row.addProperty("tag", "tag-" + n);
        row.addProperty("rank", n);
        return row;
    }

    private static JsonArray vector(Random random) {
        JsonArray vec = new JsonArray();
        for (int d = 0; d < DIM; d++) {
            vec.add(random.nextFloat());
        }
        return vec;
    }

    private static void waitUntil(String what, BooleanSupplier condition) throws Exception {
        ReplicationHarness.waitUntil(what, condition);
    }
}
