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
 * {@code startup.mode: timestamp}, once with a source Milvus on Kafka and once on Pulsar: rows
 * written before the moment stay behind, every change from it on arrives (an insert, an upsert of
 * a key written before, a delete), each key once with every field as on the source.
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

        JobClient job = ReplicationHarness.start(ReplicationHarness.config(stack, queue,
                "startup: {mode: timestamp, timestamp: '" + Instant.ofEpochMilli(moment) + "'}"), queue + " from a time");
        try {
            // The collection existed before the moment: the job creates it from the catalog; its
            // index and load were before the moment too, so they are made here to read the target.
            ReplicationHarness.waitUntil("the collection on the target", () ->
                    target.hasCollection(HasCollectionReq.builder().collectionName(name).build()));
            index(target, name);
            ReplicationHarness.waitUntil("the changes since the moment on the target",
                    () -> MilvusTables.count(target, name) >= expected.size()
                            && MilvusTables.rowsByKey(target, name, "id", List.of(5L), FIELDS).getOrDefault(5L, Map.of())
                                    .getOrDefault("title", "").equals("upserted after-5"));
            Map<Long, Map<String, Object>> onSource = MilvusTables.rowsByKey(source, name, "id", expected, FIELDS);
            Map<Long, Map<String, Object>> onTarget = MilvusTables.rowsByKey(target, name, "id",
                    LongStream.range(0, 200).boxed().toList(), FIELDS);
            assertEquals(expected, onSource.keySet(), "the source holds the expected rows");
            assertEquals(onSource, onTarget, "only the changes since the moment, every field as on the source");
            assertEquals(expected.size(), MilvusTables.count(target, name), "each key once");
        } finally {
            job.cancel().get();
        }
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
