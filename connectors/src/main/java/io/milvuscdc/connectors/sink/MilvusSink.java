package io.milvuscdc.connectors.sink;

import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.sink.internal.MilvusCommittable;
import io.milvuscdc.connectors.sink.internal.MilvusCommittableSerializer;
import io.milvuscdc.connectors.sink.internal.MilvusCommitter;
import io.milvuscdc.connectors.sink.internal.MilvusSinkWriter;
import io.milvuscdc.connectors.sink.internal.OperationBatcher;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.time.Duration;

/**
 * Writes target operations to a Milvus through its public API, exactly once: the writer
 * batches each checkpoint's operations, the committer applies them after the checkpoint
 * completes, and every operation is idempotent when applied again in order.
 */
public final class MilvusSink implements Sink<OperationRecord>, SupportsCommitter<MilvusCommittable> {

    private static final long serialVersionUID = 1L;

    private final MilvusTargetConfig target;
    private final int maxRowsPerBatch;
    private final long maxBytesPerBatch;

    private MilvusSink(MilvusTargetConfig target, int maxRowsPerBatch, long maxBytesPerBatch) {
        this.target = target;
        this.maxRowsPerBatch = maxRowsPerBatch;
        this.maxBytesPerBatch = maxBytesPerBatch;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public CommittingSinkWriter<OperationRecord, MilvusCommittable> createWriter(WriterInitContext context) {
        return new MilvusSinkWriter(maxRowsPerBatch, maxBytesPerBatch, context.getTaskInfo().getIndexOfThisSubtask(),
                context.getRestoredCheckpointId().orElse(0L));
    }

    /** Flink 1.x still declares this one abstract; it is never called with 2.x-ready callers. */
    @Override
    @SuppressWarnings("deprecation")
    public CommittingSinkWriter<OperationRecord, MilvusCommittable> createWriter(InitContext context) {
        return new MilvusSinkWriter(maxRowsPerBatch, maxBytesPerBatch, context.getSubtaskId(), context.getRestoredCheckpointId().orElse(0L));
    }

    @Override
    public Committer<MilvusCommittable> createCommitter(CommitterInitContext context) {
        return new MilvusCommitter(target, context.metricGroup());
    }

    @Override
    public SimpleVersionedSerializer<MilvusCommittable> getCommittableSerializer() {
        return new MilvusCommittableSerializer();
    }

    /** Builds a {@link MilvusSink}. */
    public static final class Builder {
        private String uri;
        private String token;
        private int maxRowsPerBatch = 10_000;
        private Duration retryTimeout = Duration.ofMinutes(10);
        private Duration requestTimeout = MilvusTargetConfig.DEFAULT_REQUEST_TIMEOUT;
        private long maxBytesPerBatch = OperationBatcher.DEFAULT_MAX_BYTES;

        /** {@code http://host:19530} or {@code https://…} for TLS. */
        public Builder setUri(String uri) {
            this.uri = uri;
            return this;
        }

        /** {@code user:password} or an API key. */
        public Builder setToken(String token) {
            this.token = token;
            return this;
        }

        public Builder setMaxRowsPerBatch(int maxRowsPerBatch) {
            this.maxRowsPerBatch = maxRowsPerBatch;
            return this;
        }

        public Builder setRetryTimeout(Duration retryTimeout) {
            this.retryTimeout = retryTimeout;
            return this;
        }

        /** Serialized bytes per Upsert/Delete call; below the target's gRPC limit. */
        public Builder setMaxBytesPerBatch(long maxBytesPerBatch) {
            this.maxBytesPerBatch = maxBytesPerBatch;
            return this;
        }

        /** Deadline of one call to the target. */
        public Builder setRequestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public MilvusSink build() {
            return new MilvusSink(new MilvusTargetConfig(uri, token, retryTimeout, requestTimeout), maxRowsPerBatch,
                    maxBytesPerBatch);
        }
    }
}
