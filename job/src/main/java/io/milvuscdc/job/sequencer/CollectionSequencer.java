package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.RawColumns;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.CollectionCreated;
import io.milvuscdc.connectors.event.proto.CreatePartition;
import io.milvuscdc.connectors.event.proto.DropPartition;
import io.milvuscdc.connectors.event.proto.PartitionCreated;
import io.milvuscdc.connectors.event.proto.PartitionDropped;
import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.RowsDeleted;
import io.milvuscdc.connectors.event.proto.RawChangeEvent;
import io.milvuscdc.connectors.event.proto.RawRowsInserted;
import io.milvuscdc.connectors.event.proto.SnapshotRows;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
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

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.FieldSchema;
import io.milvus.grpc.IDs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One ordered stream of target operations per source collection (keyed by collection id,
 * state in RocksDB): a thin operator over small plain classes, each owning its part of the state.
 *
 * <ul>
 *   <li>{@link PendingEvents}: rows wait until their collection and partition are known (the
 *       catalog (etcd) and the rows (MQ) come from two sources with no order between them).</li>
 *   <li>{@link UpsertReassembly}: an upsert's Insert and Delete at one timestamp stay one upsert.</li>
 *   <li>{@link DropBarrier}: a collection or partition drop is applied once every physical
 *       channel of the collection has delivered it: no earlier row of any shard can follow it.</li>
 *   <li>{@link TargetNaming}: collections outside the {@link Selection} are skipped and counted;
 *       kept ones get their target names. Key 0 carries what names no collection id: the
 *       replicate channel's database and collection commands, mapped here and ordered
 *       downstream by {@link TargetNameSequencer}.</li>
 *   <li>Undecodable messages go to the dead-letter output, counted and logged.</li>
 *   <li>The initial snapshot ({@code startup.mode: initial}): a collection it copies takes its
 *       {@link SnapshotRows} as upserts while its changes from the stream wait (with the events
 *       that wait for other reasons); once every split of it is copied, its indexes and load
 *       follow, then the changes that waited, in order. The stream starts before the copy
 *       began: replayed over the copy, the changes converge to the source.</li>
 * </ul>
 */
