package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCreated;
import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.InsertedKeys;
import io.milvuscdc.connectors.event.proto.RowsDeleted;
import io.milvuscdc.connectors.event.proto.RowsInserted;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.FieldSchema;
import io.milvus.grpc.IDs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One ordered stream of target operations per source collection (keyed by collection id,
 * state in RocksDB).
 *
 * <ul>
 *   <li>Rows wait until their collection is known: the catalog (etcd) and the rows (MQ) come
 *       from two sources with no order between them.</li>
 *   <li>An upsert arrives as an Insert then a Delete of the same keys at the same timestamp;
 *       on the target the Insert is an upsert already, so those keys leave the Delete.</li>
 *   <li>A drop is applied once every physical channel of the collection has delivered its
 *       DropCollection: no earlier row of any shard can follow it.</li>
 *   <li>Undecodable messages go to the dead-letter output, counted and logged.</li>
 * </ul>
 */
public final class CollectionSequencer extends KeyedProcessFunction<Long, ChangeRecord, OperationRecord> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(CollectionSequencer.class);

    public static final OutputTag<ChangeRecord> DEAD_LETTER = new OutputTag<>("dead-letter") {
        private static final long serialVersionUID = 1L;
    };

    private static final PrimitiveArrayTypeInfo<byte[]> BYTES = PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;

    private transient ValueState<byte[]> collection;
    private transient ValueState<Boolean> dropped;
    private transient ListState<byte[]> pending;
    private transient MapState<String, byte[]> lastInserted;
    private transient MapState<String, Boolean> droppedChannels;
    private transient Counter deadLettered;
    private transient Counter buffered;

    @Override
    public void open(OpenContext openContext) {
        collection = getRuntimeContext().getState(new ValueStateDescriptor<>("collection", BYTES));
        dropped = getRuntimeContext().getState(new ValueStateDescriptor<>("dropped", Types.BOOLEAN));
        pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending", BYTES));
        lastInserted = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("last-inserted", Types.STRING, BYTES));
        droppedChannels = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-channels", Types.STRING, Types.BOOLEAN));
        deadLettered = getRuntimeContext().getMetricGroup().counter("deadLettered");
        buffered = getRuntimeContext().getMetricGroup().counter("bufferedBeforeCollection");
    }

    @Override
    public void processElement(ChangeRecord record, Context ctx, Collector<OperationRecord> out) throws Exception {
        ChangeEvent event = record.decode();
        if (event.hasUndecodable()) {
            deadLettered.inc();
            LOG.warn("Dead-lettered a message from {}: {}", event.getOrigin(), event.getUndecodable().getError());
            ctx.output(DEAD_LETTER, record);
            return;
        }
        if (Boolean.TRUE.equals(dropped.value())) {
            return; // the id of a dropped collection is never reused
        }
        if (event.hasCollectionCreated()) {
            onCreated(event, out);
            return;
        }
        if (event.hasCollectionDropped()) {
            return; // the MQ barrier (every channel's DropCollection) applies the drop
        }
        byte[] known = collection.value();
        if (known == null) {
            pending.add(record.event);
            buffered.inc();
            return;
        }
        apply(CollectionCreated.parseFrom(known), event, out);
    }

    private void onCreated(ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        if (collection.value() != null) {
            return; // seen again after a restore's snapshot
        }
        CollectionCreated created = event.getCollectionCreated();
        collection.update(created.toByteArray());
        CollectionSchema schema = TargetSchemas.forTarget(created.getSchema(), created.getCollectionName());
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setCreateCollection(CreateCollection.newBuilder()
                        .setSchema(schema)
                        .setShardsNum(created.getShardsNum())
                        .setConsistencyLevel(created.getConsistencyLevel())
                        .addAllProperties(created.getPropertiesList())
                        .addAllPartitionNames(created.getPartitionNamesList()))
                .build()));
        Iterable<byte[]> waiting = pending.get();
        if (waiting != null) {
            for (byte[] bytes : waiting) {
                apply(created, ChangeEvent.parseFrom(bytes), out);
            }
        }
        pending.clear();
    }

    private void apply(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        switch (event.getKindCase()) {
            case ROWS_INSERTED:
                insert(created, event, out);
                break;
            case ROWS_DELETED:
                delete(created, event, out);
                break;
            case SHARD_DROPPED:
                shardDropped(created, event, out);
                break;
            default:
                break;
        }
    }

    private void insert(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        RowsInserted rows = event.getRowsInserted();
        if (rows.getNumRows() == 0) {
            return;
        }
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setUpsert(Upsert.newBuilder()
                        .setPartitionName(rows.getPartitionName())
                        .setNumRows((int) rows.getNumRows())
                        .addAllFieldsData(rows.getFieldsDataList()))
                .build()));
        FieldSchema pk = TargetSchemas.primaryField(created.getSchema()).orElseThrow();
        IDs keys = keysOf(rows.getFieldsDataList(), pk);
        byte[] bytes = lastInserted.get(rows.getVchannel());
        InsertedKeys previous = bytes == null ? null : InsertedKeys.parseFrom(bytes);
        InsertedKeys.Builder inserted = InsertedKeys.newBuilder().setTimestamp(event.getTimestamp());
        if (previous != null && previous.getTimestamp() == event.getTimestamp()) {
            inserted.setKeys(previous.getKeys().toBuilder().mergeFrom(keys));
        } else {
            inserted.setKeys(keys);
        }
        lastInserted.put(rows.getVchannel(), inserted.build().toByteArray());
    }

    private void delete(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        RowsDeleted rows = event.getRowsDeleted();
        IDs keys = rows.getPrimaryKeys();
        byte[] previous = lastInserted.get(rows.getVchannel());
        if (previous != null) {
            InsertedKeys inserted = InsertedKeys.parseFrom(previous);
            if (inserted.getTimestamp() == event.getTimestamp()) {
                keys = without(keys, inserted.getKeys());
            }
        }
        if (keys.getIntId().getDataCount() == 0 && keys.getStrId().getDataCount() == 0) {
            return;
        }
        FieldSchema pk = TargetSchemas.primaryField(created.getSchema()).orElseThrow();
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setDelete(Delete.newBuilder()
                        .setPartitionName(rows.getPartitionName())
                        .setPrimaryField(pk.getName())
                        .setPrimaryKeys(keys))
                .build()));
    }

    private void shardDropped(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        droppedChannels.put(event.getShardDropped().getVchannel(), true);
        for (String channel : physicalChannels(created, event.getCollectionId())) {
            if (!droppedChannels.contains(channel)) {
                return;
            }
        }
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setDropCollection(DropCollection.getDefaultInstance())
                .build()));
        collection.clear();
        lastInserted.clear();
        droppedChannels.clear();
        pending.clear();
        dropped.update(true);
    }

    /** A shard's vchannel is {@code {pchannel}_{collectionId}v{shard}}. */
    static Set<String> physicalChannels(CollectionCreated created, long collectionId) {
        Set<String> channels = new LinkedHashSet<>();
        String suffix = "_" + collectionId + "v";
        for (String vchannel : created.getVirtualChannelsList()) {
            int at = vchannel.lastIndexOf(suffix);
            channels.add(at < 0 ? vchannel : vchannel.substring(0, at));
        }
        return channels;
    }

    private static TargetOperation.Builder operation(CollectionCreated created, long timestamp, long collectionId) {
        return TargetOperation.newBuilder()
                .setDatabase(created.getDbName().isEmpty() ? "default" : created.getDbName())
                .setCollection(created.getCollectionName())
                .setTimestamp(timestamp)
                .setSourceCollectionId(collectionId);
    }

    static IDs keysOf(List<FieldData> columns, FieldSchema pk) {
        for (FieldData column : columns) {
            if (column.getFieldId() == pk.getFieldID() || column.getFieldName().equals(pk.getName())) {
                IDs.Builder ids = IDs.newBuilder();
                if (column.getScalars().hasStringData()) {
                    ids.getStrIdBuilder().addAllData(column.getScalars().getStringData().getDataList());
                } else {
                    ids.getIntIdBuilder().addAllData(column.getScalars().getLongData().getDataList());
                }
                return ids.build();
            }
        }
        return IDs.getDefaultInstance();
    }

    static IDs without(IDs keys, IDs remove) {
        if (keys.hasStrId()) {
            Set<String> gone = new HashSet<>(remove.getStrId().getDataList());
            List<String> left = new ArrayList<>();
            keys.getStrId().getDataList().stream().filter(k -> !gone.contains(k)).forEach(left::add);
            IDs.Builder ids = IDs.newBuilder();
            ids.getStrIdBuilder().addAllData(left);
            return ids.build();
        }
        Set<Long> gone = new HashSet<>(remove.getIntId().getDataList());
        List<Long> left = new ArrayList<>();
        keys.getIntId().getDataList().stream().filter(k -> !gone.contains(k)).forEach(left::add);
        IDs.Builder ids = IDs.newBuilder();
        ids.getIntIdBuilder().addAllData(left);
        return ids.build();
    }
}
