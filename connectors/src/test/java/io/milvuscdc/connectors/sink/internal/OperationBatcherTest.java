package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.mq.MilvusMessageDecoder;
import io.milvuscdc.testutils.WireCaptures;

import com.google.protobuf.ByteString;
import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.IDs;
import io.milvus.grpc.VectorField;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Batching keeps each collection's order and appends columns correctly. */
class OperationBatcherTest {

    /** The real insert of rows 0..2 (all field types of the capture). */
    private static Upsert capturedInsert() {
        MilvusMessageDecoder decoder = new MilvusMessageDecoder();
        for (WireCaptures.MqMessage m : WireCaptures.load(WireCaptures.MILVUS_2_3_5_KAFKA).messages()) {
            for (ChangeEvent e : decoder.decode(m.payload, m.origin())) {
                if (e.hasRowsInserted() && e.getRowsInserted().getNumRows() == 3) {
                    return Upsert.newBuilder().setPartitionName("_default").setNumRows(3)
                            .addAllFieldsData(e.getRowsInserted().getFieldsDataList()).build();
                }
            }
        }
        throw new AssertionError("no 3-row insert in the capture");
    }

    private static TargetOperation op(String collection, Upsert upsert) {
        return TargetOperation.newBuilder().setDatabase("default").setCollection(collection).setUpsert(upsert).build();
    }

    private static TargetOperation delete(String collection, long... keys) {
        IDs.Builder ids = IDs.newBuilder();
        for (long k : keys) {
            ids.getIntIdBuilder().addData(k);
        }
        return TargetOperation.newBuilder().setDatabase("default").setCollection(collection)
                .setDelete(Delete.newBuilder().setPrimaryField("id").setPrimaryKeys(ids)).build();
    }

    @Test
    void consecutiveUpsertsOfACollectionBecomeOneWithAppendedColumns() {
        Upsert insert = capturedInsert();
        OperationBatcher batcher = new OperationBatcher(10_000);
        batcher.add(op("a", insert));
        batcher.add(op("b", insert));
        batcher.add(op("a", insert));
        List<TargetOperation> ops = batcher.drain();
        assertEquals(2, ops.size());
        Upsert merged = ops.get(0).getUpsert();
        assertEquals(6, merged.getNumRows());
        for (int i = 0; i < insert.getFieldsDataCount(); i++) {
            FieldData one = insert.getFieldsData(i);
            FieldData two = merged.getFieldsData(i);
            assertEquals(one.getFieldName(), two.getFieldName());
            if (one.hasVectors()) {
                assertEquals(2 * one.getVectors().getFloatVector().getDataCount(), two.getVectors().getFloatVector().getDataCount());
            }
        }
        List<Long> ids = new java.util.ArrayList<>(column(insert, "id").getScalars().getLongData().getDataList());
        ids.addAll(column(insert, "id").getScalars().getLongData().getDataList());
        assertEquals(ids, column(merged, "id").getScalars().getLongData().getDataList());
        assertEquals(6, column(merged, "meta").getScalars().getJsonData().getDataCount());
        assertEquals(6, column(merged, "$meta").getScalars().getJsonData().getDataCount());
    }

    @Test
    void aDeleteBetweenUpsertsKeepsThemApart() {
        Upsert insert = capturedInsert();
        OperationBatcher batcher = new OperationBatcher(10_000);
        batcher.add(op("a", insert));
        batcher.add(delete("a", 1));
        batcher.add(delete("a", 2));
        batcher.add(op("a", insert));
        List<TargetOperation> ops = batcher.drain();
        assertEquals(List.of("UPSERT", "DELETE", "UPSERT"),
                ops.stream().map(o -> o.getKindCase().name()).collect(Collectors.toList()));
        assertEquals(List.of(1L, 2L), ops.get(1).getDelete().getPrimaryKeys().getIntId().getDataList());
    }

    @Test
    void ddlIsNeverMergedAndBatchesRespectTheRowLimit() {
        Upsert insert = capturedInsert();
        OperationBatcher batcher = new OperationBatcher(4);
        batcher.add(TargetOperation.newBuilder().setDatabase("default").setCollection("a")
                .setCreateCollection(CreateCollection.getDefaultInstance()).build());
        batcher.add(op("a", insert));
        batcher.add(op("a", insert));
        assertEquals(3, batcher.drain().size());
    }

    @Test
    void binaryVectorsAreConcatenatedNotReplaced() {
        FieldData a = FieldData.newBuilder().setFieldName("bv").setType(DataType.BinaryVector)
                .setVectors(VectorField.newBuilder().setDim(8).setBinaryVector(ByteString.copyFrom(new byte[] {1, 2}))).build();
        FieldData b = FieldData.newBuilder().setFieldName("bv").setType(DataType.BinaryVector)
                .setVectors(VectorField.newBuilder().setDim(8).setBinaryVector(ByteString.copyFrom(new byte[] {3}))).build();
        FieldData merged = OperationBatcher.appendColumn(a, b);
        assertEquals(ByteString.copyFrom(new byte[] {1, 2, 3}), merged.getVectors().getBinaryVector());
        assertEquals(8, merged.getVectors().getDim());
    }

    private static FieldData column(Upsert upsert, String name) {
        return upsert.getFieldsDataList().stream().filter(f -> f.getFieldName().equals(name)).findFirst().orElseThrow();
    }
}
