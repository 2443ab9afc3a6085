package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import java.io.Serializable;

/** Applies operations to the target Milvus; the committer's one dependency on it. */
public interface TargetClient extends AutoCloseable {

    /**
     * Applies one operation idempotently; false when it was skipped because a later collection
     * has replaced its collection on the target. Throws {@link MilvusTargetException} when it did
     * not take.
     */
    boolean apply(TargetOperation op);

    @Override
    void close() throws InterruptedException;

    /** Makes the client of a target configuration. */
    @FunctionalInterface
    interface Factory extends Serializable {
        TargetClient create(MilvusTargetConfig config);
    }
}
