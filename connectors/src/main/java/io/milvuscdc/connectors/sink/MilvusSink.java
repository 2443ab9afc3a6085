package io.milvuscdc.connectors.sink;

import io.milvuscdc.connectors.tls.TlsSettings;
import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.sink.internal.MilvusSinkOperator;
import io.milvuscdc.connectors.sink.internal.OperationBatcher;
import io.milvuscdc.connectors.sink.internal.TargetClient;
import io.milvuscdc.connectors.sink.internal.TargetMilvusClient;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

import java.io.Serializable;
import java.time.Duration;

/**
 * Writes target operations to a Milvus through its public API, exactly once by default:
 * operations wait in keyed state (RocksDB) until their checkpoint completes, then are applied in
 * order; every operation is idempotent when applied again after a failure. At least once, they
 * are applied as they come (see {@link Delivery}). Added to a stream keyed so that the operations
 * that must keep their order (one target database's) share a key.
 */
public final class MilvusSink implements Serializable {

    private static final long serialVersionUID = 1L;

    private final MilvusTargetConfig target;
    private final int maxRowsPerBatch;
    private final long maxBytesPerBatch;
    private final OnRefused onRefused;
    private final Delivery delivery;
    private final int maxInFlight;

    /** Requests in flight to the target per sink subtask, by default. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 4;
    /** Rows per Upsert/Delete call, by default. */
    public static final int DEFAULT_MAX_ROWS_PER_BATCH = 10_000;
    /** How long an unavailable target is retried before the job fails over, by default. */
    public static final Duration DEFAULT_RETRY_TIMEOUT = Duration.ofMinutes(10);

    /** When operations reach the target. */
    public enum Delivery {
        /**
         * Once their checkpoint completes: the target never shows an operation that a failure
         * rolls back; the delay is at least the checkpoint interval.
         */
        EXACTLY_ONCE,
        /**
         * As they come (merged for up to 20 ms): the delay is the target's own. After a failure
         * the operations since the last checkpoint are applied again in order, so for a while the
         * target may show an older state of a key than it did, until the replay reaches the end.
         */
        AT_LEAST_ONCE
    }

    /** What to do with an operation the target refuses for good (its schema differs, a name is taken, …). */
    public enum OnRefused {
        /** Stop the job naming collection, operation and reason; the operation stays in the checkpoint. */
        FAIL,
        /** Hand the whole operation, rows included, to the dead-letter output and go on. */
        DEAD_LETTER
    }

    private MilvusSink(MilvusTargetConfig target, int maxRowsPerBatch, long maxBytesPerBatch, OnRefused onRefused,
                       Delivery delivery, int maxInFlight) {
        this.maxInFlight = maxInFlight;
        this.target = target;
        this.onRefused = onRefused;
        this.delivery = delivery;
        this.maxRowsPerBatch = maxRowsPerBatch;
        this.maxBytesPerBatch = maxBytesPerBatch;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The target this sink writes to. */
    public MilvusTargetConfig target() {
        return target;
    }

    /** The sink's operator on {@code operations}; give it a stable uid. Its output: refused operations. */
    public <K> SingleOutputStreamOperator<DeadLetter> addTo(KeyedStream<OperationRecord, K> operations) {
        return operations.transform("Target Milvus", TypeInformation.of(DeadLetter.class),
                new MilvusSinkOperator(target, maxRowsPerBatch, maxBytesPerBatch,
                        (TargetClient.Factory) TargetMilvusClient::new, onRefused, delivery, maxInFlight));
    }

    /** Builds a {@link MilvusSink}. */
    public static final class Builder {
        private String uri;
        private String token;
        private int maxRowsPerBatch = DEFAULT_MAX_ROWS_PER_BATCH;
        private Duration retryTimeout = DEFAULT_RETRY_TIMEOUT;
        private Duration requestTimeout = MilvusTargetConfig.DEFAULT_REQUEST_TIMEOUT;
        private TlsSettings tls;
        private long maxBytesPerBatch = OperationBatcher.DEFAULT_MAX_BYTES;
        private OnRefused onRefused = OnRefused.FAIL;
        private Delivery delivery = Delivery.EXACTLY_ONCE;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;

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

        /** Serialized bytes per Upsert/Delete call, below the target's gRPC limit; also what one apply step holds. */
        public Builder setMaxBytesPerBatch(long maxBytesPerBatch) {
            this.maxBytesPerBatch = maxBytesPerBatch;
            return this;
        }

        /** Deadline of one call to the target. */
        public Builder setRequestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        /** Certificates and server name for an {@code https://} target (null: the JVM's trust store). */
        public Builder setTls(TlsSettings tls) {
            this.tls = tls;
            return this;
        }

        /** What to do with an operation the target refuses for good; {@link OnRefused#FAIL} by default. */
        public Builder setOnRefused(OnRefused onRefused) {
            this.onRefused = onRefused;
            return this;
        }

        /** When operations reach the target; {@link Delivery#EXACTLY_ONCE} by default. */
        public Builder setDelivery(Delivery delivery) {
            this.delivery = delivery;
            return this;
        }

        /**
         * Requests in flight to the target per sink subtask: operations that do not conflict (other
         * collections, other keys) are applied side by side.
         */
        public Builder setMaxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
            return this;
        }

        public MilvusSink build() {
            return new MilvusSink(new MilvusTargetConfig(uri, token, retryTimeout, requestTimeout).withTls(tls), maxRowsPerBatch,
                    maxBytesPerBatch, onRefused, delivery, maxInFlight);
        }
    }
}
