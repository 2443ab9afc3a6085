package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.RowsDeleted;
import io.milvuscdc.connectors.event.proto.RowsInserted;
import io.milvuscdc.connectors.event.proto.ShardDropped;
import io.milvuscdc.connectors.event.proto.Undecodable;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.milvus.grpc.MsgBase;
import io.milvus.grpc.MsgType;
import milvus.proto.msg.Msg;

import java.io.Serializable;
import java.util.Optional;

/**
 * Decodes one Milvus message queue payload (the protobuf of a msgstream message) into a
 * {@link ChangeEvent}.
 *
 * <p>Every payload starts with {@code MsgBase base = 1}; the header is read first to learn
 * the type. Time ticks and the types this project takes from etcd instead (create collection,
 * create partition) give no event.
 */
public final class MilvusMessageDecoder implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Decodes a payload read at {@code origin} (channel and position). */
    public Optional<ChangeEvent> decode(byte[] payload, String origin) {
        try {
            MsgBase base = Msg.TimeTickMsg.parseFrom(payload).getBase();
            switch (base.getMsgType()) {
                case Insert:
                    return Optional.of(insert(Msg.InsertRequest.parseFrom(payload), origin));
                case Delete:
                    return Optional.of(delete(Msg.DeleteRequest.parseFrom(payload), origin));
                case DropCollection:
                    return Optional.of(dropCollection(Msg.DropCollectionRequest.parseFrom(payload), origin));
                case TimeTick:
                case CreateCollection:
                case CreatePartition:
                    return Optional.empty();
                default:
                    if (base.getMsgType() == MsgType.UNRECOGNIZED || base.getMsgType() == MsgType.Undefined) {
                        return Optional.of(undecodable(payload, origin, "unknown message type " + base.getMsgTypeValue()));
                    }
                    // Known to Milvus but not replicated yet: dead-lettered, so that nothing is
                    // dropped without a trace.
                    return Optional.of(undecodable(payload, origin, "message type " + base.getMsgType() + " is not replicated"));
            }
        } catch (InvalidProtocolBufferException e) {
            return Optional.of(undecodable(payload, origin, "not a Milvus message: " + e.getMessage()));
        }
    }

    /** The message's type, or {@code null} for bytes that are no Milvus message. */
    public static MsgType typeOf(byte[] payload) {
        try {
            return Msg.TimeTickMsg.parseFrom(payload).getBase().getMsgType();
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    private static ChangeEvent insert(Msg.InsertRequest msg, String origin) {
        // An Insert's base carries no timestamp on 2.3; its rows do (all alike for one message).
        long ts = timestamp(msg.getBase().getTimestamp(), msg.getTimestampsList());
        RowsInserted.Builder rows = RowsInserted.newBuilder()
                .setVchannel(msg.getShardName())
                .setDbName(msg.getDbName())
                .setCollectionName(msg.getCollectionName())
                .setPartitionName(msg.getPartitionName())
                .setNumRows(msg.getNumRows() > 0 ? msg.getNumRows() : msg.getRowIDsCount());
        // Row id and timestamp (field ids below 100) are the source's own: not user data.
        msg.getFieldsDataList().stream().filter(f -> f.getFieldId() >= 100)
                .forEach(rows::addFieldsData);
        return ChangeEvent.newBuilder()
                .setCollectionId(msg.getCollectionID())
                .setTimestamp(ts)
                .setOrigin(origin)
                .setRowsInserted(rows)
                .build();
    }

    private static ChangeEvent delete(Msg.DeleteRequest msg, String origin) {
        RowsDeleted.Builder rows = RowsDeleted.newBuilder()
                .setVchannel(msg.getShardName())
                .setDbName(msg.getDbName())
                .setCollectionName(msg.getCollectionName())
                .setPartitionName(msg.getPartitionName())
                .setNumRows(msg.getNumRows());
        if (msg.hasPrimaryKeys()) {
            rows.setPrimaryKeys(msg.getPrimaryKeys());
        } else {
            // Servers before 2.2 sent int64 keys in a field of their own.
            rows.getPrimaryKeysBuilder().getIntIdBuilder().addAllData(msg.getInt64PrimaryKeysList());
        }
        long ts = timestamp(msg.getBase().getTimestamp(), msg.getTimestampsList());
        return ChangeEvent.newBuilder()
                .setCollectionId(msg.getCollectionID())
                .setTimestamp(ts)
                .setOrigin(origin)
                .setRowsDeleted(rows)
                .build();
    }

    /** The latest of the message's and its rows' timestamps. */
    private static long timestamp(long base, java.util.List<Long> rows) {
        long ts = base;
        for (long t : rows) {
            ts = Math.max(ts, t);
        }
        return ts;
    }

    private static ChangeEvent dropCollection(Msg.DropCollectionRequest msg, String origin) {
        // The message names no shard; one is written to each of the collection's physical
        // channels, so the channel it was read on (origin "channel@position") names it.
        return ChangeEvent.newBuilder()
                .setCollectionId(msg.getCollectionID())
                .setTimestamp(msg.getBase().getTimestamp())
                .setOrigin(origin)
                .setShardDropped(ShardDropped.newBuilder()
                        .setVchannel(channelOf(origin))
                        .setDbName(msg.getDbName())
                        .setCollectionName(msg.getCollectionName()))
                .build();
    }

    private static String channelOf(String origin) {
        int at = origin.lastIndexOf('@');
        return at < 0 ? origin : origin.substring(0, at);
    }

    private static ChangeEvent undecodable(byte[] payload, String origin, String error) {
        return ChangeEvent.newBuilder()
                .setOrigin(origin)
                .setUndecodable(Undecodable.newBuilder().setPayload(ByteString.copyFrom(payload)).setError(error))
                .build();
    }
}
