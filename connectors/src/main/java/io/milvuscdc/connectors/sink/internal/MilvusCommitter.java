package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Collection;

/**
 * Applies each completed checkpoint's operations to the target, in order.
 *
 * <p>An unavailable target is retried with exponential backoff (the pipeline backs up
 * meanwhile) until the retry timeout, then the job fails over and the committable is
 * applied again from the checkpoint: operations are idempotent. An operation the target
 * refuses for good (bad data) is dead-lettered: logged in full and counted, not retried.
 */
public final class MilvusCommitter implements Committer<MilvusCommittable> {

    private static final Logger LOG = LoggerFactory.getLogger(MilvusCommitter.class);

    private final MilvusTargetConfig config;
    private final TargetMilvusClient client;
    private final Counter rowsUpserted;
    private final Counter rowsDeleted;
    private final Counter ddlApplied;
    private final Counter deadLettered;
    private volatile long lastAppliedTimestamp;

    public MilvusCommitter(MilvusTargetConfig config, MetricGroup metrics) {
        this.config = config;
        this.client = new TargetMilvusClient(config);
        this.rowsUpserted = metrics.counter("rowsUpserted");
        this.rowsDeleted = metrics.counter("rowsDeleted");
        this.ddlApplied = metrics.counter("ddlApplied");
        this.deadLettered = metrics.counter("operationsDeadLettered");
        metrics.gauge("lastAppliedTimestamp", () -> lastAppliedTimestamp);
    }

    @Override
    public void commit(Collection<CommitRequest<MilvusCommittable>> requests) throws IOException, InterruptedException {
        for (CommitRequest<MilvusCommittable> request : requests) {
            for (TargetOperation op : request.getCommittable().batch().getOperationsList()) {
                applyWithRetry(op);
            }
        }
    }

    private void applyWithRetry(TargetOperation op) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + config.retryTimeout().toNanos();
        long backoffMs = 100;
        while (true) {
            try {
                client.apply(op);
                count(op);
                lastAppliedTimestamp = Math.max(lastAppliedTimestamp, op.getTimestamp());
                return;
            } catch (MilvusTargetException e) {
                if (!e.retriable()) {
                    deadLettered.inc();
                    LOG.error("Dead-lettered an operation the target refuses: {} (operation: {})", e.getMessage(), summary(op));
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("Target Milvus unavailable for " + config.retryTimeout() + ": " + e.getMessage(), e);
                }
                LOG.warn("Target Milvus not available, retrying in {} ms: {}", backoffMs, e.getMessage());
                Thread.sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 5000);
            }
        }
    }

    private void count(TargetOperation op) {
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
        return op.getKindCase() + " " + op.getDatabase() + "." + op.getCollection() + " at ts " + op.getTimestamp();
    }

    @Override
    public void close() throws Exception {
        client.close();
    }
}
