package io.milvuscdc.job;

import io.milvuscdc.job.chaos.Oracle;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code startup.mode: initial}: collections that already hold rows are created on the target,
 * copied (every partition, keys kept), indexed and loaded, while a writer keeps inserting,
 * upserting and deleting rows of them — rows being copied among them; one collection has auto-id
 * keys (kept on the target) and a partition key, and is renamed by the mapping; the changes the stream
 * carries from before the copy converge over it. The target ends equal to the source: the
 * verifier (rows, shape, index, load) and the chaos tests' judge (every key, every field, count).
 */
@ExtendWith(MilvusStackExtension.class)
class InitialSnapshotITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = ReplicationHarness.miniCluster();

    @Test
    void existingRowsAreCopiedWhileWritersChangeThem(MilvusStack stack) throws Exception {
        String name = "init_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        String auto = name + "_ak";
        String mapped = auto + "_dr";
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        Set<Object> keys = new TreeSet<>();
        JobClient job = null;
        try {
            SmallCollections.create(source, name, true);
            for (int from = 0; from < 6_000; from += 1_000) {
                source.insert(InsertReq.builder().collectionName(name).data(SmallCollections.rows(from, from + 1_000)).build());
            }
            source.insert(InsertReq.builder().collectionName(name).partitionName("p1")
                    .data(SmallCollections.rows(6_000, 6_500)).build());
            for (long k = 0; k < 6_500; k++) {
                keys.add(k);
            }
            // Auto-id keys (kept on the target) and a partition key (copied without partitions).
            createAutoIdPartitionKey(source, auto);
            Set<Object> autoKeys = new TreeSet<>();
            for (int from = 0; from < 3_000; from += 1_000) {
                source.insert(InsertReq.builder().collectionName(auto).data(autoRows(from, from + 1_000)).build())
                        .getPrimaryKeys().forEach(autoKeys::add);
            }
            List<Object> copiedAutoKeys = new ArrayList<>(autoKeys);
            // The auto-id collection is also renamed on the target: the mapping applies to the copy.
            CdcConfig config = ReplicationHarness.config(stack, MilvusStack.Queue.KAFKA,
                    "selection:", "  include: [default." + name + ", default." + auto + "]",
                    "mapping:", "  collections: {default." + auto + ": " + mapped + "}",
                    "startup:", "  mode: initial");
            job = ReplicationHarness.start(config, "initial snapshot test");

            // A writer changes the collection while it is copied: upserts and deletes of copied
            // keys, inserts of new ones.
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicReference<Exception> failed = new AtomicReference<>();
            List<Long> written = new ArrayList<>();
            Thread writer = new Thread(() -> {
                Random random = new Random(7);
                long next = 100_000;
                try {
                    for (int round = 0; round < 40 && writing.get(); round++) {
                        List<JsonObject> upserts = new ArrayList<>();
                        for (int i = 0; i < 20; i++) {
                            long k = random.nextInt(6_000);
                            JsonObject row = SmallCollections.rows(k, k + 1).get(0);
                            row.addProperty("s", "changed in round " + round);
                            upserts.add(row);
                        }
                        source.upsert(UpsertReq.builder().collectionName(name).data(upserts).build());
                        long gone = random.nextInt(6_000);
                        source.delete(DeleteReq.builder().collectionName(name).filter("id in [" + gone + "]").build());
                        source.insert(InsertReq.builder().collectionName(name).data(SmallCollections.rows(next, next + 10)).build());
                        source.insert(InsertReq.builder().collectionName(auto).data(autoRows(round * 10, round * 10 + 10))
                                .build());
                        Object autoGone = copiedAutoKeys.get(random.nextInt(copiedAutoKeys.size()));
                        source.delete(DeleteReq.builder().collectionName(auto).ids(List.of(autoGone)).build());
                        synchronized (written) {
                            for (long k = next; k < next + 10; k++) {
                                written.add(k);
                            }
                        }
                        next += 10;
                        Thread.sleep(250); // a steady writer's pace, not a wait for a condition
                    }
                } catch (Exception e) {
                    failed.set(e);
                }
            }, "snapshot-writer");
            writer.start();
            writer.join();
            writing.set(false);
            if (failed.get() != null) {
                throw failed.get();
            }
            keys.addAll(written);

            ReplicationHarness.awaitVerifierEqual(config, 2);
            // The judge compares same-named collections; the renamed one was compared by the verifier above.
            Oracle.Result judged = new Oracle(source, target).compare(Map.of("default", Set.of(name)),
                    Map.of("default." + name, keys));
            assertTrue(judged.equal(), judged.summary() + " " + judged.schemaDifferences);
            assertTrue(!target.hasCollection(io.milvus.v2.service.collection.request.HasCollectionReq.builder()
                    .collectionName(auto).build()), "the copy went to " + mapped + " only");
            org.junit.jupiter.api.Assertions.assertEquals(MilvusTables.count(source, auto), MilvusTables.count(target, mapped));
        } finally {
            if (job != null) {
                job.cancel().get();
            }
            target.dropCollection(DropCollectionReq.builder().collectionName(mapped).build());
            for (MilvusClientV2 side : List.of(source, target)) {
                side.dropCollection(DropCollectionReq.builder().collectionName(auto).build());
                side.dropCollection(DropCollectionReq.builder().collectionName(name).build());
                side.close();
            }
        }
    }

    /** id: int64 auto-id key; tenant: varchar partition key over 4 partitions; vec: 4-dim, indexed and loaded. */
    private static void createAutoIdPartitionKey(MilvusClientV2 client, String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true)
                .autoID(true).build());
        schema.addField(AddFieldReq.builder().fieldName("tenant").dataType(DataType.VarChar).maxLength(16)
                .isPartitionKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(4).build());
        client.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema)
                .numPartitions(4)
                .indexParams(List.of(IndexParam.builder().fieldName("vec").indexName("vec_index")
                        .indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build()))
                .build());
        client.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    /** Rows without a key: tenant t0..t5 by i, vec i + j/10. */
    private static List<JsonObject> autoRows(int from, int to) {
        List<JsonObject> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            JsonObject row = new JsonObject();
            row.addProperty("tenant", "t" + (i % 6));
            com.google.gson.JsonArray vec = new com.google.gson.JsonArray();
            for (int j = 0; j < 4; j++) {
                vec.add(i + j / 10f);
            }
            row.add("vec", vec);
            out.add(row);
        }
        return out;
    }
}
