package io.milvuscdc.connectors.event;

import io.milvuscdc.connectors.event.proto.ChangeEvent;

import com.google.protobuf.InvalidProtocolBufferException;

import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * A {@link ChangeEvent} in flight between operators. A POJO (key plus protobuf bytes) so that
 * Flink serializes it with its own POJO serializer instead of Kryo.
 */
public class ChangeRecord {

    /** Source collection id; 0 for events that belong to no collection. */
    public long collectionId;

    /** The source's hybrid timestamp (TSO) of the event: its event time in the job. */
    public long timestamp;

    /** A channel's time tick: it only moves the watermark. */
    public boolean timeTick;

    /** The encoded {@link ChangeEvent}. */
    public byte[] event;

    public ChangeRecord() {}

    public ChangeRecord(long collectionId, long timestamp, boolean timeTick, byte[] event) {
        this.collectionId = collectionId;
        this.timestamp = timestamp;
        this.timeTick = timeTick;
        this.event = event;
    }

    public static ChangeRecord of(ChangeEvent event) {
        return new ChangeRecord(event.getCollectionId(), event.getTimestamp(), event.hasTimeTick(), event.toByteArray());
    }

    public ChangeEvent decode() {
        try {
            return ChangeEvent.parseFrom(event);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChangeRecord && ((ChangeRecord) o).collectionId == collectionId
                && java.util.Arrays.equals(((ChangeRecord) o).event, event);
    }

    @Override
    public int hashCode() {
        return Objects.hash(collectionId, java.util.Arrays.hashCode(event));
    }

    @Override
    public String toString() {
        return "ChangeRecord{collectionId=" + collectionId + ", bytes=" + (event == null ? 0 : event.length) + '}';
    }
}
