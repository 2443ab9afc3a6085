package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.RawColumns;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.ScalarField;
import io.milvus.grpc.VectorField;

import java.util.ArrayList;
import java.util.List;

/**
 * Row-wise work on Milvus's column-wise {@link FieldData}: concatenating the selected rows of
 * several requests into one column, and reading primary keys.
 */
public final class Columns {

    private Columns() {}

    /**
     * One encoded column made of the kept rows of encoded {@code parts} (all of the same field).
     * When every row is kept and the column's values are repeated fields (scalars, float vectors),
     * the parts' bytes are joined as they are, no value decoded: a protobuf parser merges a message
     * field met twice and appends repeated values, so the join reads as the concatenated column.
     * Byte-packed vectors (one {@code bytes} value per column, which a second occurrence would
     * replace, or a sparse vector's dimension) and dropped rows take the decoding path.
     */
    static ByteString join(List<ByteString> parts, List<boolean[]> keep) {
        if (parts.size() == 1 && keep.get(0) == null) {
            return parts.get(0);
        }
        if (keep.stream().allMatch(java.util.Objects::isNull) && joinable(RawColumns.dataType(parts.get(0)))) {
            ByteString out = ByteString.EMPTY;
            for (ByteString part : parts) {
                out = out.concat(part); // a rope: nothing copied until the request is written
            }
            return out;
        }
        List<FieldData> decoded = new ArrayList<>(parts.size());
        parts.forEach(p -> decoded.add(RawColumns.parse(p)));
        return concat(decoded, keep).toByteString();
    }

    private static boolean joinable(int type) {
        DataType t = DataType.forNumber(type);
        if (t == null) {
            return false;
        }
        switch (t) {
            case Bool:
            case Int8:
            case Int16:
            case Int32:
            case Int64:
            case Float:
            case Double:
            case String:
            case VarChar:
            case Array:
            case JSON:
            case FloatVector:
                return true;
            default:
                return false;
        }
    }

    /** The rows of {@code column} where {@code keep} is true, in order. */
    public static FieldData select(FieldData column, boolean[] keep) {
        return concat(List.of(column), java.util.Collections.singletonList(keep));
    }

    /** The key values of a column as objects (Long or String), row by row. */
    public static List<Object> keyList(FieldData pk) {
        return pk.getScalars().hasStringData()
                ? new ArrayList<>(pk.getScalars().getStringData().getDataList())
                : new ArrayList<>(pk.getScalars().getLongData().getDataList());
    }

    /** The key values of a column as the IDs a delete names them by. */
    public static io.milvus.grpc.IDs keyIds(FieldData pk) {
        io.milvus.grpc.IDs.Builder ids = io.milvus.grpc.IDs.newBuilder();
        if (pk.getScalars().hasStringData()) {
            ids.getStrIdBuilder().addAllData(pk.getScalars().getStringData().getDataList());
        } else {
            ids.getIntIdBuilder().addAllData(pk.getScalars().getLongData().getDataList());
        }
        return ids.build();
    }

    /**
     * One column made of the kept rows of {@code parts} (all of the same field), in order.
     * {@code keep[p]} is null when every row of part {@code p} is kept.
     */
    static FieldData concat(List<FieldData> parts, List<boolean[]> keep) {
        FieldData first = parts.get(0);
        FieldData.Builder out = first.toBuilder().clearScalars().clearVectors().clearValidData();
        if (first.hasVectors()) {
            out.setVectors(concatVectors(parts, keep));
        } else if (first.hasScalars()) {
            out.setScalars(concatScalars(parts, keep));
        }
        for (int p = 0; p < parts.size(); p++) {
            List<Boolean> valid = parts.get(p).getValidDataList();
            boolean[] k = keep.get(p);
            for (int r = 0; r < valid.size(); r++) {
                if (k == null || k[r]) {
                    out.addValidData(valid.get(r));
                }
            }
        }
        return out.build();
    }

