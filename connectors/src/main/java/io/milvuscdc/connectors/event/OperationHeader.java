package io.milvuscdc.connectors.event;

import io.milvuscdc.connectors.event.proto.TargetOperation;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The routing fields of an encoded {@link TargetOperation} (names, timestamps, kind), read without
 * parsing its rows: an operator that only orders operations forwards their bytes as they came,
 * instead of decoding and re-encoding every vector.
 */
public final class OperationHeader {

    private String database = "";
    private String collection = "";
    private long timestamp;
    private long incarnation;
    private TargetOperation.KindCase kind = TargetOperation.KindCase.KIND_NOT_SET;

    private OperationHeader() {}

    public static OperationHeader parse(byte[] operation) {
        OperationHeader h = new OperationHeader();
        try {
            CodedInputStream in = CodedInputStream.newInstance(operation);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = WireFormat.getTagFieldNumber(tag);
                switch (field) {
                    case TargetOperation.DATABASE_FIELD_NUMBER:
                        h.database = in.readStringRequireUtf8();
                        break;
                    case TargetOperation.COLLECTION_FIELD_NUMBER:
                        h.collection = in.readStringRequireUtf8();
                        break;
                    case TargetOperation.TIMESTAMP_FIELD_NUMBER:
                        h.timestamp = in.readUInt64();
                        break;
                    case TargetOperation.INCARNATION_FIELD_NUMBER:
                        h.incarnation = in.readUInt64();
                        break;
                    default:
                        TargetOperation.KindCase kind = TargetOperation.KindCase.forNumber(field);
                        if (kind != null) {
                            h.kind = kind; // the last one wins, as in a oneof
                        }
                        in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return h;
    }

    /** The header of an operation already decoded. */
    public static OperationHeader of(TargetOperation op) {
        OperationHeader h = new OperationHeader();
        h.database = op.getDatabase();
        h.collection = op.getCollection();
        h.timestamp = op.getTimestamp();
        h.incarnation = op.getIncarnation();
        h.kind = op.getKindCase();
        return h;
    }

    /** {@code database.collection}, as {@link OperationRecord#target}. */
    public String target() {
        return database + "." + collection;
    }

    public String database() {
        return database;
    }

    public String collection() {
        return collection;
    }

    public long timestamp() {
        return timestamp;
    }

    public long incarnation() {
        return incarnation;
    }

    public TargetOperation.KindCase kind() {
        return kind;
    }
}
