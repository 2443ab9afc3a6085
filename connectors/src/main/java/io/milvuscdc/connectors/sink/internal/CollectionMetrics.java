package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.Tso;
import io.milvuscdc.connectors.event.proto.TargetOperation;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The sink's metrics per target collection, in a group with the variables {@code database} and
 * {@code collection} (so that reporters label them): rows upserted and deleted, DDL applied,
 * operations dead-lettered, and {@code replicationLagMs} — wall clock minus the source time of
 * what the target holds of the collection: its last applied operation, or, once everything up
 * to a time tick is applied, that tick (so an idle, caught-up collection reads about the tick
 * interval, not the time since its last write).
 */
public final class CollectionMetrics {

    /** The metrics of each collection's group (dashboards and tests refer to these names). */
    public static final java.util.List<String> NAMES =
            java.util.List.of("rowsUpserted", "rowsDeleted", "ddlApplied", "operationsDeadLettered", "replicationLagMs");

    /** One collection's metrics. */
    public static final class Collection {
        final Counter rowsUpserted;
        final Counter rowsDeleted;
        final Counter ddlApplied;
        final Counter deadLettered;
        volatile long lastAppliedTso;

        private Collection(MetricGroup group, CollectionMetrics all) {
            rowsUpserted = group.counter("rowsUpserted", new ThreadSafeSimpleCounter());
            rowsDeleted = group.counter("rowsDeleted", new ThreadSafeSimpleCounter());
            ddlApplied = group.counter("ddlApplied", new ThreadSafeSimpleCounter());
            deadLettered = group.counter("operationsDeadLettered", new ThreadSafeSimpleCounter());
            group.gauge("replicationLagMs", () -> all.lagMs(lastAppliedTso));
        }

        public long rowsUpserted() {
            return rowsUpserted.getCount();
        }

        public long rowsDeleted() {
            return rowsDeleted.getCount();
        }
    }

    private final MetricGroup parent;
    private final LongSupplier clock;
    private final Map<String, Collection> byName = new ConcurrentHashMap<>();
    /** TSO up to which everything this subtask received is applied (0: none yet). */
    private volatile long caughtUpTso;

    public CollectionMetrics(MetricGroup parent) {
        this(parent, System::currentTimeMillis);
    }

    CollectionMetrics(MetricGroup parent, LongSupplier clock) {
        this.parent = parent;
        this.clock = clock;
    }

    /**
     * The metrics of the operation's target collection, created on first use; a database's own
     * operations (create, drop, alter) count in a group with the variable {@code database} alone.
     */
    public Collection of(TargetOperation op) {
        return byName.computeIfAbsent(op.getDatabase() + "\u0000" + op.getCollection(), k -> {
            MetricGroup database = parent.addGroup("database", op.getDatabase());
            return new Collection(op.getCollection().isEmpty() ? database : database.addGroup("collection", op.getCollection()), this);
        });
    }

    /** Counts an operation the target took. */
    public void applied(TargetOperation op) {
        Collection c = of(op);
        switch (op.getKindCase()) {
            case UPSERT -> c.rowsUpserted.inc(op.getUpsert().getNumRows());
            case DELETE -> c.rowsDeleted.inc(op.getDelete().getPrimaryKeys().hasStrId()
                    ? op.getDelete().getPrimaryKeys().getStrId().getDataCount()
                    : op.getDelete().getPrimaryKeys().getIntId().getDataCount());
            default -> c.ddlApplied.inc();
        }
        c.lastAppliedTso = Math.max(c.lastAppliedTso, op.getTimestamp());
    }

    /** An operation the target skipped as superseded: the collection is past it all the same. */
    public void superseded(TargetOperation op) {
        Collection c = of(op);
        c.lastAppliedTso = Math.max(c.lastAppliedTso, op.getTimestamp());
    }

    public void deadLettered(TargetOperation op) {
        of(op).deadLettered.inc();
    }

    /** Everything up to {@code tso} (a time tick) that reached this subtask is on the target. */
    public void caughtUpTo(long tso) {
        if (tso > caughtUpTso) {
            caughtUpTso = tso;
        }
    }

    long lagMs(long lastAppliedTso) {
        long at = Math.max(lastAppliedTso, caughtUpTso);
        return at <= 0 ? -1 : Math.max(0, clock.getAsLong() - Tso.toMillis(at));
    }
}
