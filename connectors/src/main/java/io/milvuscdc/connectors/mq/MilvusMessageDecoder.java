package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.PartitionDropped;
import io.milvuscdc.connectors.event.proto.RowsDeleted;
import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.RawColumns;
import io.milvuscdc.connectors.event.proto.RawChangeEvent;
import io.milvuscdc.connectors.event.proto.RawInsertRequest;
import io.milvuscdc.connectors.event.proto.RawRowsInserted;
import io.milvuscdc.connectors.event.proto.ShardDropped;
import io.milvuscdc.connectors.event.proto.TimeTick;
import io.milvuscdc.connectors.event.proto.Undecodable;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.milvus.grpc.CreateDatabaseRequest;
import io.milvus.grpc.CreateIndexRequest;
import io.milvus.grpc.DropDatabaseRequest;
import io.milvus.grpc.DropIndexRequest;
import io.milvus.grpc.FlushRequest;
import io.milvus.grpc.LoadCollectionRequest;
import io.milvus.grpc.LoadPartitionsRequest;
import io.milvus.grpc.MsgBase;
import io.milvus.grpc.MsgType;
import io.milvus.grpc.ReleaseCollectionRequest;
import io.milvus.grpc.ReleasePartitionsRequest;
import milvus.proto.msg.Msg;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one Milvus message queue payload (the protobuf of a msgstream message) into a
 * {@link ChangeEvent}.
 *
 * <p>Every payload starts with {@code MsgBase base = 1}; the header is read first to learn
 * the type. The types this project takes from etcd instead (create collection, create
 * partition) give no event. The replicate channel's operations (database, index, load, release,
 * flush) carry names instead of ids and become database or collection commands; a flush of
 * several collections becomes one command each.
 */
public final class MilvusMessageDecoder implements Serializable {

    private static final long serialVersionUID = 1L;

    /** What an empty database name means on the source. */
    public static final String DEFAULT_DATABASE = "default";

    /** Decodes a payload read at {@code origin} (channel and position) into zero or more events. */
    public List<ChangeEvent> decode(byte[] payload, String origin) {
        List<ChangeEvent> events = new ArrayList<>(1);
        decodeRecords(payload, origin).forEach(r -> events.add(r.decode()));
        return events;
    }

    /**
     * As {@link #decode}, encoded: an Insert's columns are copied as the source wrote them, not
     * decoded (see {@code raw_rows.proto}).
     */
    public List<ChangeRecord> decodeRecords(byte[] payload, String origin) {
        MsgBase base;
        try {
            base = Msg.TimeTickMsg.parseFrom(payload).getBase();
            if (base.getMsgType() == MsgType.Insert) {
                return List.of(insert(payload, origin));
            }
        } catch (java.io.IOException e) {
            return List.of(ChangeRecord.of(undecodable(payload, origin, "not a Milvus message: " + e.getMessage())));
        }
        List<ChangeRecord> records = new ArrayList<>(1);
        decodeOthers(base, payload, origin).forEach(e -> records.add(ChangeRecord.of(e)));
        return records;
    }

