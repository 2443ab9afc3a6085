package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;

import io.milvus.grpc.FieldData;
import io.milvus.grpc.VectorField;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the operations of one checkpoint in apply order and merges neighbours: an Upsert
 * into the previous Upsert of the same collection and partition (columns appended), a Delete
 * into the previous Delete. Only the previous operation of the same target collection is a
 * merge candidate, so each collection's order is kept; collections are independent.
 */
public final class OperationBatcher {

    private final int maxRowsPerBatch;
    private final List<TargetOperation.Builder> operations = new ArrayList<>();
    private final Map<String, Integer> lastIndexByCollection = new HashMap<>();
    private final Map<Integer, Integer> rowsByIndex = new HashMap<>();

    public OperationBatcher(int maxRowsPerBatch) {
        this.maxRowsPerBatch = maxRowsPerBatch;
    }

    public void add(TargetOperation op) {
        String collection = op.getDatabase() + "." + op.getCollection();
        Integer last = lastIndexByCollection.get(collection);
        if (last != null && tryMerge(last, op)) {
            return;
        }
        operations.add(op.toBuilder());
        int index = operations.size() - 1;
        lastIndexByCollection.put(collection, index);
        rowsByIndex.put(index, rows(op));
    }

    public boolean isEmpty() {
        return operations.isEmpty();
    }

    public int size() {
        return operations.size();
    }

    /** The batched operations, in apply order; the batcher is empty afterwards. */
    public List<TargetOperation> drain() {
        List<TargetOperation> out = new ArrayList<>(operations.size());
        operations.forEach(b -> out.add(b.build()));
        operations.clear();
        lastIndexByCollection.clear();
        rowsByIndex.clear();
        return out;
    }

    private boolean tryMerge(int index, TargetOperation next) {
        TargetOperation.Builder previous = operations.get(index);
        int rows = rowsByIndex.get(index);
        if (rows + rows(next) > maxRowsPerBatch) {
            return false;
        }
        if (previous.hasUpsert() && next.hasUpsert()) {
            Upsert a = previous.getUpsert();
            Upsert b = next.getUpsert();
            if (!a.getPartitionName().equals(b.getPartitionName()) || !sameColumns(a.getFieldsDataList(), b.getFieldsDataList())) {
                return false;
            }
            Upsert.Builder merged = a.toBuilder().clearFieldsData().setNumRows(a.getNumRows() + b.getNumRows());
            for (int i = 0; i < a.getFieldsDataCount(); i++) {
                merged.addFieldsData(appendColumn(a.getFieldsData(i), b.getFieldsData(i)));
            }
            previous.setUpsert(merged).setTimestamp(next.getTimestamp());
        } else if (previous.hasDelete() && next.hasDelete()) {
            Delete a = previous.getDelete();
            Delete b = next.getDelete();
            if (!a.getPartitionName().equals(b.getPartitionName()) || !a.getPrimaryField().equals(b.getPrimaryField())
                    || a.getPrimaryKeys().hasStrId() != b.getPrimaryKeys().hasStrId()) {
                return false;
            }
            Delete.Builder merged = a.toBuilder();
            merged.getPrimaryKeysBuilder().mergeFrom(b.getPrimaryKeys());
            previous.setDelete(merged).setTimestamp(next.getTimestamp());
        } else {
            return false;
        }
        rowsByIndex.put(index, rows + rows(next));
        return true;
    }

    private static int rows(TargetOperation op) {
        if (op.hasUpsert()) {
            return op.getUpsert().getNumRows();
        }
        if (op.hasDelete()) {
            return op.getDelete().getPrimaryKeys().hasStrId()
                    ? op.getDelete().getPrimaryKeys().getStrId().getDataCount()
                    : op.getDelete().getPrimaryKeys().getIntId().getDataCount();
        }
        return 0;
    }

    private static boolean sameColumns(List<FieldData> a, List<FieldData> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).getFieldName().equals(b.get(i).getFieldName()) || a.get(i).getType() != b.get(i).getType()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Appends column {@code b} to column {@code a}. Protobuf's merge appends repeated values
     * (scalars, JSON, float vectors, validity); byte-packed vectors are single {@code bytes}
     * values, which merge would replace, so they are concatenated here.
     */
    static FieldData appendColumn(FieldData a, FieldData b) {
        FieldData.Builder merged = a.toBuilder().mergeFrom(b);
        if (a.hasVectors()) {
            VectorField va = a.getVectors();
            VectorField vb = b.getVectors();
            VectorField.Builder v = merged.getVectorsBuilder();
            switch (va.getDataCase()) {
                case BINARY_VECTOR:
                    v.setBinaryVector(va.getBinaryVector().concat(vb.getBinaryVector()));
                    break;
                case FLOAT16_VECTOR:
                    v.setFloat16Vector(va.getFloat16Vector().concat(vb.getFloat16Vector()));
                    break;
                case BFLOAT16_VECTOR:
                    v.setBfloat16Vector(va.getBfloat16Vector().concat(vb.getBfloat16Vector()));
                    break;
                case INT8_VECTOR:
                    v.setInt8Vector(va.getInt8Vector().concat(vb.getInt8Vector()));
                    break;
                default:
                    break;
            }
        }
        return merged.build();
    }
}
