package io.milvuscdc.job;

import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusTables;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.collection.request.ReleaseCollectionReq;
import io.milvus.v2.service.database.request.CreateDatabaseReq;
import io.milvus.v2.service.database.request.DropDatabaseReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.index.request.DescribeIndexReq;
import io.milvus.v2.service.index.request.DropIndexReq;
import io.milvus.v2.service.index.request.ListIndexesReq;
import io.milvus.v2.service.index.response.DescribeIndexResp;
import io.milvus.v2.service.partition.request.CreatePartitionReq;
import io.milvus.v2.service.partition.request.DropPartitionReq;
import io.milvus.v2.service.partition.request.ListPartitionsReq;
import io.milvus.v2.service.utility.request.FlushReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every operation a 2.3 source publishes, each replayed on real servers by one job that runs
 * for the whole class (with a selection and a name mapping), each asserting the target's
 * state: databases, every field type, partitions, drop and re-create, same-key interleavings,
 * index, load, release and flush. The class runs once per queue (a source Milvus on Kafka, one
 * on Pulsar) against the same target. Names are unique per test and per queue, so the tests
 * share the job and the runs share the target.
 */
@ForEachSourceQueue
class OperationsITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = ReplicationHarness.miniCluster();

    /** The source's queue; the lifecycle methods receive it as their argument. */
    @Parameter
    Queue queue;

    /** Unique per run and queue: in names, so that both runs can share the target. */
    private static String run;
    private static final Random RANDOM = new Random(7);

    private static MilvusClientV2 source;
    private static MilvusClientV2 target;
    private static JobClient job;

    @BeforeParameterizedClassInvocation
    static void startJob(Queue queue, MilvusStack stack) throws Exception {
        run = queue.name().toLowerCase().charAt(0) + Long.toString(System.currentTimeMillis() % 100_000);
        source = MilvusTables.connect(stack.source(queue));
        target = MilvusTables.connect(stack.target());
        job = ReplicationHarness.start(ReplicationHarness.config(stack, queue,
                "selection:",
                "  include: ['*.*']",
                "  exclude: ['default.skipped_*', 'private_" + run + ".*']",
                "mapping:",
                "  databases: {srcdb_" + run + ": dstdb_" + run + "}",
                "  collections: {default.mapped_src_" + run + ": mapped_dst_" + run + "}"), queue + " operations");
    }

    @AfterParameterizedClassInvocation
    static void stopJob() throws Exception {
        job.cancel().get();
        source.close();
        target.close();
    }

    @Test
    void databasesAndOneNameInSeveralDatabases() throws Exception {
        String db1 = "ops_a_" + run;
        String db2 = "ops_b_" + run;
        String empty = "ops_empty_" + run;
        String name = "same_name";
        source.createDatabase(CreateDatabaseReq.builder().databaseName(db1).build());
        source.createDatabase(CreateDatabaseReq.builder().databaseName(db2).build());
        source.createDatabase(CreateDatabaseReq.builder().databaseName(empty).build());
        Map<String, Set<Long>> live = new HashMap<>();
        long base = 0;
        for (String db : List.of(db1, db2, "default")) {
            String collection = db.equals("default") ? name + "_" + run : name;
            createSimple(db, collection, 8);
            insertSimple(db, collection, base, 300, 8);
            loadSimple(db, collection);
            live.put(db, keys(base, 300));
            base += 1000; // different keys in each database: a mix-up shows
        }
        waitUntil("the empty database exists on the target", () -> target.listDatabases().getDatabaseNames().contains(empty));
        for (String db : List.of(db1, db2, "default")) {
            String collection = db.equals("default") ? name + "_" + run : name;
            assertRowsEqual(db, collection, db, collection, live.get(db), List.of("id", "tag", "vec"));
        }

        // Drop a database: its collection first (the server insists), then the database.
        source.dropCollection(DropCollectionReq.builder().databaseName(db2).collectionName(name).build());
        source.dropDatabase(DropDatabaseReq.builder().databaseName(db2).build());
        source.dropDatabase(DropDatabaseReq.builder().databaseName(empty).build());
        waitUntil("the dropped databases are gone from the target", () -> {
            List<String> dbs = target.listDatabases().getDatabaseNames();
            return !dbs.contains(db2) && !dbs.contains(empty);
        });
        assertTrue(target.listDatabases().getDatabaseNames().contains(db1));
        assertRowsEqual(db1, name, db1, name, live.get(db1), List.of("id", "tag", "vec"));
    }

    @Test
    void everyFieldTypeWithSchemaShardsConsistencyAndProperties() throws Exception {
        String floats = "all_types_" + run;
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder()
                .enableDynamicField(true).build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("b").dataType(DataType.Bool).build());
        schema.addField(AddFieldReq.builder().fieldName("i8").dataType(DataType.Int8).build());
        schema.addField(AddFieldReq.builder().fieldName("i16").dataType(DataType.Int16).build());
        schema.addField(AddFieldReq.builder().fieldName("i32").dataType(DataType.Int32).build());
        schema.addField(AddFieldReq.builder().fieldName("f").dataType(DataType.Float).build());
        schema.addField(AddFieldReq.builder().fieldName("d").dataType(DataType.Double).build());
        schema.addField(AddFieldReq.builder().fieldName("s").dataType(DataType.VarChar).maxLength(77).build());
        schema.addField(AddFieldReq.builder().fieldName("j").dataType(DataType.JSON).build());
        schema.addField(AddFieldReq.builder().fieldName("arr").dataType(DataType.Array).elementType(DataType.Int64)
                .maxCapacity(6).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(16).build());
        source.createCollection(CreateCollectionReq.builder().collectionName(floats).collectionSchema(schema)
                .numShards(3).consistencyLevel(ConsistencyLevel.BOUNDED)
                .property("collection.ttl.seconds", "86400").build());
        List<JsonObject> rows = new ArrayList<>();
        for (long k = 0; k < 500; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            row.addProperty("b", k % 2 == 0);
            row.addProperty("i8", (byte) k);
            row.addProperty("i16", (short) (k * 100));
            row.addProperty("i32", (int) (k * 100_000));
            row.addProperty("f", RANDOM.nextFloat());
            row.addProperty("d", RANDOM.nextDouble());
            row.addProperty("s", "s-" + k);
            JsonObject json = new JsonObject();
            json.addProperty("k", k);
            json.addProperty("name", "n" + k);
            row.add("j", json);
            JsonArray arr = new JsonArray();
            for (int i = 0; i < k % 7; i++) {
                arr.add(k + i);
            }
            row.add("arr", arr);
            row.add("vec", floatVector(16));
            row.addProperty("dyn", "dynamic-" + k);
            rows.add(row);
        }
        source.insert(InsertReq.builder().collectionName(floats).data(rows).build());
        index(source, "default", floats, "vec", IndexParam.IndexType.FLAT, IndexParam.MetricType.L2, Map.of());
        source.loadCollection(LoadCollectionReq.builder().collectionName(floats).build());

        // Binary vectors need a collection of their own on 2.3 (one vector field); with a
        // partition key and a varchar primary key.
        String bits = "binary_pk_" + run;
        CreateCollectionReq.CollectionSchema binary = CreateCollectionReq.CollectionSchema.builder().build();
        binary.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.VarChar).maxLength(20)
                .isPrimaryKey(true).build());
        binary.addField(AddFieldReq.builder().fieldName("tenant").dataType(DataType.Int64).isPartitionKey(true).build());
        binary.addField(AddFieldReq.builder().fieldName("bv").dataType(DataType.BinaryVector).dimension(64).build());
        source.createCollection(CreateCollectionReq.builder().collectionName(bits).collectionSchema(binary)
                .numShards(1).numPartitions(4).consistencyLevel(ConsistencyLevel.STRONG).build());
        List<JsonObject> binaryRows = new ArrayList<>();
        for (int k = 0; k < 200; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", "key-" + k);
            row.addProperty("tenant", k % 5);
            JsonArray bytes = new JsonArray();
            for (int i = 0; i < 8; i++) {
                bytes.add(RANDOM.nextInt(256));
            }
            row.add("bv", bytes);
            binaryRows.add(row);
        }
        source.insert(InsertReq.builder().collectionName(bits).data(binaryRows).build());
        index(source, "default", bits, "bv", IndexParam.IndexType.BIN_FLAT, IndexParam.MetricType.HAMMING, Map.of());
        source.loadCollection(LoadCollectionReq.builder().collectionName(bits).build());

        waitLoaded("default", floats);
        waitLoaded("default", bits);
        assertEquals(schema("default", floats, source), schema("default", floats, target));
        assertEquals(schema("default", bits, source), schema("default", bits, target));
        assertRowsEqual("default", floats, "default", floats, keys(0, 500),
                List.of("id", "b", "i8", "i16", "i32", "f", "d", "s", "j", "arr", "vec", "dyn"));
        waitUntil("the binary collection's rows equal the source's", () ->
                stringKeyRows(target, bits).equals(stringKeyRows(source, bits)));
        assertEquals(200, stringKeyRows(target, bits).size());
    }

    @Test
    void dropAndRecreateWhileRowsFlow() throws Exception {
        String name = "recreated_" + run;
        createSimple("default", name, 8);
        insertSimple("default", name, 0, 1000, 8);
        source.dropCollection(DropCollectionReq.builder().collectionName(name).build());
        // Same name, another dimension, rows right away: the old collection's rows and drop
        // must all land before the new collection is created on the target.
        createSimple("default", name, 12);
        insertSimple("default", name, 5000, 400, 12);
        loadSimple("default", name);
        assertRowsEqual("default", name, "default", name, keys(5000, 400), List.of("id", "tag", "vec"));
        assertEquals(schema("default", name, source), schema("default", name, target));
        assertEquals(400, MilvusTables.count(target, name));
    }

    @Test
    void partitionsCreatedFilledAndDropped() throws Exception {
        String name = "partitioned_" + run;
        createSimple("default", name, 8);
        source.createPartition(CreatePartitionReq.builder().collectionName(name).partitionName("p1").build());
        source.createPartition(CreatePartitionReq.builder().collectionName(name).partitionName("p2").build());
        // Rows right after the partitions: they may reach the job before etcd shows them.
        insertSimple("default", name, "p1", 0, 300, 8);
        insertSimple("default", name, "p2", 1000, 300, 8);
        insertSimple("default", name, "_default", 2000, 100, 8);
        source.delete(DeleteReq.builder().collectionName(name).partitionName("p1")
                .ids(new ArrayList<>(keys(0, 50))).build());
        source.upsert(UpsertReq.builder().collectionName(name).partitionName("p1")
                .data(simpleRows(100, 20, 8, "upserted")).build());
        source.dropPartition(DropPartitionReq.builder().collectionName(name).partitionName("p2").build());
        loadSimple("default", name);

        Set<Long> live = new TreeSet<>(keys(50, 250));
        live.addAll(keys(2000, 100));
        waitUntil("the target has the source's partitions", () ->
                new TreeSet<>(target.listPartitions(ListPartitionsReq.builder().collectionName(name).build()))
                        .equals(new TreeSet<>(List.of("_default", "p1"))));
        assertRowsEqual("default", name, "default", name, live, List.of("id", "tag", "vec"));
        assertEquals("upserted-110", MilvusTables.rowsByKey(target, name, "id", List.of(110L), List.of("tag"))
                .get(110L).get("tag"));
    }

    @Test
    void deleteAndReinsertOfTheSameKeysInOneBatch() throws Exception {
        String name = "same_keys_" + run;
        createSimple("default", name, 8);
        loadSimple("default", name);
        insertSimple("default", name, 0, 100, 8);
        source.delete(DeleteReq.builder().collectionName(name).ids(new ArrayList<>(keys(0, 50))).build());
        source.insert(InsertReq.builder().collectionName(name).data(simpleRows(0, 25, 8, "again")).build());
        source.upsert(UpsertReq.builder().collectionName(name).data(simpleRows(25, 5, 8, "upserted")).build());
        source.delete(DeleteReq.builder().collectionName(name).ids(new ArrayList<>(keys(90, 10))).build());
        source.upsert(UpsertReq.builder().collectionName(name).data(simpleRows(90, 3, 8, "back")).build());

        Set<Long> live = new TreeSet<>(keys(0, 30));
        live.addAll(keys(50, 40));
        live.addAll(keys(90, 3));
        assertRowsEqual("default", name, "default", name, live, List.of("id", "tag", "vec"));
        Map<Long, Map<String, Object>> rows = MilvusTables.rowsByKey(target, name, "id", live, List.of("tag"));
        assertEquals("again-3", rows.get(3L).get("tag"));
        assertEquals("upserted-27", rows.get(27L).get("tag"));
        assertEquals("back-91", rows.get(91L).get("tag"));
    }

    /** Written within one checkpoint: the target must hold each key once, with its last values. */
    @Test
    void keysInsertedAndUpsertedTwiceRightAfterAreStoredOnce() throws Exception {
        String name = "upserted_at_once_" + run;
        createSimple("default", name, 8);
        loadSimple("default", name);
        source.insert(InsertReq.builder().collectionName(name).data(simpleRows(0, 10, 8, "inserted")).build());
        source.upsert(UpsertReq.builder().collectionName(name).data(simpleRows(0, 10, 8, "first")).build());
        source.upsert(UpsertReq.builder().collectionName(name).data(simpleRows(5, 10, 8, "second")).build());

        Set<Long> live = keys(0, 15);
        assertRowsEqual("default", name, "default", name, live, List.of("id", "tag", "vec"));
        Map<Long, Map<String, Object>> rows = MilvusTables.rowsByKey(target, name, "id", live, List.of("tag"));
        assertEquals("first-0", rows.get(0L).get("tag"));
        assertEquals("second-5", rows.get(5L).get("tag"));
        assertEquals("second-14", rows.get(14L).get("tag"));
        assertEquals(15, MilvusTables.count(target, name));
    }

    @Test
    void indexLoadReleaseAndFlush() throws Exception {
        String name = "indexed_" + run;
        createSimple("default", name, 8);
        insertSimple("default", name, 0, 2000, 8);
        source.flush(FlushReq.builder().collectionNames(List.of(name)).build());
        index(source, "default", name, "vec", IndexParam.IndexType.IVF_FLAT, IndexParam.MetricType.IP, Map.of("nlist", 32));
        source.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
        waitLoaded("default", name);
        DescribeIndexResp.IndexDesc sourceIndex = indexOf(source, name);
        DescribeIndexResp.IndexDesc targetIndex = indexOf(target, name);
        assertEquals(IndexParam.IndexType.IVF_FLAT, targetIndex.getIndexType());
        assertEquals(sourceIndex.getIndexType(), targetIndex.getIndexType());
        assertEquals(sourceIndex.getMetricType(), targetIndex.getMetricType());
        assertEquals(sourceIndex.getIndexName(), targetIndex.getIndexName());
        assertEquals(sourceIndex.getExtraParams().get("nlist"), targetIndex.getExtraParams().get("nlist"));
        // The flush came before the index and load: every earlier row is on the target.
        assertEquals(2000, MilvusTables.count(target, name));

        source.releaseCollection(ReleaseCollectionReq.builder().collectionName(name).build());
        waitUntil("the target released the collection", () ->
                !target.getLoadState(GetLoadStateReq.builder().collectionName(name).build()));
        source.dropIndex(DropIndexReq.builder().collectionName(name).fieldName("vec").indexName(sourceIndex.getIndexName()).build());
        waitUntil("the target dropped the index", () ->
                target.listIndexes(ListIndexesReq.builder().collectionName(name).build()).isEmpty());
    }

    @Test
    void selectionSkipsAndMappingRenames() throws Exception {
        String skipped = "skipped_" + run;
        String mappedSource = "mapped_src_" + run;
        String mappedTarget = "mapped_dst_" + run;
        String srcDb = "srcdb_" + run;
        String dstDb = "dstdb_" + run;
        String privateDb = "private_" + run;
        createSimple("default", skipped, 8);
        insertSimple("default", skipped, 0, 100, 8);
        createSimple("default", mappedSource, 8);
        insertSimple("default", mappedSource, 0, 200, 8);
        loadSimple("default", mappedSource);
        source.createDatabase(CreateDatabaseReq.builder().databaseName(srcDb).build());
        createSimple(srcDb, "inside", 8);
        insertSimple(srcDb, "inside", 0, 150, 8);
        loadSimple(srcDb, "inside");
        source.createDatabase(CreateDatabaseReq.builder().databaseName(privateDb).build());
        createSimple(privateDb, "secret", 8);
        insertSimple(privateDb, "secret", 0, 10, 8);

        assertRowsEqual("default", mappedSource, "default", mappedTarget, keys(0, 200), List.of("id", "tag", "vec"));
        assertRowsEqual(srcDb, "inside", dstDb, "inside", keys(0, 150), List.of("id", "tag", "vec"));
        // The mapped and later collections are all there; the excluded ones never came.
        assertFalse(target.hasCollection(HasCollectionReq.builder().collectionName(skipped).build()));
        assertFalse(target.hasCollection(HasCollectionReq.builder().collectionName(mappedSource).build()));
        assertFalse(target.listDatabases().getDatabaseNames().contains(privateDb));
        assertFalse(target.listDatabases().getDatabaseNames().contains(srcDb));
    }

    // ---- helpers ----

    private static void createSimple(String db, String name, int dim) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("tag").dataType(DataType.VarChar).maxLength(32).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(dim).build());
        source.createCollection(CreateCollectionReq.builder().databaseName(db).collectionName(name)
                .collectionSchema(schema).numShards(2).build());
    }

    private static void insertSimple(String db, String name, long from, int count, int dim) {
        insertSimple(db, name, "", from, count, dim);
    }

    private static void insertSimple(String db, String name, String partition, long from, int count, int dim) {
        InsertReq.InsertReqBuilder insert = InsertReq.builder().databaseName(db).collectionName(name)
                .data(simpleRows(from, count, dim, "v1"));
        if (!partition.isEmpty()) {
            insert.partitionName(partition);
        }
        source.insert(insert.build());
    }

    private static List<JsonObject> simpleRows(long from, int count, int dim, String version) {
        List<JsonObject> rows = new ArrayList<>();
        for (long k = from; k < from + count; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            row.addProperty("tag", version + "-" + k);
            row.add("vec", floatVector(dim));
            rows.add(row);
        }
        return rows;
    }

    /** Index and load on the source: both are replicated, so the target becomes queryable too. */
    private static void loadSimple(String db, String name) throws Exception {
        index(source, db, name, "vec", IndexParam.IndexType.FLAT, IndexParam.MetricType.L2, Map.of());
        source.loadCollection(LoadCollectionReq.builder().databaseName(db).collectionName(name).build());
    }

    private static void index(MilvusClientV2 client, String db, String name, String field, IndexParam.IndexType type,
                              IndexParam.MetricType metric, Map<String, Object> params) {
        client.createIndex(CreateIndexReq.builder().databaseName(db).collectionName(name).indexParams(List.of(
                IndexParam.builder().fieldName(field).indexType(type).metricType(metric).extraParams(params).build()))
                .build());
    }

    private static void waitLoaded(String db, String name) throws Exception {
        waitUntil(db + "." + name + " is loaded on the target", () ->
                target.getLoadState(GetLoadStateReq.builder().databaseName(db).collectionName(name).build()));
    }

    /** Waits until the target's collection is loaded and holds exactly the source's live rows. */
    private static void assertRowsEqual(String sourceDb, String sourceName, String targetDb, String targetName,
                                        Set<Long> live, List<String> fields) throws Exception {
        assertEquals(live.size(), MilvusTables.count(source, sourceDb, sourceName), "source rows of " + sourceName);
        waitLoaded(targetDb, targetName);
        waitUntil(targetDb + "." + targetName + " holds the source's rows", () ->
                MilvusTables.count(target, targetDb, targetName) == live.size()
                        && MilvusTables.rowsByKey(target, targetDb, targetName, "id", live, fields)
                        .equals(MilvusTables.rowsByKey(source, sourceDb, sourceName, "id", live, fields)));
        Map<Long, Map<String, Object>> rows = MilvusTables.rowsByKey(target, targetDb, targetName, "id", live, fields);
        assertEquals(live, rows.keySet());
    }

    private static Map<String, Map<String, Object>> stringKeyRows(MilvusClientV2 client, String name) {
        return client.query(io.milvus.v2.service.vector.request.QueryReq.builder().collectionName(name)
                        .filter("id != \"\"").outputFields(List.of("id", "tenant", "bv"))
                        .consistencyLevel(ConsistencyLevel.STRONG).limit(10_000).build())
                .getQueryResults().stream()
                .collect(Collectors.toMap(r -> (String) r.getEntity().get("id"), r -> r.getEntity()));
    }

    private static String schema(String db, String name, MilvusClientV2 client) {
        return ReplicationHarness.schemaOf(ReplicationHarness.describe(client, db, name));
    }

    private static DescribeIndexResp.IndexDesc indexOf(MilvusClientV2 client, String name) {
        return client.describeIndex(DescribeIndexReq.builder().collectionName(name).fieldName("vec").build())
                .getIndexDescriptions().get(0);
    }

    private static Set<Long> keys(long from, int count) {
        return LongStream.range(from, from + count).boxed().collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static JsonArray floatVector(int dim) {
        JsonArray vec = new JsonArray();
        for (int d = 0; d < dim; d++) {
            vec.add(RANDOM.nextFloat());
        }
        return vec;
    }

    private static void waitUntil(String what, BooleanSupplier condition) throws Exception {
        ReplicationHarness.waitUntil(what, condition);
    }
}
