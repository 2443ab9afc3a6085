package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.CommittableBatch;

/** The operations one writer subtask collected for one checkpoint. */
public final class MilvusCommittable {

    private final CommittableBatch batch;

    public MilvusCommittable(CommittableBatch batch) {
        this.batch = batch;
    }

    public CommittableBatch batch() {
        return batch;
    }

    @Override
    public String toString() {
        return "MilvusCommittable{checkpoint=" + batch.getCheckpointId() + ", subtask=" + batch.getSubtask()
                + ", operations=" + batch.getOperationsCount() + '}';
    }
}
