package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Applies operations to the target (called by the {@link ApplyPipeline}'s workers, several at a
 * time, one operation each).
 *
 * <p>An unavailable target (down, rate limited, over quota, a call past its deadline) is retried
 * with exponential backoff, the pipeline backing up meanwhile, until the retry timeout; then the
 * job fails over and the committable is applied again from the checkpoint: operations are
 * idempotent. Nothing is ever counted as done that the target did not take: a target that cannot
 * take this job's writes at all stops the job (no restart loop) with the reason and the fix; an
 * operation it refuses for good does too ({@link MilvusSink.OnRefused#FAIL}, naming collection,
 * operation and reason; the operation stays in the last checkpoint, to be applied again when the
 * job is resumed from it), or is handed whole to the dead-letter output
 * ({@link MilvusSink.OnRefused#DEAD_LETTER}) and replication goes on. A refusal counts as for good
 * only once the target has repeated it for {@link #REFUSAL_CONFIRMATION}: a Milvus whose etcd or
 * components are restarting answers for a while with errors that read as final.
 */
public final class MilvusCommitter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MilvusCommitter.class);
    /** How long the target must keep refusing an operation before it is treated as refused for good. */
    public static final java.time.Duration REFUSAL_CONFIRMATION = java.time.Duration.ofSeconds(10);

    private final MilvusTargetConfig config;
    private final TargetClient client;
    private final Counter rowsUpserted;
    private final Counter rowsDeleted;
    private final Counter ddlApplied;
    private final Counter skippedSuperseded;
    private final Counter deadLettered;
    private final MilvusSink.OnRefused onRefused;
    private final Consumer<DeadLetter> deadLetters;
    private final long refusalConfirmationNanos;
    private volatile long lastAppliedTimestamp;
    private final CollectionMetrics collections;

    /**
     * With the target's client from {@code clients} (tests replace it); refused operations go to
     * {@code deadLetters} when {@code onRefused} says so.
     */
    public MilvusCommitter(MilvusTargetConfig config, MetricGroup metrics, TargetClient.Factory clients,
                           MilvusSink.OnRefused onRefused, Consumer<DeadLetter> deadLetters) {
        this(config, metrics, clients, onRefused, deadLetters, REFUSAL_CONFIRMATION);
    }

    MilvusCommitter(MilvusTargetConfig config, MetricGroup metrics, TargetClient.Factory clients,
                    MilvusSink.OnRefused onRefused, Consumer<DeadLetter> deadLetters,
                    java.time.Duration refusalConfirmation) {
        this.refusalConfirmationNanos = refusalConfirmation.toNanos();
        this.config = config;
        this.onRefused = onRefused;
        this.deadLetters = deadLetters;
        this.client = clients.create(config);
        this.rowsUpserted = metrics.counter("rowsUpserted", new ThreadSafeSimpleCounter());
        this.rowsDeleted = metrics.counter("rowsDeleted", new ThreadSafeSimpleCounter());
        this.ddlApplied = metrics.counter("ddlApplied", new ThreadSafeSimpleCounter());
        this.skippedSuperseded = metrics.counter("operationsSkippedSuperseded", new ThreadSafeSimpleCounter());
        this.deadLettered = metrics.counter("operationsDeadLettered", new ThreadSafeSimpleCounter());
        metrics.gauge("lastAppliedTimestamp", () -> lastAppliedTimestamp);
        this.collections = new CollectionMetrics(metrics);
    }

    /** The per-collection metrics (the operator reports how far it is caught up). */
    public CollectionMetrics collections() {
        return collections;
    }

    /** Applies the operations in order; returns once the target has taken (or superseded) each. */
    public void apply(List<TargetOperation> operations) throws IOException, InterruptedException {
        for (TargetOperation op : operations) {
            apply(op);
        }
    }

    /** Applies one operation; returns once the target has taken (or superseded) it. Thread-safe. */
    public void apply(TargetOperation op) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + config.retryTimeout().toNanos();
        long backoffMs = 100;
        long refusedSince = -1;
        while (true) {
            try {
                if (client.apply(op)) {
                    count(op);
                } else {
                    skippedSuperseded.inc();
                    collections.superseded(op);
                }
                synchronized (this) {
                    lastAppliedTimestamp = Math.max(lastAppliedTimestamp, op.getTimestamp());
                }
                return;
            } catch (MilvusTargetException e) {
                if (e.kind() == MilvusTargetException.Kind.TOO_LARGE && OperationSplitter.rows(op) > 1) {
                    LOG.warn("The target Milvus refused {} as too large; sending it in two halves", summary(op));
                    for (TargetOperation half : OperationSplitter.halves(op)) {
                        apply(half);
                    }
                    return;
                }
                boolean refused = !e.retriable();
                long now = System.nanoTime();
                refusedSince = !refused ? -1 : refusedSince < 0 ? now : refusedSince;
                if (refused && now - refusedSince >= refusalConfirmationNanos) {
                    if (e.kind() != MilvusTargetException.Kind.TARGET_CANNOT_WRITE
                            && onRefused == MilvusSink.OnRefused.DEAD_LETTER) {
                        LOG.warn("The target Milvus refused {}; dead-lettered: {}", summary(op), e.getMessage());
                        deadLetters.accept(DeadLetter.operation(op, e.getMessage()));
                        deadLettered.inc();
                        collections.deadLettered(op);
                        return;
                    }
                    String what = e.kind() == MilvusTargetException.Kind.TARGET_CANNOT_WRITE
                            ? "The target Milvus cannot take this job's writes"
                            : "The target Milvus refused " + summary(op);
                    LOG.error("{}; stopping the job: {}", what, e.getMessage());
                    // Restarting would meet the same answer: the job stops, its checkpoint keeps the operation.
                    throw new SuppressRestartsException(new IOException(what + ": " + e.getMessage(), e));
                }
                if (!refused && now > deadline) {
                    throw new IOException("Target Milvus unavailable for " + config.retryTimeout() + ": " + e.getMessage(), e);
                }
                if (refused) {
                    LOG.warn("The target Milvus refused {}; asking again in {} ms before taking it as final: {}",
                            summary(op), backoffMs, e.getMessage());
                } else {
                    LOG.warn("Target Milvus not available, retrying in {} ms: {}", backoffMs, e.getMessage());
                }
                Thread.sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 5000);
            }
        }
    }

    private void count(TargetOperation op) {
        collections.applied(op);
        switch (op.getKindCase()) {
            case UPSERT:
                rowsUpserted.inc(op.getUpsert().getNumRows());
                break;
            case DELETE:
                rowsDeleted.inc(op.getDelete().getPrimaryKeys().hasStrId()
                        ? op.getDelete().getPrimaryKeys().getStrId().getDataCount()
                        : op.getDelete().getPrimaryKeys().getIntId().getDataCount());
                break;
            default:
                ddlApplied.inc();
        }
    }

    private static String summary(TargetOperation op) {
        return op.getKindCase().name().toLowerCase() + " on " + op.getDatabase() + "." + op.getCollection()
                + " (source timestamp " + op.getTimestamp() + ")";
    }

    @Override
    public void close() throws Exception {
        client.close();
    }
}
