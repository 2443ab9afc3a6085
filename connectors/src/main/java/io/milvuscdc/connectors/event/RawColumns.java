package io.milvuscdc.connectors.event;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.milvus.grpc.FieldData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Reads what a column (an encoded {@code schema.FieldData}) is without decoding its values. */
public final class RawColumns {

    /** No field has it: a lookup by name only. */
    private static final long ANY_ID = Long.MIN_VALUE;

    private RawColumns() {}

    public static long fieldId(ByteString column) {
        return header(column).fieldId;
    }

    public static String fieldName(ByteString column) {
        return header(column).name;
    }

    /** The column's {@code schema.DataType} number (0 when the column does not say). */
    public static int dataType(ByteString column) {
        return header(column).type;
    }

    /** The column named {@code name}, decoded; null when there is none. */
    public static FieldData find(List<ByteString> columns, String name) {
        return find(columns, name, ANY_ID);
    }

    public static FieldData parse(ByteString column) {
        try {
            return FieldData.parseFrom(column);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The column named {@code name} (or of id {@code fieldId}), decoded; null when there is none. */
    public static FieldData find(List<ByteString> columns, String name, long fieldId) {
        for (ByteString column : columns) {
            Header h = header(column);
            if (h.fieldId == fieldId || h.name.equals(name)) {
                return parse(column);
            }
        }
        return null;
    }

    private static Header header(ByteString column) {
        Header h = new Header();
        try {
            CodedInputStream in = column.newCodedInput();
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case FieldData.FIELD_NAME_FIELD_NUMBER:
                        h.name = in.readStringRequireUtf8();
                        break;
                    case FieldData.FIELD_ID_FIELD_NUMBER:
                        h.fieldId = in.readInt64();
                        break;
                    case FieldData.TYPE_FIELD_NUMBER:
                        h.type = in.readEnum();
                        break;
                    default:
                        in.skipField(tag); // the values: skipped whole, not decoded
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return h;
    }

    private static final class Header {
        String name = "";
        long fieldId;
        int type;
    }
}
