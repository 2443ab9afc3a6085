package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.RawColumns;
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
                    return Upsert.newBuilder().setPartitionName("_default").setNumRows(3).setPrimaryField("id")
                            .addAllFieldsData(e.getRowsInserted().getFieldsDataList().stream()
                                    .map(FieldData::toByteString).collect(Collectors.toList())).build();
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
        Upsert other = rewritten(insert, 10, "t");
        batcher.add(op("a", insert));
        batcher.add(op("b", insert));
        batcher.add(op("a", other));
        List<TargetOperation> ops = batcher.drain();
        assertEquals(2, ops.size());
        Upsert merged = ops.get(0).getUpsert();
        assertEquals(6, merged.getNumRows());
        for (int i = 0; i < insert.getFieldsDataCount(); i++) {
            FieldData one = RawColumns.parse(insert.getFieldsData(i));
            FieldData two = RawColumns.parse(merged.getFieldsData(i));
            assertEquals(one.getFieldName(), two.getFieldName());
            if (one.hasVectors()) {
                assertEquals(2 * one.getVectors().getFloatVector().getDataCount(), two.getVectors().getFloatVector().getDataCount());
            }
        }
        List<Long> ids = new java.util.ArrayList<>(column(insert, "id").getScalars().getLongData().getDataList());
        ids.addAll(column(other, "id").getScalars().getLongData().getDataList());
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
    void aDatabaseCommandIsABarrierForItsCollections() {
        OperationBatcher batcher = new OperationBatcher(10_000);
        batcher.add(op("a", rewritten(capturedInsert(), 0, "x")));
        batcher.add(TargetOperation.newBuilder().setDatabase("default")
                .setDatabaseCommand(io.milvuscdc.connectors.event.proto.DatabaseCommand.newBuilder().setDbName("default")
                        .setDropDatabase(io.milvus.grpc.DropDatabaseRequest.newBuilder().setDbName("default"))).build());
        batcher.add(op("a", rewritten(capturedInsert(), 10, "y")));
        assertEquals(List.of("UPSERT", "DATABASE_COMMAND", "UPSERT"),
                batcher.drain().stream().map(o -> o.getKindCase().name()).collect(Collectors.toList()));
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
        FieldData merged = Columns.concat(List.of(a, b), java.util.Arrays.asList(null, null));
        assertEquals(ByteString.copyFrom(new byte[] {1, 2, 3}), merged.getVectors().getBinaryVector());
        assertEquals(8, merged.getVectors().getDim());
        // Their encoded columns joined as bytes would keep {3} only: the join decodes these.
        FieldData joined = RawColumns.parse(Columns.join(List.of(a.toByteString(), b.toByteString()),
                java.util.Arrays.asList(null, null)));
        assertEquals(merged, joined);
    }

    @Test
    void encodedColumnsJoinedAsBytesReadAsTheConcatenatedColumnsForEveryFieldType() {
        Upsert a = rewritten(capturedInsert(), 0, "a");
        Upsert b = rewritten(capturedInsert(), 10, "b");
        List<boolean[]> all = java.util.Arrays.asList(null, null);
        for (int i = 0; i < a.getFieldsDataCount(); i++) {
            List<ByteString> parts = List.of(a.getFieldsData(i), b.getFieldsData(i));
            FieldData expected = Columns.concat(List.of(RawColumns.parse(parts.get(0)), RawColumns.parse(parts.get(1))), all);
            ByteString joined = Columns.join(parts, all);
            assertEquals(expected, RawColumns.parse(joined), expected.getFieldName() + " " + expected.getType());
            if (expected.getType() == DataType.FloatVector || expected.getType() == DataType.Int64) {
                assertEquals(parts.get(0).concat(parts.get(1)), joined, "copied, not decoded: " + expected.getFieldName());
            }
        }
    }

    /** The captured rows with every key moved by {@code keyOffset} and new titles. */
    private static Upsert rewritten(Upsert rows, long keyOffset, String title) {
        Upsert.Builder out = rows.toBuilder().clearFieldsData();
        for (ByteString column : rows.getFieldsDataList()) {
            FieldData f = RawColumns.parse(column);
            FieldData.Builder b = f.toBuilder();
            if (f.getFieldName().equals("id")) {
                List<Long> keys = f.getScalars().getLongData().getDataList().stream().map(k -> k + keyOffset)
                        .collect(Collectors.toList());
                b.getScalarsBuilder().getLongDataBuilder().clearData().addAllData(keys);
            } else if (f.getFieldName().equals("title")) {
                List<String> titles = new java.util.ArrayList<>();
                for (int i = 0; i < rows.getNumRows(); i++) {
                    titles.add(title + i);
                }
                b.getScalarsBuilder().getStringDataBuilder().clearData().addAllData(titles);
            }
            out.addFieldsData(b.build().toByteString());
        }
        return out.build();
    }

    @Test
    void keysInsertedThenUpsertedInOneCheckpointAreSentOnceWithTheLastRow() {
        Upsert inserted = rewritten(capturedInsert(), 0, "old");
        Upsert upserted = rewritten(capturedInsert(), 0, "new");
        OperationBatcher batcher = new OperationBatcher(10_000);
        batcher.add(op("a", inserted));
        batcher.add(op("a", upserted));
        List<TargetOperation> ops = batcher.drain();
        assertEquals(1, ops.size());
        Upsert merged = ops.get(0).getUpsert();
        assertEquals(3, merged.getNumRows());
        assertEquals(column(inserted, "id").getScalars().getLongData().getDataList(),
                column(merged, "id").getScalars().getLongData().getDataList());
        assertEquals(List.of("new0", "new1", "new2"), column(merged, "title").getScalars().getStringData().getDataList());
        for (ByteString column : merged.getFieldsDataList()) {
            FieldData f = RawColumns.parse(column);
            assertEquals(f, column(upserted, f.getFieldName()), "every column of the last write: " + f.getFieldName());
        }
    }

    @Test
    void overlappingUpsertsKeepEachKeysLastRowAndTheRest() {
        // Keys 0..2 as "a", keys 1..3 as "b": one request with 0 (a), then 1..3 (b).
        OperationBatcher batcher = new OperationBatcher(10_000);
        batcher.add(op("c", rewritten(capturedInsert(), 0, "a")));
        batcher.add(op("c", rewritten(capturedInsert(), 1, "b")));
        Upsert merged = batcher.drain().get(0).getUpsert();
        long first = column(capturedInsert(), "id").getScalars().getLongData().getData(0);
        assertEquals(4, merged.getNumRows());
        assertEquals(List.of(first, first + 1, first + 2, first + 3), column(merged, "id").getScalars().getLongData().getDataList());
        assertEquals(List.of("a0", "b0", "b1", "b2"), column(merged, "title").getScalars().getStringData().getDataList());
        int dim = (int) column(merged, "vec").getVectors().getDim();
        assertEquals(4 * dim, column(merged, "vec").getVectors().getFloatVector().getDataCount());
        assertEquals(4, column(merged, "$meta").getScalars().getJsonData().getDataCount());
    }

    @Test
    void aKeyRepeatedWithinOneOperationIsSentOnce() {
        Upsert twice = rewritten(capturedInsert(), 0, "x");
        // Rows 0..2 then rows 0..2 again, as one source message would carry them.
        Upsert.Builder doubled = twice.toBuilder().clearFieldsData().setNumRows(6);
        for (ByteString f : twice.getFieldsDataList()) {
            doubled.addFieldsData(Columns.join(List.of(f, f), java.util.Arrays.asList(null, null)));
        }
        OperationBatcher batcher = new OperationBatcher(10_000);
        batcher.add(op("d", doubled.build()));
        Upsert sent = batcher.drain().get(0).getUpsert();
        assertEquals(3, sent.getNumRows());
        assertEquals(3, column(sent, "id").getScalars().getLongData().getDataCount());
    }

    @Test
    void requestsAreBoundedInBytesAndAnOversizedOperationIsSplitByRows() {
        Upsert rows = capturedInsert();
        long one = rows.getSerializedSize();
        OperationBatcher batcher = new OperationBatcher(10_000, one * 2 + 10);
        for (int i = 0; i < 5; i++) {
            batcher.add(op("e", rewritten(rows, 10L * i, "r")));
        }
        List<TargetOperation> ops = batcher.drain();
        assertEquals(3, ops.size(), "two per request by bytes, five in all");
        assertEquals(List.of(6, 6, 3), ops.stream().map(o -> o.getUpsert().getNumRows()).collect(Collectors.toList()));

        OperationBatcher small = new OperationBatcher(10_000, one / 2);
        small.add(op("f", rows));
        List<TargetOperation> split = small.drain();
        assertEquals(3, split.stream().mapToInt(o -> o.getUpsert().getNumRows()).sum());
        for (TargetOperation o : split) {
            assertEquals(o.getUpsert().getNumRows(), column(o.getUpsert(), "id").getScalars().getLongData().getDataCount());
        }
        assertEquals(column(rows, "id").getScalars().getLongData().getDataList(), split.stream()
                .flatMap(o -> column(o.getUpsert(), "id").getScalars().getLongData().getDataList().stream())
                .collect(Collectors.toList()));
    }

    private static FieldData column(Upsert upsert, String name) {
        return upsert.getFieldsDataList().stream().map(RawColumns::parse).filter(f -> f.getFieldName().equals(name))
                .findFirst().orElseThrow();
    }
}
