package io.milvuscdc.job;

import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusTables;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Where a job without a checkpoint starts, once with a source Milvus on Kafka and once on Pulsar:
 * from a moment ({@code startup.mode: timestamp}: rows written before it stay behind, every change
 * from it on arrives — an insert, an upsert of a key written before, a delete) or from the
 * positions a backup ends at ({@code startup.mode: positions}); each key once, every field as on
 * the source.
 */
@ForEachSourceQueue
class StartupITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = ReplicationHarness.miniCluster();

    @Parameter
    Queue queue;

    private static final int DIM = 8;
    private static final List<String> FIELDS = List.of("id", "title", "vec");

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
    void fromATimestampTheChangesWrittenSinceArriveAndNothingBefore() throws Exception {
        String name = "cdc_from_time_" + queue.name().toLowerCase() + "_" + System.currentTimeMillis();
        create(source, name);
        Random random = new Random(7);
        insert(name, 0, 100, "before", random);
        // The moment: after the first rows were acknowledged (so published), before the next are written.
        long moment = System.currentTimeMillis() + 1;
        ReplicationHarness.waitUntil("the clock passes the moment", () -> System.currentTimeMillis() > moment);
        insert(name, 100, 100, "after", random);
        source.upsert(UpsertReq.builder().collectionName(name).data(List.of(row(5, "upserted after", random))).build());
        source.delete(DeleteReq.builder().collectionName(name).ids(List.of(150L, 151L)).build());

        Set<Long> expected = new TreeSet<>(LongStream.range(100, 200).boxed().collect(Collectors.toSet()));
        expected.removeAll(List.of(150L, 151L));
        expected.add(5L);

        JobClient job = ReplicationHarness.start(ReplicationHarness.config(stack, queue, only(name),
                "startup: {mode: timestamp, timestamp: '" + Instant.ofEpochMilli(moment) + "'}"), queue + " from a time");
        try {
            // The collection existed before the moment: the job creates it from the catalog; its
            // index and load were before the moment too, so they are made here to read the target.
            ReplicationHarness.waitUntil("the collection on the target", () ->
                    target.hasCollection(HasCollectionReq.builder().collectionName(name).build()));
            index(target, name);
            assertTargetHoldsAfterTheLastChange(name, expected);
        } finally {
            job.cancel().get();
        }
    }

    /**
     * {@code startup.mode: positions} with the positions the source itself records for the
     * collection's channels (its etcd's {@code datacoord-meta/channel-cp/}, as milvus-backup takes
     * them): the rows written before are put on the target by hand, as a restore of a backup
     * would; every change after arrives, and the target then equals the source, each key once.
     */
    @Test
    void fromTheSourcesChannelCheckpointsAfterARestoredBackupTheTargetEqualsTheSource() throws Exception {
        String name = "cdc_from_positions_" + queue.name().toLowerCase() + "_" + System.currentTimeMillis();
        create(source, name);
        Random random = new Random(11);
        insert(name, 0, 100, "backed up", random);
        source.flush(io.milvus.v2.service.utility.request.FlushReq.builder().collectionNames(List.of(name)).build());
        long collectionId = source.describeCollection(io.milvus.v2.service.collection.request.DescribeCollectionReq
                .builder().collectionName(name).build()).getCollectionID();
        Map<String, String> positions = channelCheckpoints(collectionId);
        assertEquals(2, positions.size(), "a checkpoint for each of the collection's 2 channels: " + positions.keySet());

        // The backup restored on the target: the collection and its rows as they were.
        create(target, name);
        Map<Long, Map<String, Object>> backedUp = MilvusTables.rowsByKey(source, name, "id",
                LongStream.range(0, 100).boxed().toList(), List.of("id", "title", "vec"));
        List<JsonObject> restored = new ArrayList<>();
        backedUp.values().forEach(row -> restored.add(new com.google.gson.Gson().toJsonTree(row).getAsJsonObject()));
        target.insert(InsertReq.builder().collectionName(name).data(restored).build());

        // Changes after the backup.
        insert(name, 100, 100, "after", random);
        source.upsert(UpsertReq.builder().collectionName(name).data(List.of(row(5, "upserted after", random))).build());
        source.delete(DeleteReq.builder().collectionName(name).ids(List.of(150L, 151L)).build());
        Set<Long> expected = new TreeSet<>(LongStream.range(0, 200).boxed().collect(Collectors.toSet()));
        expected.removeAll(List.of(150L, 151L));

        StringBuilder yaml = new StringBuilder("startup:\n  mode: positions\n  positions:");
        positions.forEach((channel, position) -> yaml.append("\n    ").append(channel).append(": ").append(position));
        JobClient job = ReplicationHarness.start(ReplicationHarness.config(stack, queue, only(name), yaml.toString()),
                queue + " from positions");
        try {
            assertTargetHoldsAfterTheLastChange(name, expected);
        } finally {
            job.cancel().get();
        }
    }

    /**
     * Once the last changes (rows up to key 199, key 5 upserted, then 150 and 151 deleted) are on
     * the target: it holds exactly the {@code expected} keys of 0..199, every field as on the
     * source, each key once.
     */
    private static void assertTargetHoldsAfterTheLastChange(String name, Set<Long> expected) throws Exception {
        ReplicationHarness.waitUntil("the last changes on the target", () -> {
            Map<Long, Map<String, Object>> rows = MilvusTables.rowsByKey(target, name, "id", List.of(5L, 150L, 151L, 199L),
                    FIELDS);
            return rows.keySet().equals(Set.of(5L, 199L)) && "upserted after-5".equals(rows.get(5L).get("title"));
        });
        Map<Long, Map<String, Object>> onSource = MilvusTables.rowsByKey(source, name, "id", expected, FIELDS);
        Map<Long, Map<String, Object>> onTarget = MilvusTables.rowsByKey(target, name, "id",
                LongStream.range(0, 200).boxed().toList(), FIELDS);
        assertEquals(expected, onSource.keySet(), "the source holds the expected rows");
        assertEquals(onSource, onTarget, "the target holds the expected rows, every field as on the source");
        assertEquals(expected.size(), MilvusTables.count(target, name), "each key once");
    }

    /** The source's channel checkpoints of a collection's virtual channels: channel to base64 MsgPosition. */
    private Map<String, String> channelCheckpoints(long collectionId) throws Exception {
        MilvusStack.Milvus milvus = stack.source(queue);
        String prefix = milvus.etcdRootPath() + "/" + milvus.metaSubPath() + "/datacoord-meta/channel-cp/";
        Map<String, String> positions = new java.util.TreeMap<>();
        try (io.etcd.jetcd.Client etcd = io.etcd.jetcd.Client.builder().endpoints(stack.etcdEndpoint()).build()) {
            io.etcd.jetcd.ByteSequence key = io.etcd.jetcd.ByteSequence.from(prefix, java.nio.charset.StandardCharsets.UTF_8);
            for (io.etcd.jetcd.KeyValue kv : etcd.getKVClient().get(key, io.etcd.jetcd.options.GetOption.builder()
                    .isPrefix(true).build()).get().getKvs()) {
                String channel = kv.getKey().toString(java.nio.charset.StandardCharsets.UTF_8).substring(prefix.length());
                if (channel.matches(".*_" + collectionId + "v\\d+")) {
                    positions.put(channel, java.util.Base64.getEncoder().encodeToString(kv.getValue().getBytes()));
                }
            }
        }
        return positions;
    }

    /** This test's collection alone (the shared stack holds other tests' collections). */
    private static String only(String name) {
        return "selection: {include: ['default." + name + "']}";
    }

    private static void create(MilvusClientV2 client, String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).autoID(false).build());
        schema.addField(AddFieldReq.builder().fieldName("title").dataType(DataType.VarChar).maxLength(64).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(DIM).build());
        client.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).numShards(2).build());
        index(client, name);
    }

    private static void index(MilvusClientV2 client, String name) {
        client.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build())).build());
        client.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    private static void insert(String name, long from, int count, String version, Random random) {
        List<JsonObject> rows = new ArrayList<>();
        for (long id = from; id < from + count; id++) {
            rows.add(row(id, version, random));
        }
        source.insert(InsertReq.builder().collectionName(name).data(rows).build());
    }

    private static JsonObject row(long id, String version, Random random) {
        JsonObject row = new JsonObject();
        row.addProperty("id", id);
        row.addProperty("title", version + "-" + id);
        JsonArray vec = new JsonArray();
        for (int i = 0; i < DIM; i++) {
            vec.add(random.nextFloat());
        }
        row.add("vec", vec);
        return row;
    }
}
