package io.milvuscdc.job;

import io.milvuscdc.job.chaos.MilvusWal;
import io.milvuscdc.job.chaos.Oracle;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chaos tests' judge finds what it must: differences planted by hand on the target (a scalar
 * changed, one float of a vector changed, a row deleted, a row added, a key stored twice) are each
 * reported, also when the servers' own logs are consulted to tell a server's loss from the
 * job's — a log that holds the source's state must not excuse a target that departs from it.
 */
@ExtendWith(MilvusStackExtension.class)
class OracleITCase {

    @Test
    void everyDifferencePlantedOnTheTargetIsFoundAndNoneIsExcusedByTheLogs(MilvusStack stack) throws Exception {
        String name = "oracle_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        long since = System.currentTimeMillis() - 60_000;
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try {
            for (MilvusClientV2 side : List.of(source, target)) {
                create(side, name);
                side.insert(InsertReq.builder().collectionName(name).data(rows(0, 20, 0f)).build());
            }
            Set<Object> keys = new TreeSet<>();
            for (long k = 0; k < 20; k++) {
                keys.add(k);
            }
            keys.add(100L); // written and deleted on the source, say
            Oracle oracle = new Oracle(source, target,
                    () -> MilvusWal.readKafka(stack.kafkaBootstrap(), stack.target().channelPrefix(), since),
                    () -> MilvusWal.readKafka(stack.kafkaBootstrap(), stack.source().channelPrefix(), since));
            Map<String, Set<String>> collections = Map.of("default", Set.of(name));
            Map<String, Set<Object>> written = Map.of("default." + name, keys);
            Oracle.Result same = oracle.compare(collections, written);
            assertTrue(same.equal(), same.summary() + " " + same.schemaDifferences);
            assertEquals(20, same.rowsCompared);

            JsonObject scalar = rows(1, 2, 0f).get(0);
            scalar.addProperty("s", "changed by hand");
            JsonObject vector = rows(2, 3, 0f).get(0);
            JsonArray vec = vector.getAsJsonArray("vec");
            vec.set(3, new com.google.gson.JsonPrimitive(vec.get(3).getAsFloat() + 0.001f));
            target.upsert(UpsertReq.builder().collectionName(name).data(List.of(scalar, vector)).build());
            target.delete(DeleteReq.builder().collectionName(name).filter("id in [3]").build());
            List<JsonObject> added = new ArrayList<>(rows(100, 101, 0f));
            added.addAll(rows(5, 6, 0f)); // key 5 a second time: a plain insert does not replace
            target.insert(InsertReq.builder().collectionName(name).data(added).build());

            Oracle.Result found = oracle.compare(collections, written);
            assertFalse(found.equal(), found.summary());
            String id = "default." + name;
            assertEquals(Set.of("1", "2"), found.differing.get(id), found.summary());
            assertEquals(Set.of("3"), found.missing.get(id), found.summary());
            assertEquals(Set.of("100"), found.extra.get(id), found.summary());
            // 2.3.5's query shows a key stored twice once: count(*) tells.
            assertTrue(found.schemaDifferences.contains(id + ": count(*) 20 on the source, 21 on the target (rows shown 20)"),
                    found.schemaDifferences.toString());
            assertTrue(found.targetCountInconsistent.isEmpty(), found.summary());
            assertTrue(found.sourceLost.isEmpty() && found.targetLost.isEmpty(), found.summary());
        } finally {
            for (MilvusClientV2 side : List.of(source, target)) {
                side.dropCollection(DropCollectionReq.builder().collectionName(name).build());
                side.close();
            }
        }
    }

    private static void create(MilvusClientV2 client, String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("s").dataType(DataType.VarChar).maxLength(64).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(4).build());
        client.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema)
                .indexParams(List.of(IndexParam.builder().fieldName("vec").indexType(IndexParam.IndexType.FLAT)
                        .metricType(IndexParam.MetricType.L2).build()))
                .build());
        // The create's own load is asynchronous: loaded before the first comparison.
        client.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    private static List<JsonObject> rows(long from, long to, float offset) {
        List<JsonObject> out = new ArrayList<>();
        for (long k = from; k < to; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            row.addProperty("s", "row " + k);
            JsonArray vec = new JsonArray();
            for (int i = 0; i < 4; i++) {
                vec.add(k + i / 10f + offset);
            }
            row.add("vec", vec);
            out.add(row);
        }
        return out;
    }
}
