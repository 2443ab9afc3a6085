package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.RawColumns;
import io.milvuscdc.connectors.event.proto.TargetOperation;

import io.milvus.grpc.FieldData;
import io.milvus.grpc.IDs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Applies operations on worker threads, several requests in flight, so that the task thread never
 * waits for the target while it has other work. An operation starts once no earlier unfinished
 * operation conflicts with it, so the target sees every key, collection and database in the order
 * given: rows of one collection conflict when they share a key (writes of distinct keys commute);
 * anything else on a collection (a create, drop, index, load, …) conflicts with every operation on
 * it; a database operation with everything in its database.
 *
 * <p>Completions are handed to {@code completions} (the operator's mailbox: its state and output
 * belong to the task thread). A failure (the target unavailable past the retry timeout, an
 * operation refused with {@code onRefused: fail}) starts nothing more and is rethrown by
 * {@link #checkFailure()} in the task thread.
 */
public final class ApplyPipeline implements AutoCloseable {

    /** Applies one operation, blocking, with its retries (the committer). */
    @FunctionalInterface
    public interface Applier {
        void apply(TargetOperation op) throws Exception;
    }

    /** What runs in the task thread once a submission is applied. */
    @FunctionalInterface
    public interface Completion {
        void run() throws Exception;
    }

    private final Applier applier;
    private final Consumer<Completion> completions;
    private final int maxInFlight;
    private final long maxQueuedBytes;
    private final ExecutorService workers;

    /** Operations not finished, in the order given: the ones running and the ones waiting. */
    private final List<Task> queue = new ArrayList<>();
    private int running;
    private long queuedBytes;
    private volatile Throwable failure;

    public ApplyPipeline(Applier applier, Consumer<Completion> completions, int maxInFlight, long maxQueuedBytes) {
        this.applier = applier;
        this.completions = completions;
        this.maxInFlight = maxInFlight;
        this.maxQueuedBytes = maxQueuedBytes;
        this.workers = Executors.newFixedThreadPool(maxInFlight, r -> {
            Thread t = new Thread(r, "milvus-cdc-apply");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues {@code ops} in order; {@code onApplied} runs through {@code completions} once all of
     * them are applied (never when one fails).
     */
    public void submit(List<TargetOperation> ops, Completion onApplied) {
        if (ops.isEmpty()) {
            completions.accept(onApplied);
            return;
        }
        Group group = new Group(ops.size(), onApplied);
        synchronized (this) {
            for (TargetOperation op : ops) {
                Task task = new Task(op, group);
                queue.add(task);
                queuedBytes += task.bytes;
            }
            startEligible();
        }
    }

    /** Whether the queue has room for more (in operations and bytes): the caller waits otherwise. */
    public synchronized boolean hasCapacity() {
        return queue.size() < 4 * maxInFlight && queuedBytes < maxQueuedBytes;
    }

    /** Whether every operation submitted has finished and its completion is posted. */
    public synchronized boolean isIdle() {
        return queue.isEmpty();
    }

    /** Rethrows the first failure of an operation, in the caller's thread. */
    public void checkFailure() throws Exception {
        Throwable t = failure;
        if (t instanceof Exception) {
            throw (Exception) t;
        }
        if (t != null) {
            throw new RuntimeException(t);
        }
    }

    private void startEligible() {
        if (failure != null) {
            return;
        }
        for (int i = 0; i < queue.size() && running < maxInFlight; i++) {
            Task task = queue.get(i);
            if (task.started || conflictsWithEarlier(i)) {
                continue;
            }
            task.started = true;
            running++;
            workers.execute(() -> run(task));
        }
    }

    private boolean conflictsWithEarlier(int index) {
        Task task = queue.get(index);
        for (int i = 0; i < index; i++) {
            if (conflict(queue.get(i), task)) {
                return true;
            }
        }
        return false;
    }

    private void run(Task task) {
        Throwable error = null;
        try {
            applier.apply(task.op);
        } catch (Throwable t) {
            error = t;
        }
        synchronized (this) {
            running--;
            Completion done = () -> { };
            if (error != null) {
                if (failure == null) {
                    failure = error;
                }
            } else if (--task.group.left == 0) {
                done = task.group.onApplied;
            }
            // Always a mail, posted before the task leaves the queue: a task thread waiting for
            // capacity or idleness wakes, and once the queue is empty every completion is posted.
            try {
                completions.accept(done);
            } catch (RuntimeException closed) {
                // The operator is closing: what was applied and not recorded is applied again after a restore.
            }
            if (error == null) {
                queue.remove(task);
                queuedBytes -= task.bytes;
                startEligible();
            }
        }
    }

    static boolean conflict(Task earlier, Task later) {
        if (!earlier.op.getDatabase().equals(later.op.getDatabase())) {
            return false;
        }
        if (earlier.op.hasDatabaseCommand() || later.op.hasDatabaseCommand()) {
            return true;
        }
        if (!earlier.op.getCollection().equals(later.op.getCollection())) {
            return false;
        }
        if (earlier.keys == null || later.keys == null) {
            return true;
        }
        Set<Object> small = earlier.keys.size() <= later.keys.size() ? earlier.keys : later.keys;
        Set<Object> large = small == earlier.keys ? later.keys : earlier.keys;
        for (Object key : small) {
            if (large.contains(key)) {
                return true;
            }
        }
        return false;
    }

    /** The primary keys a row operation writes; null for anything else (or rows without their key column). */
    static Set<Object> keysOf(TargetOperation op) {
        if (op.hasUpsert()) {
            String pk = op.getUpsert().getPrimaryField();
            FieldData column = pk.isEmpty() ? null : RawColumns.find(op.getUpsert().getFieldsDataList(), pk);
            return column == null ? null : new HashSet<>(Columns.keyList(column));
        }
        if (op.hasDelete()) {
            IDs ids = op.getDelete().getPrimaryKeys();
            return ids.hasStrId() ? new HashSet<>(ids.getStrId().getDataList()) : new HashSet<>(ids.getIntId().getDataList());
        }
        return null;
    }

    @Override
    public void close() throws InterruptedException {
        workers.shutdownNow();
        workers.awaitTermination(10, TimeUnit.SECONDS);
    }

    private static final class Group {
        int left;
        final Completion onApplied;

        Group(int left, Completion onApplied) {
            this.left = left;
            this.onApplied = onApplied;
        }
    }

    static final class Task {
        final TargetOperation op;
        final Set<Object> keys;
        final long bytes;
        final Group group;
        boolean started;

        Task(TargetOperation op, Group group) {
            this.op = op;
            this.keys = keysOf(op);
            this.bytes = op.getSerializedSize();
            this.group = group;
        }
    }
}
