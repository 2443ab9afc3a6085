package io.milvuscdc.job;

import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.CreatePartition;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.DropPartition;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.TargetMilvusClient;
import io.milvuscdc.connectors.verify.CollectionShape;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.FieldSchema;
import io.milvus.grpc.FloatArray;
import io.milvus.grpc.IDs;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.ScalarField;
import io.milvus.grpc.StringArray;
import io.milvus.grpc.VectorField;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A checkpoint's operations applied again after a failure, on the real target: the committable
 * [rows of a collection, its drop, a new collection of the same name with another schema, rows of
 * that one] applied twice leaves the new collection with its rows, and the old rows are not
 * written into it (nor refused by it); likewise rows into a partition that a later operation dropped.
 */
@ExtendWith(MilvusStackExtension.class)
class CommitReplayITCase {

    @Test
    void aCheckpointWithADropAndRecreateOfOneNameAppliesAgainToTheSameEnd(MilvusStack stack) throws Exception {
        String name = "replayed_" + System.currentTimeMillis() % 100_000;
        List<TargetOperation> checkpoint = List.of(
                create(name, 100, intKeySchema(name)),
                upsert(name, 100, 110, ints("id", 1, 2, 3), floats(4, 3)),
                drop(name, 100, 150),
                create(name, 200, stringKeySchema(name)),
                upsert(name, 200, 210, strings("pk", "a", "b"), floats(8, 2)));
        try (TargetMilvusClient client = new TargetMilvusClient(config(stack))) {
            checkpoint.forEach(client::apply);
        }
        // Applied again by a new committer after a failure.
        try (TargetMilvusClient client = new TargetMilvusClient(config(stack))) {
            checkpoint.forEach(client::apply);
        }
        assertTheSecondCollectionWithItsTwoRows(stack, name);
    }

    /**
     * At least once, found by ChaosITCase: a collection made and dropped on the source between the
     * restored checkpoint and the restore was created on the target before the failure; the
     * restored job never learns of it (the catalog it reads no longer has it), so its drop never
     * comes and the older collection's drop is skipped (the target holds a later one). The create
     * of the name's next collection replaces it instead of stopping the job on its schema.
     */
    @Test
    void aCreateReplacesAnEarlierCollectionOfTheNameWhoseDropNeverCame(MilvusStack stack) throws Exception {
        String name = "unseen_" + System.currentTimeMillis() % 100_000;
        try (TargetMilvusClient client = new TargetMilvusClient(config(stack))) {
            client.apply(create(name, 100, intKeySchema(name)));
            client.apply(upsert(name, 100, 110, ints("id", 1, 2, 3), floats(4, 3)));
        }
        // The restored job: the drop of the collection it knew (50) and the next one's create.
        try (TargetMilvusClient client = new TargetMilvusClient(config(stack))) {
            client.apply(drop(name, 50, 90));
            client.apply(create(name, 200, stringKeySchema(name)));
            client.apply(upsert(name, 200, 210, strings("pk", "a", "b"), floats(8, 2)));
        }
        assertTheSecondCollectionWithItsTwoRows(stack, name);
    }

    /**
     * Found by ChaosITCase (exactly once, resuming from an upgrade's savepoint): a restored
     * checkpoint holds rows written into a partition and, after them, that partition's drop, which
     * had reached the target before the failure. Applied again, the rows find no partition: the
     * target refuses them ("partition not found"), and the job stopped. Their effect by the end of
     * the replay is only what the upsert did beside its partition, deleting its keys from the
     * others (key 2 leaves the default partition, where the replay has just put it back).
     */
    @Test
    void rowsIntoAPartitionThatALaterOperationDroppedApplyAgainToTheSameEnd(MilvusStack stack) throws Exception {
        String name = "replayed_partition_" + System.currentTimeMillis() % 100_000;
        List<TargetOperation> applied = List.of(
                create(name, 100, intKeySchema(name)),
                partition(name, 105, "p1", true),
                upsert(name, 100, 110, ints("id", 1, 2, 3), floats(4, 3)),
                upsertInto(name, "p1", 130, ints("id", 2, 4), floats(4, 2)),
                deleteFrom(name, "p1", 135, 4),
                partition(name, 140, "p1", false),
                upsert(name, 100, 150, ints("id", 5), floats(4, 1)));
        try (TargetMilvusClient client = new TargetMilvusClient(config(stack))) {
            applied.forEach(client::apply);
        }
        // The restored checkpoint began after the partition's create.
        try (TargetMilvusClient client = new TargetMilvusClient(config(stack))) {
            applied.subList(2, applied.size()).forEach(client::apply);
        }
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try {
            loadFlat(target, name);
            assertEquals(Set.of(1L, 3L, 5L), MilvusTables.rowsByKey(target, name, "id", List.of(1L, 2L, 3L, 4L, 5L),
                    List.of("id")).keySet());
            assertEquals(3, MilvusTables.count(target, name));
        } finally {
            target.close();
        }
        // The drop's record is the job's bookkeeping: the verifier does not take it for a property of the source's.
        try (MilvusQueryClient query = new MilvusQueryClient(config(stack))) {
            assertEquals("{}", CollectionShape.of(query, "default", name).aspects.get("properties"));
        }
    }

