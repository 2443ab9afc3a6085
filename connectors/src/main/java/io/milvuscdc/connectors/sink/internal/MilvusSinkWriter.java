package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.CommittableBatch;

import org.apache.flink.api.connector.sink2.CommittingSinkWriter;

import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * Batches the operations of each checkpoint and hands them to the committer, which applies
 * them only once the checkpoint is complete. Nothing reaches the target from here.
 */
public final class MilvusSinkWriter implements CommittingSinkWriter<OperationRecord, MilvusCommittable> {

    private final OperationBatcher batcher;
    private final int subtask;
    private long nextCheckpointId;

    public MilvusSinkWriter(int maxRowsPerBatch, long maxBytesPerBatch, int subtask, long restoredCheckpointId) {
        this.batcher = new OperationBatcher(maxRowsPerBatch, maxBytesPerBatch);
        this.subtask = subtask;
        this.nextCheckpointId = restoredCheckpointId + 1;
    }

    @Override
    public void write(OperationRecord element, Context context) {
        batcher.add(element.decode());
    }

    @Override
    public void flush(boolean endOfInput) {}

    @Override
    public Collection<MilvusCommittable> prepareCommit() {
        long checkpointId = nextCheckpointId++;
        if (batcher.isEmpty()) {
            return Collections.emptyList();
        }
        List<io.milvuscdc.connectors.event.proto.TargetOperation> ops = batcher.drain();
        return Collections.singletonList(new MilvusCommittable(CommittableBatch.newBuilder()
                .setCheckpointId(checkpointId)
                .setSubtask(subtask)
                .addAllOperations(ops)
                .build()));
    }

    @Override
    public void close() {}
}
