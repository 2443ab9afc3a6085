package io.milvuscdc.connectors.query;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.ScalarField;
import io.milvus.grpc.VectorField;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Rows of a query answer, each as its key and a digest of every field's value: two rows are
 * equal when their digests are. Fields are taken by name (the two sides' field ids differ), floats
 * by their bits (a vector differing in one float differs), JSON by its bytes (the job copies them).
 */
public final class RowDigests {

    private RowDigests() {}

    /** The number of rows in an answer (0 when it has no columns). */
    public static int rows(List<FieldData> columns, String primaryField) {
        for (FieldData c : columns) {
            if (c.getFieldName().equals(primaryField)) {
                return keys(c).size();
            }
        }
        return 0;
    }

    /** The key of each row, as text. */
    public static List<String> keys(List<FieldData> columns, String primaryField) {
        for (FieldData c : columns) {
            if (c.getFieldName().equals(primaryField)) {
                return keys(c);
            }
        }
        return List.of();
    }

    private static List<String> keys(FieldData pk) {
        ScalarField s = pk.getScalars();
        if (s.hasStringData()) {
            return new ArrayList<>(s.getStringData().getDataList());
        }
        List<String> out = new ArrayList<>(s.getLongData().getDataCount());
        for (long k : s.getLongData().getDataList()) {
            out.add(Long.toString(k));
        }
        return out;
    }

    /** A digest per row, in row order (hex of 128 bits of SHA-256 over the field values). */
    public static List<String> digests(List<FieldData> columns, int rows) {
        List<FieldData> byName = new ArrayList<>(columns);
        byName.sort(Comparator.comparing(FieldData::getFieldName));
        MessageDigest sha = sha256();
        List<String> out = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            for (FieldData c : byName) {
                sha.update(c.getFieldName().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                value(c, r, sha);
                sha.update((byte) 0);
            }
            out.add(hex(sha.digest(), 16));
        }
        return out;
    }

    /** Feeds row {@code r}'s value of a column. */
    private static void value(FieldData c, int r, MessageDigest sha) {
        if (c.getValidDataCount() > r && !c.getValidData(r)) {
            sha.update((byte) 'N'); // null (2.4+ nullable fields)
            return;
        }
        if (c.hasVectors()) {
            VectorField v = c.getVectors();
            int dim = (int) v.getDim();
            switch (v.getDataCase()) {
                case FLOAT_VECTOR: {
                    ByteBuffer b = ByteBuffer.allocate(dim * 4);
                    List<Float> floats = v.getFloatVector().getDataList();
                    for (int i = r * dim; i < (r + 1) * dim; i++) {
                        b.putInt(Float.floatToRawIntBits(floats.get(i)));
                    }
                    sha.update(b.array());
                    return;
                }
                case BINARY_VECTOR:
                    update(sha, v.getBinaryVector(), r, dim / 8);
                    return;
                case FLOAT16_VECTOR:
                    update(sha, v.getFloat16Vector(), r, dim * 2);
                    return;
                case BFLOAT16_VECTOR:
                    update(sha, v.getBfloat16Vector(), r, dim * 2);
                    return;
                case INT8_VECTOR:
                    update(sha, v.getInt8Vector(), r, dim);
                    return;
                case SPARSE_FLOAT_VECTOR:
                    sha.update(v.getSparseFloatVector().getContents(r).toByteArray());
                    return;
                default:
                    throw new IllegalArgumentException("Cannot compare vector field " + c.getFieldName() + " of kind "
                            + v.getDataCase());
            }
        }
        ScalarField s = c.getScalars();
        if (s.getDataCase() == ScalarField.DataCase.DATA_NOT_SET) {
            return;
        }
        // Each kind is a message with one repeated "data" field.
        FieldDescriptor oneof = s.getDescriptorForType().findFieldByNumber(s.getDataCase().getNumber());
        Message values = (Message) s.getField(oneof);
        FieldDescriptor data = values.getDescriptorForType().findFieldByName("data");
        Object value = values.getRepeatedField(data, r);
        if (value instanceof Float) {
            sha.update(ByteBuffer.allocate(4).putInt(Float.floatToRawIntBits((Float) value)).array());
        } else if (value instanceof Double) {
            sha.update(ByteBuffer.allocate(8).putLong(Double.doubleToRawLongBits((Double) value)).array());
        } else if (value instanceof ByteString) {
            sha.update(((ByteString) value).toByteArray());
        } else if (value instanceof Message) {
            sha.update(((Message) value).toByteArray()); // an array field's row: a ScalarField
        } else {
            sha.update(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void update(MessageDigest sha, ByteString all, int r, int rowBytes) {
        sha.update(all.substring(r * rowBytes, (r + 1) * rowBytes).toByteArray());
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(byte[] bytes, int length) {
        StringBuilder b = new StringBuilder(length * 2);
        for (int i = 0; i < length; i++) {
            b.append(Character.forDigit((bytes[i] >> 4) & 0xf, 16)).append(Character.forDigit(bytes[i] & 0xf, 16));
        }
        return b.toString();
    }
}
