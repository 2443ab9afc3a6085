package io.milvuscdc.job;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.partition.request.CreatePartitionReq;

import java.util.ArrayList;
import java.util.List;

/** A small collection of every kind of field the tests of the verifier and the snapshot compare. */
final class SmallCollections {

    private SmallCollections() {}

    /** id (int64 key), s (varchar), vec (4-dim), a dynamic field; partition p1 besides _default. */
    static void create(MilvusClientV2 client, String name, boolean indexedAndLoaded) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder()
                .enableDynamicField(true).build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("s").dataType(DataType.VarChar).maxLength(64).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(4).build());
        CreateCollectionReq.CreateCollectionReqBuilder create = CreateCollectionReq.builder().collectionName(name)
                .collectionSchema(schema);
        if (indexedAndLoaded) {
            create.indexParams(List.of(IndexParam.builder().fieldName("vec").indexName("vec_index")
                    .indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build()));
        }
        client.createCollection(create.build());
        client.createPartition(CreatePartitionReq.builder().collectionName(name).partitionName("p1").build());
        if (indexedAndLoaded) {
            // The create's own load is asynchronous: loaded before the first query.
            client.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
        }
    }

    /** Keys from..to-1: s "row k", extra k % 7 (dynamic), vec k + i/10. */
    static List<JsonObject> rows(long from, long to) {
        List<JsonObject> out = new ArrayList<>();
        for (long k = from; k < to; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            row.addProperty("s", "row " + k);
            row.addProperty("extra", k % 7);
            JsonArray vec = new JsonArray();
            for (int i = 0; i < 4; i++) {
                vec.add(k + i / 10f);
            }
            row.add("vec", vec);
            out.add(row);
        }
        return out;
    }
}
