package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.CollectionCreated;
import io.milvuscdc.connectors.event.proto.CreatePartition;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.DropPartition;
import io.milvuscdc.connectors.event.proto.PartitionCreated;
import io.milvuscdc.connectors.event.proto.PartitionDropped;
import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.InsertedKeys;
import io.milvuscdc.connectors.event.proto.RowsDeleted;
import io.milvuscdc.connectors.event.proto.RowsInserted;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.mq.MilvusMessageDecoder;
import io.milvuscdc.job.config.Selection;

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
import org.apache.flink.streaming.api.TimerService;
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
 *   <li>Rows for a partition wait until the partition is known; a partition drop, like a
 *       collection drop, waits for every physical channel's DropPartition.</li>
 *   <li>Collections outside the {@link Selection} are skipped and counted; kept ones get
 *       their target names here.</li>
 *   <li>Key 0 carries what names no collection id: the replicate channel's database and
 *       collection commands, mapped to target names here and ordered downstream by
 *       {@link TargetNameSequencer}.</li>
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

    private final Selection selection;

    private transient ValueState<byte[]> collection;
    private transient ValueState<Boolean> dropped;
    private transient ValueState<Boolean> excluded;
    /** Known partitions: id → name. */
    private transient MapState<Long, String> partitions;
    /** DropPartition seen: "{partitionId}/{channel}". */
    private transient MapState<String, Boolean> droppedPartitionChannels;
    /** Timestamp of a DropCollection seen before the collection was known. */
    private transient ValueState<Long> unknownDrop;
    /** Partitions whose drop barrier completed: id → true. */
    private transient MapState<Long, Boolean> droppedPartitions;
    private transient ListState<byte[]> pending;
    private transient ValueState<Integer> pendingSize;
    /** Keys written by Inserts, per "{vchannel}@{timestamp}", until the watermark passes the timestamp. */
    private transient MapState<String, byte[]> lastInserted;
    private transient MapState<String, Boolean> droppedChannels;
    private transient Counter deadLettered;
    private transient Counter buffered;
    private transient Counter skipped;
    private transient TimerService timers;

    public CollectionSequencer(Selection selection) {
        this.selection = selection;
    }

    @Override
    public void open(OpenContext openContext) {
        collection = getRuntimeContext().getState(new ValueStateDescriptor<>("collection", BYTES));
        dropped = getRuntimeContext().getState(new ValueStateDescriptor<>("dropped", Types.BOOLEAN));
        pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending", BYTES));
        pendingSize = getRuntimeContext().getState(new ValueStateDescriptor<>("pending-size", Types.INT));
        lastInserted = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("last-inserted", Types.STRING, BYTES));
        droppedChannels = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-channels", Types.STRING, Types.BOOLEAN));
        excluded = getRuntimeContext().getState(new ValueStateDescriptor<>("excluded", Types.BOOLEAN));
        partitions = getRuntimeContext().getMapState(new MapStateDescriptor<>("partitions", Types.LONG, Types.STRING));
        unknownDrop = getRuntimeContext().getState(new ValueStateDescriptor<>("unknown-drop", Types.LONG));
        droppedPartitions = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-partitions", Types.LONG, Types.BOOLEAN));
        droppedPartitionChannels = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-partition-channels", Types.STRING, Types.BOOLEAN));
        skipped = getRuntimeContext().getMetricGroup().counter("skippedBySelection");
        deadLettered = getRuntimeContext().getMetricGroup().counter("deadLettered");
        buffered = getRuntimeContext().getMetricGroup().counter("bufferedBeforeCollection");
    }

    @Override
    public void processElement(ChangeRecord record, Context ctx, Collector<OperationRecord> out) throws Exception {
        timers = ctx.timerService();
        ChangeEvent event = record.decode();
        if (event.hasUndecodable()) {
            deadLettered.inc();
            LOG.warn("Dead-lettered a message from {}: {}", event.getOrigin(), event.getUndecodable().getError());
            ctx.output(DEAD_LETTER, record);
            return;
        }
        if (event.hasDatabaseCommand()) {
            databaseCommand(event, out);
            return;
        }
        if (event.hasCollectionCommand()) {
            collectionCommand(event, out);
            return;
        }
        if (Boolean.TRUE.equals(dropped.value())) {
            return; // the id of a dropped collection is never reused
        }
        if (Boolean.TRUE.equals(excluded.value())) {
            skipped.inc();
            return;
        }
        if (event.hasCollectionCreated()) {
            onCreated(event, out);
            return;
        }
        if (event.hasCollectionDropped()) {
            return; // the MQ barrier (every channel's DropCollection) applies the drop
        }
        byte[] known = collection.value();
        if (known == null && event.hasShardDropped()) {
            // Dropped before the catalog showed it (created and dropped while etcd was compacted
            // past the job's position): once the catalog is read past the drop, what waits is gone.
            unknownDrop.update(event.getTimestamp());
            timers.registerEventTimeTimer(event.getTimestamp());
        }
        // Rows keep their order behind rows that wait; catalog and drop events need not.
        boolean rowsBehindRows = isRows(event) && pendingCount() > 0;
        if (known == null || rowsBehindRows || !apply(CollectionCreated.parseFrom(known), event, out)) {
            pending.add(record.event);
            pendingSize.update(pendingCount() + 1);
            buffered.inc();
        }
    }

    private static boolean isRows(ChangeEvent event) {
        return event.hasRowsInserted() || event.hasRowsDeleted();
    }

    private int pendingCount() throws Exception {
        Integer n = pendingSize.value();
        return n == null ? 0 : n;
    }

    private void databaseCommand(ChangeEvent event, Collector<OperationRecord> out) {
        DatabaseCommand command = event.getDatabaseCommand();
        if (!selection.includesDatabase(command.getDbName())) {
            skipped.inc();
            return;
        }
        String target = selection.targetDatabase(command.getDbName());
        DatabaseCommand.Builder mapped = command.toBuilder().setDbName(target);
        if (mapped.hasCreateDatabase()) {
            mapped.getCreateDatabaseBuilder().setDbName(target);
        } else if (mapped.hasDropDatabase()) {
            mapped.getDropDatabaseBuilder().setDbName(target);
        }
        out.collect(OperationRecord.of(TargetOperation.newBuilder()
                .setDatabase(target)
                .setTimestamp(event.getTimestamp())
                .setDatabaseCommand(mapped)
                .build()));
    }

    private void collectionCommand(ChangeEvent event, Collector<OperationRecord> out) {
        CollectionCommand command = event.getCollectionCommand();
        String db = command.getDbName();
        if (!selection.includesCollection(db, command.getCollectionName())) {
            skipped.inc();
            return;
        }
        String targetDb = selection.targetDatabase(db);
        String target = selection.targetCollection(db, command.getCollectionName());
        // The request keeps its own names too: the sink sends it as it is.
        CollectionCommand.Builder mapped = command.toBuilder().setDbName(targetDb).setCollectionName(target);
        switch (mapped.getCommandCase()) {
            case CREATE_INDEX:
                mapped.getCreateIndexBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case DROP_INDEX:
                mapped.getDropIndexBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case LOAD_COLLECTION:
                mapped.getLoadCollectionBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case RELEASE_COLLECTION:
                mapped.getReleaseCollectionBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case LOAD_PARTITIONS:
                mapped.getLoadPartitionsBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case RELEASE_PARTITIONS:
                mapped.getReleasePartitionsBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case FLUSH:
                mapped.getFlushBuilder().setDbName(targetDb).clearCollectionNames().addCollectionNames(target);
                break;
            default:
                break;
        }
        out.collect(OperationRecord.of(TargetOperation.newBuilder()
                .setDatabase(targetDb)
                .setCollection(target)
                .setTimestamp(event.getTimestamp())
                .setCollectionCommand(mapped)
                .build()));
    }

    private void onCreated(ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        if (collection.value() != null) {
            return; // seen again after a restore's snapshot
        }
        CollectionCreated created = event.getCollectionCreated();
        String db = databaseOf(created);
        if (!selection.includesCollection(db, created.getCollectionName())) {
            LOG.info("Collection {}.{} (id {}) is outside the selection: not replicated", db,
                    created.getCollectionName(), event.getCollectionId());
            excluded.update(true);
            pending.clear();
            pendingSize.clear();
            skipped.inc();
            return;
        }
        // Target names and the incarnation (create time) travel with the collection's state.
        created = created.toBuilder()
                .setDbName(selection.targetDatabase(db))
                .setCollectionName(selection.targetCollection(db, created.getCollectionName()))
                .setIncarnation(event.getTimestamp())
                .build();
        collection.update(created.toByteArray());
        for (int i = 0; i < created.getPartitionIdsCount(); i++) {
            partitions.put(created.getPartitionIds(i), created.getPartitionNames(i));
        }
        CollectionSchema schema = TargetSchemas.forTarget(created.getSchema(), created.getCollectionName());
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setCreateCollection(CreateCollection.newBuilder()
                        .setSchema(schema)
                        .setShardsNum(created.getShardsNum())
                        .setConsistencyLevel(created.getConsistencyLevel())
                        .addAllProperties(created.getPropertiesList())
                        .addAllPartitionNames(created.getPartitionNamesList()))
                .build()));
        replayPending(created, out);
    }

    /**
     * Applies what waited, in arrival order, keeping what still has to wait: rows stay behind
     * the first rows that wait; a replayed partition create or drop can unblock earlier events.
     */
    private void replayPending(CollectionCreated created, Collector<OperationRecord> out) throws Exception {
        if (pendingCount() == 0) {
            return;
        }
        List<byte[]> queue = new ArrayList<>();
        pending.get().forEach(queue::add);
        pending.clear();
        pendingSize.clear();
        boolean progress = true;
        while (progress && !queue.isEmpty()) {
            progress = false;
            boolean rowsBlocked = false;
            List<byte[]> still = new ArrayList<>();
            for (byte[] bytes : queue) {
                ChangeEvent event = ChangeEvent.parseFrom(bytes);
                boolean rows = isRows(event);
                if (collection.value() == null || (rows && rowsBlocked) || !apply(created, event, out)) {
                    still.add(bytes);
                    rowsBlocked |= rows;
                } else {
                    progress = true;
                }
            }
            queue = still;
        }
        if (collection.value() != null) {
            pending.update(queue);
            pendingSize.update(queue.size());
        }
    }

    /** Applies one event of a known collection; false when it has to wait. */
    private boolean apply(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        switch (event.getKindCase()) {
            case ROWS_INSERTED:
                if (droppedPartitions.contains(event.getRowsInserted().getPartitionId())) {
                    return true; // written before the partition's drop: gone on the source too
                }
                if (!partitionKnown(event.getRowsInserted())) {
                    return false;
                }
                insert(created, event, out);
                return true;
            case ROWS_DELETED:
                delete(created, event, out);
                return true;
            case SHARD_DROPPED:
                shardDropped(created, event, out);
                return true;
            case PARTITION_CREATED:
                return partitionCreated(created, event, out);
            case PARTITION_DROPPED:
                partitionDropped(created, event, out);
                return true;
            default:
                return true;
        }
    }

    private boolean partitionKnown(RowsInserted rows) throws Exception {
        // Servers that name no partition id write into the default partition.
        return rows.getPartitionId() <= 0 || partitions.contains(rows.getPartitionId());
    }

    private boolean partitionCreated(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out)
            throws Exception {
        PartitionCreated partition = event.getPartitionCreated();
        if (partitions.contains(partition.getPartitionId()) || droppedPartitions.contains(partition.getPartitionId())) {
            // Known, or already dropped: etcd may show a partition after every channel's drop of it.
            return true;
        }
        for (String name : partitions.values()) {
            if (name.equals(partition.getPartitionName())) {
                return false; // an earlier partition of this name is still being dropped
            }
        }
        partitions.put(partition.getPartitionId(), partition.getPartitionName());
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setCreatePartition(CreatePartition.newBuilder().setPartitionName(partition.getPartitionName()))
                .build()));
        replayPending(created, out);
        return true;
    }

    private void partitionDropped(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out)
            throws Exception {
        PartitionDropped drop = event.getPartitionDropped();
        droppedPartitionChannels.put(drop.getPartitionId() + "/" + drop.getChannel(), true);
        for (String channel : physicalChannels(created, event.getCollectionId())) {
            if (!droppedPartitionChannels.contains(drop.getPartitionId() + "/" + channel)) {
                return;
            }
        }
        for (String channel : physicalChannels(created, event.getCollectionId())) {
            droppedPartitionChannels.remove(drop.getPartitionId() + "/" + channel);
        }
        // Partition ids are never reused: remembered, so that a late PartitionCreated cannot bring it back.
        droppedPartitions.put(drop.getPartitionId(), true);
        if (partitions.contains(drop.getPartitionId())) {
            partitions.remove(drop.getPartitionId());
            out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                    .setDropPartition(DropPartition.newBuilder().setPartitionName(drop.getPartitionName()))
                    .build()));
        }
        // Rows that waited for a partition never announced are released (and skipped) now.
        replayPending(created, out);
    }

    private void insert(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        RowsInserted rows = event.getRowsInserted();
        if (rows.getNumRows() == 0) {
            return;
        }
        FieldSchema pk = TargetSchemas.primaryField(created.getSchema()).orElseThrow();
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setUpsert(Upsert.newBuilder()
                        .setPartitionName(partitionName(created, rows.getPartitionName()))
                        .setNumRows((int) rows.getNumRows())
                        .setPrimaryField(pk.getName())
                        .addAllFieldsData(rows.getFieldsDataList()))
                .build()));
        // Kept per shard and timestamp, not just the shard's latest: another writer's insert
        // may come between an upsert's Insert and its Delete.
        String at = insertedAt(rows.getVchannel(), event.getTimestamp());
        byte[] previous = lastInserted.get(at);
        IDs keys = keysOf(rows.getFieldsDataList(), pk);
        InsertedKeys.Builder inserted = InsertedKeys.newBuilder().setTimestamp(event.getTimestamp());
        inserted.setKeys(previous == null ? keys : InsertedKeys.parseFrom(previous).getKeys().toBuilder().mergeFrom(keys).build());
        lastInserted.put(at, inserted.build().toByteArray());
        // Forgotten once the watermark passes: the shard's Delete at this timestamp has come by then.
        timers.registerEventTimeTimer(event.getTimestamp());
    }

    private static String insertedAt(String vchannel, long timestamp) {
        return vchannel + "@" + timestamp;
    }

    private void delete(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        RowsDeleted rows = event.getRowsDeleted();
        IDs keys = rows.getPrimaryKeys();
        byte[] inserted = lastInserted.get(insertedAt(rows.getVchannel(), event.getTimestamp()));
        if (inserted != null) {
            // An upsert: the Insert at this timestamp wrote these keys anew, the Delete only removes older rows.
            keys = without(keys, InsertedKeys.parseFrom(inserted).getKeys());
        }
        if (keys.getIntId().getDataCount() == 0 && keys.getStrId().getDataCount() == 0) {
            return;
        }
        FieldSchema pk = TargetSchemas.primaryField(created.getSchema()).orElseThrow();
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setDelete(Delete.newBuilder()
                        .setPartitionName(partitionName(created, rows.getPartitionName()))
                        .setPrimaryField(pk.getName())
                        .setPrimaryKeys(keys))
                .build()));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<OperationRecord> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        List<String> done = new ArrayList<>();
        for (String at : lastInserted.keys()) {
            int sep = at.lastIndexOf('@');
            // Entries of earlier versions were keyed by shard alone: they are stale too.
            if (sep < 0 || Long.parseLong(at.substring(sep + 1)) <= watermark) {
                done.add(at);
            }
        }
        for (String at : done) {
            lastInserted.remove(at);
        }
        Long drop = unknownDrop.value();
        if (drop != null && drop <= watermark && collection.value() == null && !Boolean.TRUE.equals(dropped.value())) {
            LOG.warn("Collection id {} was dropped (source timestamp {}) and the catalog never showed it: "
                    + "{} waiting operations of it are discarded, as on the source", ctx.getCurrentKey(), drop, pendingCount());
            pending.clear();
            pendingSize.clear();
            unknownDrop.clear();
            dropped.update(true);
        }
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
        droppedPartitionChannels.clear();
        droppedPartitions.clear();
        partitions.clear();
        pending.clear();
        pendingSize.clear();
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
                .setDatabase(created.getDbName())
                .setCollection(created.getCollectionName())
                .setTimestamp(timestamp)
                .setSourceCollectionId(collectionId)
                .setIncarnation(created.getIncarnation());
    }

    /** A partition-key collection routes rows itself: the target refuses a named partition. */
    private static String partitionName(CollectionCreated created, String sourcePartition) {
        return created.getSchema().getFieldsList().stream().anyMatch(f -> f.getIsPartitionKey()) ? "" : sourcePartition;
    }

    private static String databaseOf(CollectionCreated created) {
        return created.getDbName().isEmpty() ? MilvusMessageDecoder.DEFAULT_DATABASE : created.getDbName();
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
