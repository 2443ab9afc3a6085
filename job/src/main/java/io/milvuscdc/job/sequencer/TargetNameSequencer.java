package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.OperationHeader;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.TargetOperation.KindCase;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Orders the operations of one target database, keyed by its name: every operation of the
 * database and of its collections leaves this operator, and so reaches one writer and one
 * committer, in one order (a drop database, a create database and a create of one of its
 * collections cannot overtake each other).
 *
 * <ul>
 *   <li>Collections of the same name (a drop, then a create) are applied one after the other:
 *       a later one's operations wait until the earlier one's drop has gone out, so the
 *       target never creates "if absent" over a collection about to be dropped. The later one
 *       waits at most until the watermark passes its create: names are unique on the source, so
 *       the earlier one was dropped before that, and every row of it has arrived. Its own drop is
 *       then applied here (the one the source publishes on the DML channels is later still, or
 *       never comes: a source restarted while its queue was down was seen to publish none).</li>
 *   <li>Replicate-channel commands (index, load, release, flush, database) wait for the
 *       watermark, which the source channels' time ticks drive: when it passes a command's
 *       timestamp, every earlier row and drop has reached this operator, so the command is
 *       applied after them and to the collection that existed at its timestamp (a later one of
 *       the same name may still wait behind the old one's late drop). A command that waited for
 *       its collection's create waits for one more watermark: the rows held for that create
 *       follow it.</li>
 * </ul>
 */
public final class TargetNameSequencer extends KeyedProcessFunction<String, OperationRecord, OperationRecord> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TargetNameSequencer.class);
    private static final PrimitiveArrayTypeInfo<byte[]> BYTES = PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;

    /** The key: the target database of an operation ({@code OperationRecord.target} is {@code db.collection}). */
    public static final KeySelector<OperationRecord, String> BY_DATABASE = r -> r.target.substring(0, r.target.indexOf('.'));

    /** Per collection name: create timestamp of the collection now live under it. */
    private transient MapState<String, Long> current;
    /** Per collection name: create timestamp of the last dropped collection of that name. */
    private transient MapState<String, Long> lastDroppedIncarnation;
    /** Per collection name: timestamp of that drop. */
    private transient MapState<String, Long> lastDropTimestamp;
    /** Operations of a later collection of a name, and commands whose collection is not here yet. */
    private transient ListState<byte[]> queued;
    /** Commands waiting for the watermark. */
    private transient ListState<byte[]> held;
    /** Timestamp of the earliest DropDatabase among them: read for every operation, so kept apart. */
    private transient ValueState<Long> heldDropDatabase;
    private transient Counter skipped;
    private transient boolean draining;
    private transient boolean drainAgain;
    private transient TimerService timers;

    @Override
    public void open(OpenContext openContext) {
        current = getRuntimeContext().getMapState(new MapStateDescriptor<>("live-incarnation", Types.STRING, Types.LONG));
        lastDroppedIncarnation = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("dropped-incarnation", Types.STRING, Types.LONG));
        lastDropTimestamp = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("drop-timestamp", Types.STRING, Types.LONG));
        queued = getRuntimeContext().getListState(new ListStateDescriptor<>("queued-operations", BYTES));
        held = getRuntimeContext().getListState(new ListStateDescriptor<>("held-database-commands", BYTES));
        heldDropDatabase = getRuntimeContext().getState(new ValueStateDescriptor<>("held-drop-database", Types.LONG));
        skipped = getRuntimeContext().getMetricGroup().counter("skippedSuperseded");
    }

    @Override
    public void processElement(OperationRecord record, Context ctx, Collector<OperationRecord> out) throws Exception {
        timers = ctx.timerService();
        // Rows are forwarded as they came: only their header is read.
        OperationHeader header = OperationHeader.parse(record.operation);
        if (isCommand(header)) {
            held.add(record.operation);
            timers.registerEventTimeTimer(header.timestamp());
            if (isDropDatabase(record.decode())) {
                Long earliest = heldDropDatabase.value();
                heldDropDatabase.update(earliest == null ? header.timestamp() : Math.min(earliest, header.timestamp()));
            }
            return;
        }
        route(record.operation, header, out, false);
        drain(out);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<OperationRecord> out) throws Exception {
        timers = ctx.timerService();
        long watermark = ctx.timerService().currentWatermark();
        List<TargetOperation> due = new ArrayList<>();
        List<byte[]> later = new ArrayList<>();
        Long earliestDrop = null;
        for (byte[] bytes : held.get()) {
            TargetOperation op = TargetOperation.parseFrom(bytes);
            if (op.getTimestamp() <= watermark) {
                due.add(op);
            } else {
                later.add(bytes);
                if (isDropDatabase(op) && (earliestDrop == null || op.getTimestamp() < earliestDrop)) {
                    earliestDrop = op.getTimestamp();
                }
            }
        }
        held.update(later);
        heldDropDatabase.update(earliestDrop);
        due.sort((a, b) -> Long.compareUnsigned(a.getTimestamp(), b.getTimestamp()));
        for (TargetOperation op : due) {
            route(op.toByteArray(), OperationHeader.of(op), out, false);
            drainAgain |= op.hasDatabaseCommand(); // what waited behind a database's drop may go now
        }
        dropSuperseded(watermark, out);
        drain(out);
    }

    /** Drops each live collection whose name a queued create, now under the watermark, took over. */
    private void dropSuperseded(long watermark, Collector<OperationRecord> out) throws Exception {
        for (byte[] bytes : queued.get()) {
            OperationHeader create = OperationHeader.parse(bytes);
            if (create.kind() != KindCase.CREATE_COLLECTION || Long.compareUnsigned(create.incarnation(), watermark) > 0) {
                continue;
            }
            String name = create.collection();
            Long live = current.get(name);
            if (live == null || live >= create.incarnation()) {
                continue;
            }
            LOG.info("Collection {}.{} created at {} replaces the one created at {}, whose drop has not arrived: "
                    + "dropping that one now", create.database(), name, create.incarnation(), live);
            TargetOperation drop = TargetOperation.newBuilder()
                    .setDatabase(create.database())
                    .setCollection(name)
                    .setIncarnation(live)
                    .setTimestamp(create.incarnation() - 1)
                    .setDropCollection(DropCollection.getDefaultInstance())
                    .build();
            route(drop.toByteArray(), OperationHeader.of(drop), out, false);
        }
    }

    /** Whether a drop of this database older than {@code ts} still waits for the watermark. */
    private boolean heldDropDatabaseBefore(long ts) throws Exception {
        Long earliest = heldDropDatabase.value();
        return earliest != null && earliest < ts;
    }

    private static boolean isDropDatabase(TargetOperation op) {
        return op.hasDatabaseCommand() && op.getDatabaseCommand().hasDropDatabase();
    }

    private static boolean isCommand(OperationHeader op) {
        return op.kind() == KindCase.COLLECTION_COMMAND || op.kind() == KindCase.DATABASE_COMMAND;
    }

    /**
     * Emits, skips or queues one operation. {@code fromQueue}: a command released by a create that
     * just went out waits for the next watermark once more, because the rows the collection
     * sequencer held for that create follow it now, and they come before the command.
     */
    private void route(byte[] bytes, OperationHeader op, Collector<OperationRecord> out, boolean fromQueue)
            throws Exception {
        if (op.kind() == KindCase.DATABASE_COMMAND) {
            TargetOperation command = TargetOperation.parseFrom(bytes);
            out.collect(OperationRecord.of(isDropDatabase(command) ? keepingLaterCollections(command) : command));
            return;
        }
        boolean command = op.kind() == KindCase.COLLECTION_COMMAND;
        if (!command && heldDropDatabaseBefore(op.timestamp())) {
            // A collection made after its database was dropped and re-created: the drop goes first.
            queued.add(bytes);
            return;
        }
        String name = op.collection();
        Long live = current.get(name);
        if (command) {
            long ts = op.timestamp();
            if (newerCreateQueued(name, live == null ? valueOr(lastDroppedIncarnation, name, 0L) : live, ts)) {
                // The collection live at the command's timestamp is a later one, still behind the
                // old one's late drop (2.3 publishes a DropCollection up to a second late).
                queued.add(bytes);
            } else if (live != null && ts >= live && fromQueue) {
                held.add(bytes);
                timers.registerEventTimeTimer(ts);
            } else if (live != null && ts >= live) {
                out.collect(OperationRecord.of(TargetOperation.parseFrom(bytes).toBuilder().setIncarnation(live).build()));
            } else if (live != null || ts < valueOr(lastDropTimestamp, name, 0L)) {
                skipped.inc(); // meant for a collection of this name that is gone
            } else {
                queued.add(bytes);
            }
            return;
        }
        long incarnation = op.incarnation();
        if (live == null) {
            if (incarnation <= valueOr(lastDroppedIncarnation, name, 0L)) {
                skipped.inc();
            } else if (op.kind() == KindCase.CREATE_COLLECTION) {
                current.put(name, incarnation);
                out.collect(new OperationRecord(op.target(), bytes));
                drainAgain = true;
            } else {
                queued.add(bytes);
            }
        } else if (incarnation == live) {
            out.collect(new OperationRecord(op.target(), bytes));
            if (op.kind() == KindCase.DROP_COLLECTION) {
                current.remove(name);
                lastDroppedIncarnation.put(name, incarnation);
                lastDropTimestamp.put(name, op.timestamp());
                drainAgain = true;
            }
        } else if (incarnation < live) {
            skipped.inc();
        } else {
            queued.add(bytes);
            if (op.kind() == KindCase.CREATE_COLLECTION) {
                timers.registerEventTimeTimer(incarnation); // see dropSuperseded
            }
        }
    }

    /**
     * The drop with the collections created after it: the catalog (etcd) can deliver a create in a
     * re-created database before the replicate channel delivers the database's drop (seen with
     * Kafka down for a while), and the create is then applied already; the drop must not take it.
     */
    private TargetOperation keepingLaterCollections(TargetOperation drop) throws Exception {
        List<String> later = new ArrayList<>();
        for (Map.Entry<String, Long> live : current.entries()) {
            if (live.getValue() > drop.getTimestamp()) {
                later.add(live.getKey());
            }
        }
        if (later.isEmpty()) {
            return drop;
        }
        later.sort(null);
        TargetOperation.Builder out = drop.toBuilder();
        out.getDatabaseCommandBuilder().addAllKeepCollections(later);
        return out.build();
    }

    /** Whether a create of {@code name} newer than {@code than}, made at or before {@code ts}, waits in the queue. */
    private boolean newerCreateQueued(String name, long than, long ts) throws Exception {
        for (byte[] bytes : queued.get()) {
            OperationHeader queuedOp = OperationHeader.parse(bytes);
            if (queuedOp.kind() == KindCase.CREATE_COLLECTION && queuedOp.collection().equals(name)
                    && queuedOp.incarnation() > than && queuedOp.incarnation() <= ts) {
                return true;
            }
        }
        return false;
    }

    /** Re-routes the queue after a live collection changed, until nothing more moves. */
    private void drain(Collector<OperationRecord> out) throws Exception {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (drainAgain) {
                drainAgain = false;
                List<byte[]> waiting = new ArrayList<>();
                queued.get().forEach(waiting::add);
                queued.clear();
                for (byte[] bytes : waiting) {
                    route(bytes, OperationHeader.parse(bytes), out, true);
                }
            }
        } finally {
            draining = false;
        }
    }

    private static long valueOr(MapState<String, Long> state, String name, long fallback) throws Exception {
        Long value = state.get(name);
        return value == null ? fallback : value;
    }
}