    /** Scalars: each kind is a message with one repeated {@code data} field (reflection keeps every kind). */
    private static ScalarField concatScalars(List<FieldData> parts, List<boolean[]> keep) {
        ScalarField first = parts.get(0).getScalars();
        if (first.getDataCase() == ScalarField.DataCase.DATA_NOT_SET) {
            return first;
        }
        FieldDescriptor oneof = first.getDescriptorForType().findFieldByNumber(first.getDataCase().getNumber());
        Message.Builder array = ((Message) first.getField(oneof)).toBuilder();
        FieldDescriptor data = array.getDescriptorForType().findFieldByName("data");
        array.clearField(data);
        for (int p = 0; p < parts.size(); p++) {
            Message values = (Message) parts.get(p).getScalars().getField(oneof);
            int n = values.getRepeatedFieldCount(data);
            boolean[] k = keep.get(p);
            for (int r = 0; r < n; r++) {
                if (k == null || k[r]) {
                    array.addRepeatedField(data, values.getRepeatedField(data, r));
                }
            }
        }
        return first.toBuilder().setField(oneof, array.build()).build();
    }

    private static VectorField concatVectors(List<FieldData> parts, List<boolean[]> keep) {
        VectorField first = parts.get(0).getVectors();
        VectorField.Builder out = first.toBuilder();
        int dim = (int) first.getDim();
        switch (first.getDataCase()) {
            case FLOAT_VECTOR: {
                io.milvus.grpc.FloatArray.Builder floats = io.milvus.grpc.FloatArray.newBuilder();
                for (int p = 0; p < parts.size(); p++) {
                    List<Float> values = parts.get(p).getVectors().getFloatVector().getDataList();
                    boolean[] k = keep.get(p);
                    if (k == null) {
                        floats.addAllData(values);
                        continue;
                    }
                    for (int r = 0; r < k.length; r++) {
                        if (k[r]) {
                            floats.addAllData(values.subList(r * dim, (r + 1) * dim));
                        }
                    }
                }
                return out.setFloatVector(floats).build();
            }
            case BINARY_VECTOR:
                return out.setBinaryVector(concatBytes(parts, keep, dim / 8, VectorField::getBinaryVector)).build();
            case FLOAT16_VECTOR:
                return out.setFloat16Vector(concatBytes(parts, keep, dim * 2, VectorField::getFloat16Vector)).build();
            case BFLOAT16_VECTOR:
                return out.setBfloat16Vector(concatBytes(parts, keep, dim * 2, VectorField::getBfloat16Vector)).build();
            case INT8_VECTOR:
                return out.setInt8Vector(concatBytes(parts, keep, dim, VectorField::getInt8Vector)).build();
            case SPARSE_FLOAT_VECTOR: {
                io.milvus.grpc.SparseFloatArray.Builder sparse = first.getSparseFloatVector().toBuilder().clearContents();
                for (int p = 0; p < parts.size(); p++) {
                    List<ByteString> rows = parts.get(p).getVectors().getSparseFloatVector().getContentsList();
                    boolean[] k = keep.get(p);
                    for (int r = 0; r < rows.size(); r++) {
                        if (k == null || k[r]) {
                            sparse.addContents(rows.get(r));
                        }
                    }
                    sparse.setDim(Math.max(sparse.getDim(), parts.get(p).getVectors().getSparseFloatVector().getDim()));
                }
                return out.setSparseFloatVector(sparse).build();
            }
            default:
                throw new IllegalArgumentException("Cannot batch vector column " + parts.get(0).getFieldName()
                        + " of kind " + first.getDataCase());
        }
    }

    private interface BytesOf {
        ByteString get(VectorField v);
    }

    /** Byte-packed vectors: {@code rowBytes} bytes per row, one {@code bytes} value per column. */
    private static ByteString concatBytes(List<FieldData> parts, List<boolean[]> keep, int rowBytes, BytesOf bytes) {
        List<ByteString> pieces = new ArrayList<>();
        for (int p = 0; p < parts.size(); p++) {
            ByteString all = bytes.get(parts.get(p).getVectors());
            boolean[] k = keep.get(p);
            if (k == null) {
                pieces.add(all);
                continue;
            }
            for (int r = 0; r < k.length; r++) {
                if (k[r]) {
                    pieces.add(all.substring(r * rowBytes, (r + 1) * rowBytes));
                }
            }
        }
        return ByteString.copyFrom(pieces);
    }
}