public final class CollectionSequencer extends KeyedProcessFunction<Long, ChangeRecord, OperationRecord> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(CollectionSequencer.class);

    public static final OutputTag<DeadLetter> DEAD_LETTER = new OutputTag<>("dead-letter") {
        private static final long serialVersionUID = 1L;
    };

    private static final PrimitiveArrayTypeInfo<byte[]> BYTES = PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;

    private final TargetNaming naming;
    /** Source collection id → encoded commands (indexes, load) applied once its initial copy is done. */
    private final java.util.HashMap<Long, java.util.ArrayList<byte[]>> initialCopy;
    /** Source collection id → its rows when the copy was planned: the progress lines' total. */
    private final java.util.HashMap<Long, Long> initialRows;

    private static final int COPYING = 1;
    private static final int STREAMING = 2;

    private transient ValueState<byte[]> collection;
    private transient ValueState<Boolean> dropped;
    private transient ValueState<Boolean> excluded;
    /** Known partitions: id → name. */
    private transient MapState<Long, String> partitions;
    /** Partitions whose drop barrier completed: id → true (ids are never reused). */
    private transient MapState<Long, Boolean> droppedPartitions;
    /** Timestamp of a DropCollection seen before the collection was known. */
    private transient ValueState<Long> unknownDrop;
    private transient PendingEvents pending;
    private transient UpsertReassembly upserts;
    private transient DropBarrier collectionDrops;
    private transient DropBarrier partitionDrops;
    private transient Counter deadLettered;
    private transient Counter buffered;
    /** Operations waiting per source collection id, and the id each target name's gauge reads. */
    private transient java.util.Map<Long, Integer> bufferedByCollection;
    private transient java.util.Map<String, long[]> bufferedGauges;
    /** Collection ids whose target collection's gauge reads them. */
    private transient java.util.Set<Long> gauged;
    private transient long currentKey;
    private transient Counter skipped;
    private transient TimerService timers;
    /** Whether the initial snapshot still copies this collection (null: not decided yet). */
    private transient ValueState<Integer> copyState;
    private transient MapState<String, Boolean> copiedSplits;
    private transient ListState<byte[]> afterCopy;
    /** Rows copied so far, and when the first came (epoch ms): the progress lines. */
    private transient ValueState<long[]> copyProgress;
    private transient Counter rowsCopied;

    /** The source's and the target's common.defaultPartitionName: rows of the one go to the other. */
    private String sourceDefaultPartition = "_default";
    private String targetDefaultPartition = "_default";

    public CollectionSequencer(Selection selection) {
        this(selection, java.util.Map.of(), java.util.Map.of());
    }

    /** With the collections the initial snapshot copies, what each gets once copied, and its rows when planned. */
    public CollectionSequencer(Selection selection, java.util.Map<Long, List<byte[]>> initialCopy,
                               java.util.Map<Long, Long> initialRows) {
        this.naming = new TargetNaming(selection);
        this.initialCopy = new java.util.HashMap<>();
        initialCopy.forEach((id, commands) -> this.initialCopy.put(id, new java.util.ArrayList<>(commands)));
        this.initialRows = new java.util.HashMap<>(initialRows);
    }

    /** The source's and the target's default partition names, when not Milvus's {@code _default}. */
    public CollectionSequencer withDefaultPartitionNames(String source, String target) {
        this.sourceDefaultPartition = source;
        this.targetDefaultPartition = target;
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        // State names are part of savepoint compatibility: never change them.
        collection = getRuntimeContext().getState(new ValueStateDescriptor<>("collection", BYTES));
        dropped = getRuntimeContext().getState(new ValueStateDescriptor<>("dropped", Types.BOOLEAN));
        excluded = getRuntimeContext().getState(new ValueStateDescriptor<>("excluded", Types.BOOLEAN));
        partitions = getRuntimeContext().getMapState(new MapStateDescriptor<>("partitions", Types.LONG, Types.STRING));
        droppedPartitions = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-partitions", Types.LONG, Types.BOOLEAN));
        unknownDrop = getRuntimeContext().getState(new ValueStateDescriptor<>("unknown-drop", Types.LONG));
        pending = new PendingEvents(getRuntimeContext().getListState(new ListStateDescriptor<>("pending", BYTES)),
                getRuntimeContext().getState(new ValueStateDescriptor<>("pending-size", Types.INT)),
                n -> {
                    if (n == 0) {
                        bufferedByCollection.remove(currentKey);
                    } else {
                        bufferedByCollection.put(currentKey, n);
                    }
                });
        bufferedByCollection = new java.util.concurrent.ConcurrentHashMap<>();
        bufferedGauges = new java.util.HashMap<>();
        gauged = new java.util.HashSet<>();
        // What waits (for its collection, a partition, earlier rows): the sum over this subtask's
        // collections, and each known collection's own. Counts are learnt as each collection's
        // events come, so after a restore a collection shows its gauge and its waiting operations
        // from its next event on.
        getRuntimeContext().getMetricGroup().gauge("operationsBuffered",
                () -> bufferedByCollection.values().stream().mapToLong(Integer::longValue).sum());
        upserts = new UpsertReassembly(getRuntimeContext().getMapState(
                new MapStateDescriptor<>("last-inserted", Types.STRING, BYTES)));
        collectionDrops = new DropBarrier(getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-channels", Types.STRING, Types.BOOLEAN)));
        partitionDrops = new DropBarrier(getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-partition-channels", Types.STRING, Types.BOOLEAN)));
        copyState = getRuntimeContext().getState(new ValueStateDescriptor<>("initial-copy", Types.INT));
        copiedSplits = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("initial-copy-splits", Types.STRING, Types.BOOLEAN));
        afterCopy = getRuntimeContext().getListState(new ListStateDescriptor<>("initial-copy-after", BYTES));
        copyProgress = getRuntimeContext().getState(new ValueStateDescriptor<>("initial-copy-progress",
                PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        rowsCopied = getRuntimeContext().getMetricGroup().counter("initialSnapshotRows");
        getRuntimeContext().getMetricGroup().meter("initialSnapshotRowsPerSecond",
                new org.apache.flink.metrics.MeterView(rowsCopied));
        skipped = getRuntimeContext().getMetricGroup().counter("skippedBySelection");
        deadLettered = getRuntimeContext().getMetricGroup().counter("deadLettered");
        buffered = getRuntimeContext().getMetricGroup().counter("bufferedBeforeCollection");
    }

    @Override
    public void processElement(ChangeRecord record, Context ctx, Collector<OperationRecord> out) throws Exception {
        currentKey = ctx.getCurrentKey();
        timers = ctx.timerService();
        if (carriesRowsInserted(record.event)) {
            rowsInserted(record, out);
            return;
        }
        ChangeEvent event = record.decode();
        if (event.hasUndecodable()) {
            deadLettered.inc();
            LOG.warn("Dead-lettered a message from {}: {}", event.getOrigin(), event.getUndecodable().getError());
            ctx.output(DEAD_LETTER, DeadLetter.message(event.getOrigin(), event.getUndecodable().getError(),
                    event.getUndecodable().getPayload().toByteArray()));
            return;
        }
        if (event.hasDatabaseCommand() || event.hasCollectionCommand()) {
            Optional<TargetOperation> mapped = event.hasDatabaseCommand()
                    ? naming.databaseCommand(event) : naming.collectionCommand(event);
            if (mapped.isPresent()) {
                out.collect(OperationRecord.of(mapped.get()));
            } else {
                skipped.inc();
            }
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
        gaugeOnce(known);
        if (known == null && event.hasShardDropped()) {
            // Dropped before the catalog showed it (created and dropped while etcd was compacted
            // past the job's position): once the catalog is read past the drop, what waits is gone.
            unknownDrop.update(event.getTimestamp());
            timers.registerEventTimeTimer(event.getTimestamp());
        }
        boolean rowsBehindRows = PendingEvents.isRows(event) && pending.count() > 0;
        if (known == null || rowsBehindRows || !apply(CollectionCreated.parseFrom(known), event, out)) {
            pending.add(record.event);
            buffered.inc();
        }
    }

    /** Rows are forwarded with their columns as they came (see {@code raw_rows.proto}). */
    private void rowsInserted(ChangeRecord record, Collector<OperationRecord> out) throws Exception {
        if (Boolean.TRUE.equals(dropped.value())) {
            return; // the id of a dropped collection is never reused
        }
        if (Boolean.TRUE.equals(excluded.value())) {
            skipped.inc();
            return;
        }
        byte[] known = collection.value();
        gaugeOnce(known);
        if (known == null || pending.count() > 0 || copying(record.collectionId)
                || !insert(CollectionCreated.parseFrom(known), raw(record.event), out)) {
            pending.add(record.event);
            buffered.inc();
        }
    }

    /** Whether an encoded ChangeEvent carries rows_inserted: its top-level fields only are read. */
    static boolean carriesRowsInserted(byte[] event) throws java.io.IOException {
        CodedInputStream in = CodedInputStream.newInstance(event);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == ChangeEvent.ROWS_INSERTED_FIELD_NUMBER) {
                return true;
            }
            in.skipField(tag);
        }
        return false;
    }

    private static RawChangeEvent raw(byte[] event) throws java.io.IOException {
        CodedInputStream in = CodedInputStream.newInstance(event);
        in.enableAliasing(true); // the columns refer to the record until written out
        return RawChangeEvent.parseFrom(in);
    }

    private void onCreated(ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        if (collection.value() != null) {
            return; // seen again after a restore's snapshot
        }
        CollectionCreated source = event.getCollectionCreated();
        Optional<CollectionCreated> mapped = naming.collection(source, event.getTimestamp());
        if (mapped.isEmpty()) {
            LOG.info("Collection {}.{} (id {}) is outside the selection: not replicated", TargetNaming.databaseOf(source),
                    source.getCollectionName(), event.getCollectionId());
            excluded.update(true);
            pending.clear();
            skipped.inc();
            return;
        }
        // Target names and the incarnation (create time) travel with the collection's state.
        CollectionCreated created = mapped.get();
        collection.update(created.toByteArray());
        bufferedGauge(created.getDbName(), created.getCollectionName(), event.getCollectionId());
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
                        .addAllPartitionNames(targetPartitions(created)))
                .build()));
        replayPending(created, out);
    }

    /**
     * A collection known from a restored state gets its gauge at its first event (a restore does
     * not visit the keys; seen missing from Prometheus after an upgrade, in ChaosITCase).
     */
    private void gaugeOnce(byte[] known) throws java.io.IOException {
        if (known != null && gauged.add(currentKey)) {
            CollectionCreated created = CollectionCreated.parseFrom(known);
            if (!bufferedGauges.containsKey(created.getDbName() + "." + created.getCollectionName())) {
                bufferedGauge(created.getDbName(), created.getCollectionName(), currentKey); // a later create's stays
            }
        }
    }

    /** The target collection's {@code operationsBuffered}, reading its current incarnation's count. */
    private void bufferedGauge(String db, String name, long collectionId) {
        gauged.add(collectionId);
        bufferedGauges.computeIfAbsent(db + "." + name, k -> {
            long[] id = new long[1];
            getRuntimeContext().getMetricGroup().addGroup("database", db).addGroup("collection", name)
                    .gauge("operationsBuffered", () -> (long) bufferedByCollection.getOrDefault(id[0], 0));
            return id;
        })[0] = collectionId;
    }

    private void replayPending(CollectionCreated created, Collector<OperationRecord> out) throws Exception {
        pending.replay(e -> apply(created, e, out), this::collectionKnown);
    }

    private boolean collectionKnown() {
        try {
            return collection.value() != null;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Whether the initial snapshot still copies the collection: decided at its first event from the
     * plan, kept in state from then on (a job restored from a savepoint runs without a plan).
     */
    private boolean copying(long collectionId) throws Exception {
        Integer state = copyState.value();
        if (state == null) {
            List<byte[]> commands = initialCopy.get(collectionId);
            state = commands == null ? STREAMING : COPYING;
            copyState.update(state);
            if (commands != null) {
                afterCopy.update(commands);
            }
        }
        return state == COPYING;
    }

    /** A change from the stream, which waits while the collection is copied. */
    private static boolean fromStream(ChangeEvent event) {
        switch (event.getKindCase()) {
            case ROWS_INSERTED:
            case ROWS_DELETED:
            case SHARD_DROPPED:
            case PARTITION_DROPPED:
                return true;
            default:
                return false;
        }
    }

    /** Copied rows become an upsert; the last split of the collection releases what waited. */
    private boolean snapshotRows(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out)
            throws Exception {
        SnapshotRows rows = event.getSnapshotRows();
        if (!copying(event.getCollectionId())) {
            // A split's end replayed after a failover (no rows: those are emitted once).
            LOG.info("Snapshot split {} of collection id {} ended again after the copy ended ({} rows): ignored",
                    rows.getSplitId(), event.getCollectionId(), rows.getNumRows());
            return true;
        }
        if (rows.getNumRows() > 0) {
            progress(created, event.getCollectionId(), rows.getNumRows());
            out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                    .setUpsert(Upsert.newBuilder()
                            .setPartitionName(partitionName(created, rows.getPartitionName()))
                            .setNumRows(rows.getNumRows())
                            .setPrimaryField(rows.getPrimaryField())
                            .addAllFieldsData(rows.getFieldsDataList()))
                    .build()));
        }
        if (!rows.getSplitDone()) {
            return true;
        }
        copiedSplits.put(rows.getSplitId(), true);
        int done = 0;
        for (String ignored : copiedSplits.keys()) {
            done++;
        }
        if (done < rows.getSplitCount()) {
            return true;
        }
        copyState.update(STREAMING);
        copiedSplits.clear();
        for (byte[] command : afterCopy.get()) {
            out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                    .setCollectionCommand(CollectionCommand.parseFrom(command)).build()));
        }
        afterCopy.clear();
        LOG.info("Initial snapshot of {}.{} copied ({} key ranges); {} changes since follow", created.getDbName(),
                created.getCollectionName(), done, pending.count());
        replayPending(created, out);
        return true;
    }

    /** Counts copied rows; logs a progress line at each tenth of the planned rows (rows/s, time left). */
    private void progress(CollectionCreated created, long collectionId, long rows) throws Exception {
        rowsCopied.inc(rows);
        long now = System.currentTimeMillis();
        long[] p = copyProgress.value();
        if (p == null) {
            p = new long[]{0, now};
        }
        long before = p[0];
        p[0] += rows;
        copyProgress.update(p);
        long total = initialRows.getOrDefault(collectionId, 0L);
        if (total > 0 && p[0] * 10 / total > before * 10 / total) {
            double seconds = Math.max(0.001, (now - p[1]) / 1000.0);
            double rate = p[0] / seconds;
            LOG.info("Initial snapshot of {}.{}: {} of {} rows ({}%), {} rows/s, about {} s left", created.getDbName(),
                    created.getCollectionName(), p[0], total, p[0] * 100 / total, Math.round(rate),
                    Math.max(0, Math.round((total - p[0]) / rate)));
        }
    }

    /** Applies one event of a known collection; false when it has to wait. */
    private boolean apply(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        if (fromStream(event) && copying(event.getCollectionId())) {
            return false;
        }
        switch (event.getKindCase()) {
            case SNAPSHOT_ROWS:
                return snapshotRows(created, event, out);
            case ROWS_INSERTED: // rows that waited
                return insert(created, raw(event.toByteArray()), out);
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

    private boolean partitionCreated(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out)
            throws Exception {
        PartitionCreated partition = event.getPartitionCreated();
        if (partitions.contains(partition.getPartitionId()) || droppedPartitions.contains(partition.getPartitionId())) {
            // Known, or already dropped: etcd may show a partition after every channel's drop of it.
            return true;
        }
        if (hasPartitionNamed(partition.getPartitionName())) {
            return false; // an earlier partition of this name is still being dropped
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
        if (!partitionDrops.arrive(drop.getPartitionId() + "/", drop.getChannel(),
                physicalChannels(created, event.getCollectionId()))) {
            return;
        }
        // Remembered, so that a late PartitionCreated cannot bring it back.
        droppedPartitions.put(drop.getPartitionId(), true);
        boolean known = partitions.contains(drop.getPartitionId());
        if (known) {
            partitions.remove(drop.getPartitionId());
        }
        // A drop ahead of its partition's PartitionCreated (etcd's watch and the channels race on a
        // replay) still goes out, unless a later partition holds the name: at least once, the
        // target may hold the partition, made before the failure. Without it, it is a no-op.
        if (known || !hasPartitionNamed(drop.getPartitionName())) {
            out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                    .setDropPartition(DropPartition.newBuilder().setPartitionName(drop.getPartitionName()))
                    .build()));
        }
        // Rows that waited for a partition never announced are released (and skipped) now.
        replayPending(created, out);
    }

    private boolean hasPartitionNamed(String name) throws Exception {
        for (String known : partitions.values()) {
            if (known.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Applies inserted rows as an upsert; false when their partition is not known yet. */
    private boolean insert(CollectionCreated created, RawChangeEvent event, Collector<OperationRecord> out) throws Exception {
        RawRowsInserted rows = event.getRowsInserted();
        if (droppedPartitions.contains(rows.getPartitionId())) {
            return true; // written before the partition's drop: gone on the source too
        }
        // Servers that name no partition id write into the default partition.
        if (rows.getPartitionId() > 0 && !partitions.contains(rows.getPartitionId())) {
            return false;
        }
        if (rows.getNumRows() == 0) {
            return true;
        }
        FieldSchema pk = TargetSchemas.primaryField(created.getSchema()).orElseThrow();
        // The columns are copied as they are, still encoded.
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setUpsert(Upsert.newBuilder()
                        .setPartitionName(partitionName(created, rows.getPartitionName()))
                        .setNumRows((int) rows.getNumRows())
                        .setPrimaryField(pk.getName())
                        .addAllFieldsData(rows.getFieldsDataList()))
                .build()));
        FieldData keys = RawColumns.find(rows.getFieldsDataList(), pk.getName(), pk.getFieldID());
        upserts.inserted(rows.getVchannel(), event.getTimestamp(),
                keys == null ? IDs.getDefaultInstance() : keysOf(List.of(keys), pk));
        timers.registerEventTimeTimer(event.getTimestamp() + UpsertReassembly.LATE_WINDOW_TSO);
        return true;
    }

    private void delete(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        RowsDeleted rows = event.getRowsDeleted();
        IDs keys = upserts.deleted(rows.getVchannel(), event.getTimestamp(), rows.getPrimaryKeys());
        if (UpsertReassembly.isEmpty(keys)) {
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
        currentKey = ctx.getCurrentKey();
        long watermark = ctx.timerService().currentWatermark();
        upserts.forgetUpTo(watermark);
        Long drop = unknownDrop.value();
        if (drop != null && drop <= watermark && collection.value() == null && !Boolean.TRUE.equals(dropped.value())) {
            LOG.warn("Collection id {} was dropped (source timestamp {}) and the catalog never showed it: "
                    + "{} waiting operations of it are discarded, as on the source", ctx.getCurrentKey(), drop, pending.count());
            pending.clear();
            unknownDrop.clear();
            dropped.update(true);
        }
    }

    private void shardDropped(CollectionCreated created, ChangeEvent event, Collector<OperationRecord> out) throws Exception {
        if (!collectionDrops.arrive("", event.getShardDropped().getVchannel(), physicalChannels(created, event.getCollectionId()))) {
            return;
        }
        out.collect(OperationRecord.of(operation(created, event.getTimestamp(), event.getCollectionId())
                .setDropCollection(DropCollection.getDefaultInstance())
                .build()));
        collection.clear();
        upserts.clear();
        collectionDrops.clear();
        partitionDrops.clear();
        droppedPartitions.clear();
        partitions.clear();
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
                .setDatabase(created.getDbName())
                .setCollection(created.getCollectionName())
                .setTimestamp(timestamp)
                .setSourceCollectionId(collectionId)
                .setIncarnation(created.getIncarnation());
    }

    /**
     * A partition-key collection routes rows itself: the target refuses a named partition. The
     * source's default partition is the target's default one, whatever each calls it.
     */
    private String partitionName(CollectionCreated created, String sourcePartition) {
        return partitionKey(created) ? "" : sourcePartition.equals(sourceDefaultPartition) ? targetDefaultPartition : sourcePartition;
    }

    private static boolean partitionKey(CollectionCreated created) {
        return created.getSchema().getFieldsList().stream().anyMatch(f -> f.getIsPartitionKey());
    }

    /** The partitions the target has (a partition-key collection: as many as the source; else by the target's names). */
    private List<String> targetPartitions(CollectionCreated created) {
        if (partitionKey(created)) {
            return created.getPartitionNamesList();
        }
        List<String> out = new java.util.ArrayList<>(created.getPartitionNamesList());
        out.replaceAll(p -> p.equals(sourceDefaultPartition) ? targetDefaultPartition : p);
        return out;
    }

    static IDs keysOf(List<FieldData> columns, FieldSchema pk) {
        for (FieldData column : columns) {
            if (column.getFieldId() == pk.getFieldID() || column.getFieldName().equals(pk.getName())) {
                return io.milvuscdc.connectors.sink.internal.Columns.keyIds(column);
            }
        }
        return IDs.getDefaultInstance();
    }
}
