package io.milvuscdc.connectors.event;

import io.milvuscdc.connectors.event.proto.TargetOperation;

import com.google.protobuf.InvalidProtocolBufferException;

import java.io.UncheckedIOException;
import java.util.Arrays;

/** A {@link TargetOperation} in flight to the sink, as a POJO of protobuf bytes. */
public class OperationRecord {

    /** {@code database.collection} on the target ({@code database.} for database operations). */
    public String target;

    /** The encoded {@link TargetOperation}. */
    public byte[] operation;

    public OperationRecord() {}

    public OperationRecord(String target, byte[] operation) {
        this.target = target;
        this.operation = operation;
    }

    public static OperationRecord of(TargetOperation operation) {
        return new OperationRecord(operation.getDatabase() + "." + operation.getCollection(), operation.toByteArray());
    }

    public TargetOperation decode() {
        try {
            return TargetOperation.parseFrom(operation);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OperationRecord && Arrays.equals(((OperationRecord) o).operation, operation);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(operation);
    }
}
