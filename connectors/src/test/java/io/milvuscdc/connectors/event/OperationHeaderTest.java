package io.milvuscdc.connectors.event;

import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;

import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.FloatArray;
import io.milvus.grpc.IDs;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.VectorField;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OperationHeaderTest {

    @Test
    void readsTheRoutingFieldsOfEveryKindAsTheFullDecodeDoes() {
        TargetOperation.Builder base = TargetOperation.newBuilder().setDatabase("db1").setCollection("orders")
                .setTimestamp(-3L) // a TSO above Long.MAX_VALUE stays the same 64 bits
                .setSourceCollectionId(42).setIncarnation(449_000_000_000_000_001L);
        FieldData vectors = FieldData.newBuilder().setFieldName("v").setType(DataType.FloatVector)
                .setVectors(VectorField.newBuilder().setDim(2)
                        .setFloatVector(FloatArray.newBuilder().addAllData(List.of(1f, 2f, 3f, 4f)))).build();
        List<TargetOperation> ops = List.of(
                base.clone().setCreateCollection(CreateCollection.newBuilder().setShardsNum(2)).build(),
                base.clone().setUpsert(Upsert.newBuilder().setNumRows(2).setPrimaryField("id").addFieldsData(vectors.toByteString()))
                        .build(),
                base.clone().setDelete(Delete.newBuilder().setPrimaryKeys(IDs.newBuilder()
                        .setIntId(LongArray.newBuilder().addData(7)))).build(),
                base.clone().setDropCollection(DropCollection.getDefaultInstance()).build(),
                base.clone().setDatabaseCommand(DatabaseCommand.newBuilder().setDbName("db1")).build(),
                base.clone().setCollectionCommand(CollectionCommand.newBuilder().setDbName("db1")).build(),
                TargetOperation.newBuilder().setDatabase("db2").build());
        for (TargetOperation op : ops) {
            OperationHeader h = OperationHeader.parse(op.toByteArray());
            assertEquals(op.getKindCase(), h.kind());
            assertEquals(op.getDatabase(), h.database());
            assertEquals(op.getCollection(), h.collection());
            assertEquals(op.getTimestamp(), h.timestamp());
            assertEquals(op.getIncarnation(), h.incarnation());
            assertEquals(OperationRecord.of(op).target, h.target());
            assertEquals(h.target(), OperationHeader.of(op).target());
        }
    }
}