    private List<ChangeEvent> decodeOthers(MsgBase base, byte[] payload, String origin) {
        List<ChangeEvent> events = new ArrayList<>(1);
        try {
            switch (base.getMsgType()) {
                case Delete:
                    events.add(delete(Msg.DeleteRequest.parseFrom(payload), origin));
                    break;
                case DropCollection:
                    events.add(dropCollection(Msg.DropCollectionRequest.parseFrom(payload), origin));
                    break;
                case DropPartition:
                    events.add(dropPartition(Msg.DropPartitionRequest.parseFrom(payload), origin));
                    break;
                case TimeTick:
                    events.add(event(0, base.getTimestamp(), origin)
                            .setTimeTick(TimeTick.newBuilder().setChannel(channelOf(origin))).build());
                    break;
                case CreateCollection:
                case CreatePartition:
                    break;
                case CreateDatabase: {
                    CreateDatabaseRequest request = CreateDatabaseRequest.parseFrom(payload);
                    events.add(database(base, origin, DatabaseCommand.newBuilder().setDbName(request.getDbName())
                            .setCreateDatabase(request.toBuilder().clearBase())));
                    break;
                }
                case DropDatabase: {
                    DropDatabaseRequest request = DropDatabaseRequest.parseFrom(payload);
                    events.add(database(base, origin, DatabaseCommand.newBuilder().setDbName(request.getDbName())
                            .setDropDatabase(request.toBuilder().clearBase())));
                    break;
                }
                case CreateIndex: {
                    CreateIndexRequest request = CreateIndexRequest.parseFrom(payload);
                    events.add(collection(base, origin, command(request.getDbName(), request.getCollectionName())
                            .setCreateIndex(request.toBuilder().clearBase())));
                    break;
                }
                case DropIndex: {
                    DropIndexRequest request = DropIndexRequest.parseFrom(payload);
                    events.add(collection(base, origin, command(request.getDbName(), request.getCollectionName())
                            .setDropIndex(request.toBuilder().clearBase())));
                    break;
                }
                case LoadCollection: {
                    LoadCollectionRequest request = LoadCollectionRequest.parseFrom(payload);
                    events.add(collection(base, origin, command(request.getDbName(), request.getCollectionName())
                            .setLoadCollection(request.toBuilder().clearBase())));
                    break;
                }
                case ReleaseCollection: {
                    ReleaseCollectionRequest request = ReleaseCollectionRequest.parseFrom(payload);
                    events.add(collection(base, origin, command(request.getDbName(), request.getCollectionName())
                            .setReleaseCollection(request.toBuilder().clearBase())));
                    break;
                }
                case LoadPartitions: {
                    LoadPartitionsRequest request = LoadPartitionsRequest.parseFrom(payload);
                    events.add(collection(base, origin, command(request.getDbName(), request.getCollectionName())
                            .setLoadPartitions(request.toBuilder().clearBase())));
                    break;
                }
                case ReleasePartitions: {
                    ReleasePartitionsRequest request = ReleasePartitionsRequest.parseFrom(payload);
                    events.add(collection(base, origin, command(request.getDbName(), request.getCollectionName())
                            .setReleasePartitions(request.toBuilder().clearBase())));
                    break;
                }
                case Flush: {
                    FlushRequest request = FlushRequest.parseFrom(payload);
                    for (String name : request.getCollectionNamesList()) {
                        events.add(collection(base, origin, command(request.getDbName(), name)
                                .setFlush(request.toBuilder().clearBase().clearCollectionNames().addCollectionNames(name))));
                    }
                    break;
                }
                default:
                    if (base.getMsgType() == MsgType.UNRECOGNIZED || base.getMsgType() == MsgType.Undefined) {
                        events.add(undecodable(payload, origin, "unknown message type " + base.getMsgTypeValue()));
                    } else {
                        // Known to Milvus but not replicated: dead-lettered, so that nothing is
                        // dropped without a trace.
                        events.add(undecodable(payload, origin, "message type " + base.getMsgType() + " is not replicated"));
                    }
            }
        } catch (InvalidProtocolBufferException e) {
            events.clear();
            events.add(undecodable(payload, origin, "not a Milvus message: " + e.getMessage()));
        }
        return events;
    }

    private static ChangeEvent.Builder event(long collectionId, long timestamp, String origin) {
        return ChangeEvent.newBuilder().setCollectionId(collectionId).setTimestamp(timestamp).setOrigin(origin);
    }

    private static CollectionCommand.Builder command(String db, String collection) {
        return CollectionCommand.newBuilder().setDbName(db.isEmpty() ? DEFAULT_DATABASE : db).setCollectionName(collection);
    }

    private static ChangeEvent database(MsgBase base, String origin, DatabaseCommand.Builder command) {
        return event(0, base.getTimestamp(), origin).setDatabaseCommand(command).build();
    }

    private static ChangeEvent collection(MsgBase base, String origin, CollectionCommand.Builder command) {
        return event(0, base.getTimestamp(), origin).setCollectionCommand(command).build();
    }

    private static ChangeEvent dropPartition(Msg.DropPartitionRequest msg, String origin) {
        // Like DropCollection: one per physical channel, naming no shard.
        return event(msg.getCollectionID(), msg.getBase().getTimestamp(), origin)
                .setPartitionDropped(PartitionDropped.newBuilder()
                        .setChannel(channelOf(origin))
                        .setPartitionId(msg.getPartitionID())
                        .setPartitionName(msg.getPartitionName()))
                .build();
    }

    /** The message's type, or {@code null} for bytes that are no Milvus message. */
    public static MsgType typeOf(byte[] payload) {
        try {
            return Msg.TimeTickMsg.parseFrom(payload).getBase().getMsgType();
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    private static ChangeRecord insert(byte[] payload, String origin) throws java.io.IOException {
        CodedInputStream in = CodedInputStream.newInstance(payload);
        in.enableAliasing(true); // columns refer to the payload until they are written out
        RawInsertRequest msg = RawInsertRequest.parseFrom(in);
        // An Insert's base carries no timestamp on 2.3; its rows do (all alike for one message).
        long ts = timestamp(msg.getBase().getTimestamp(), msg.getTimestampsList());
        RawRowsInserted.Builder rows = RawRowsInserted.newBuilder()
                .setVchannel(msg.getShardName())
                .setDbName(msg.getDbName())
                .setCollectionName(msg.getCollectionName())
                .setPartitionName(msg.getPartitionName())
                .setPartitionId(msg.getPartitionID())
                .setNumRows(msg.getNumRows() > 0 ? msg.getNumRows() : msg.getRowIDsCount());
        // Row id and timestamp (field ids below 100) are the source's own: not user data.
        for (ByteString column : msg.getFieldsDataList()) {
            if (RawColumns.fieldId(column) >= 100) {
                rows.addFieldsData(column);
            }
        }
        RawChangeEvent event = RawChangeEvent.newBuilder()
                .setCollectionId(msg.getCollectionID())
                .setTimestamp(ts)
                .setOrigin(origin)
                .setRowsInserted(rows)
                .build();
        return new ChangeRecord(msg.getCollectionID(), ts, false, event.toByteArray());
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