    private static void loadFlat(MilvusClientV2 target, String name) {
        target.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build()))
                .build());
        target.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    /** The string-keyed collection made at 200 holds its two rows, and nothing of the first one. */
    private static void assertTheSecondCollectionWithItsTwoRows(MilvusStack stack, String name) throws Exception {
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try {
            loadFlat(target, name);
            assertEquals(2, MilvusTables.count(target, name));
            assertEquals(Map.of(TargetMilvusClient.INCARNATION_PROPERTY, "200"),
                    ReplicationHarness.describe(target, "default", name).getProperties());
        } finally {
            target.close();
        }
    }

    private static MilvusTargetConfig config(MilvusStack stack) {
        return new MilvusTargetConfig(stack.target().uri(), null, Duration.ofSeconds(30));
    }

    private static TargetOperation.Builder op(String name, long incarnation, long ts) {
        return TargetOperation.newBuilder().setDatabase("default").setCollection(name).setIncarnation(incarnation)
                .setTimestamp(ts);
    }

    private static TargetOperation create(String name, long incarnation, CollectionSchema schema) {
        return op(name, incarnation, incarnation).setCreateCollection(CreateCollection.newBuilder().setSchema(schema)
                .setShardsNum(1).addPartitionNames("_default")).build();
    }

    private static TargetOperation drop(String name, long incarnation, long ts) {
        return op(name, incarnation, ts).setDropCollection(DropCollection.getDefaultInstance()).build();
    }

    private static TargetOperation upsert(String name, long incarnation, long ts, FieldData keys, FieldData vectors) {
        int rows = keys.getScalars().hasLongData() ? keys.getScalars().getLongData().getDataCount()
                : keys.getScalars().getStringData().getDataCount();
        return op(name, incarnation, ts).setUpsert(Upsert.newBuilder().setNumRows(rows).setPrimaryField(keys.getFieldName())
                .addFieldsData(keys.toByteString()).addFieldsData(vectors.toByteString())).build();
    }

    private static TargetOperation upsertInto(String name, String partition, long ts, FieldData keys, FieldData vectors) {
        TargetOperation.Builder op = upsert(name, 100, ts, keys, vectors).toBuilder();
        op.getUpsertBuilder().setPartitionName(partition);
        return op.build();
    }

    private static TargetOperation deleteFrom(String name, String partition, long ts, long... keys) {
        LongArray.Builder ids = LongArray.newBuilder();
        for (long k : keys) {
            ids.addData(k);
        }
        return op(name, 100, ts).setDelete(Delete.newBuilder().setPartitionName(partition).setPrimaryField("id")
                .setPrimaryKeys(IDs.newBuilder().setIntId(ids))).build();
    }

    /** A partition's create (or drop) in the collection made at 100. */
    private static TargetOperation partition(String name, long ts, String partition, boolean create) {
        TargetOperation.Builder op = op(name, 100, ts);
        return create ? op.setCreatePartition(CreatePartition.newBuilder().setPartitionName(partition)).build()
                : op.setDropPartition(DropPartition.newBuilder().setPartitionName(partition)).build();
    }

    private static CollectionSchema intKeySchema(String name) {
        return CollectionSchema.newBuilder().setName(name)
                .addFields(FieldSchema.newBuilder().setFieldID(100).setName("id").setDataType(DataType.Int64).setIsPrimaryKey(true))
                .addFields(vector(101, 4)).build();
    }

    private static CollectionSchema stringKeySchema(String name) {
        return CollectionSchema.newBuilder().setName(name)
                .addFields(FieldSchema.newBuilder().setFieldID(100).setName("pk").setDataType(DataType.VarChar)
                        .setIsPrimaryKey(true).addTypeParams(KeyValuePair.newBuilder().setKey("max_length").setValue("16")))
                .addFields(vector(101, 8)).build();
    }

    private static FieldSchema.Builder vector(long id, int dim) {
        return FieldSchema.newBuilder().setFieldID(id).setName("vec").setDataType(DataType.FloatVector)
                .addTypeParams(KeyValuePair.newBuilder().setKey("dim").setValue(Integer.toString(dim)));
    }

    private static FieldData ints(String field, long... values) {
        LongArray.Builder data = LongArray.newBuilder();
        for (long v : values) {
            data.addData(v);
        }
        return FieldData.newBuilder().setFieldName(field).setType(DataType.Int64)
                .setScalars(ScalarField.newBuilder().setLongData(data)).build();
    }

    private static FieldData strings(String field, String... values) {
        return FieldData.newBuilder().setFieldName(field).setType(DataType.VarChar)
                .setScalars(ScalarField.newBuilder().setStringData(StringArray.newBuilder().addAllData(List.of(values))))
                .build();
    }

    private static FieldData floats(int dim, int rows) {
        List<Float> values = new ArrayList<>();
        for (int i = 0; i < dim * rows; i++) {
            values.add(i / 10f);
        }
        return FieldData.newBuilder().setFieldName("vec").setType(DataType.FloatVector)
                .setVectors(VectorField.newBuilder().setDim(dim).setFloatVector(FloatArray.newBuilder().addAllData(values)))
                .build();
    }
}
