package io.milvuscdc.testutils;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.vector.request.InsertReq;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Fills the demo collection {@code demo_docs} on the source Milvus of a running stack, indexed and loaded. */
public final class DemoData {

    public static void main(String[] args) throws Exception {
        MilvusStack stack = MilvusStack.read(Path.of(args[0]));
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        MilvusStack.Milvus milvus = stack.source(args.length > 2 && args[2].equals("pulsar")
                ? MilvusStack.Queue.PULSAR : MilvusStack.Queue.KAFKA);
        MilvusClientV2 source = MilvusTables.connect(milvus);
        String name = "demo_docs";
        if (!source.hasCollection(HasCollectionReq.builder().collectionName(name).build())) {
            CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
            schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
            schema.addField(AddFieldReq.builder().fieldName("title").dataType(DataType.VarChar).maxLength(256).build());
            schema.addField(AddFieldReq.builder().fieldName("embedding").dataType(DataType.FloatVector).dimension(64).build());
            source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).build());
        }
        Random random = new Random(7);
        for (int start = 0; start < rows; start += 1000) {
            List<JsonObject> batch = new ArrayList<>();
            for (int i = start; i < Math.min(rows, start + 1000); i++) {
                JsonObject row = new JsonObject();
                row.addProperty("id", i);
                row.addProperty("title", "document " + i);
                JsonArray vec = new JsonArray();
                for (int d = 0; d < 64; d++) {
                    vec.add(random.nextFloat());
                }
                row.add("embedding", vec);
                batch.add(row);
            }
            source.insert(InsertReq.builder().collectionName(name).data(batch).build());
        }
        // Indexed and loaded, so that both sides can be queried (both operations are replicated).
        source.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("embedding").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build()))
                .build());
        source.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
        source.close();
        System.out.println("Inserted " + rows + " rows into " + name + " on the source Milvus " + milvus.uri()
                + ", indexed and loaded it");
    }
}
