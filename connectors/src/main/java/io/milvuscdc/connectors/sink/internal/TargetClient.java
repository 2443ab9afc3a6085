package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import java.io.Serializable;

/** Applies operations to the target Milvus; the committer's one dependency on it. */
public interface TargetClient extends AutoCloseable {

    /** Applies one operation idempotently; throws {@link MilvusTargetException} when it did not take. */
    void apply(TargetOperation op);

    @Override
    void close() throws InterruptedException;

    /** Makes the client of a target configuration. */
    @FunctionalInterface
    interface Factory extends Serializable {
        TargetClient create(MilvusTargetConfig config);
    }
}
