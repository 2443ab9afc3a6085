package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.TargetOperation;

import io.milvus.grpc.IDs;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.StringArray;

import java.util.List;

/**
 * Splits an upsert or a delete into two halves by rows, for a target that refused the request as
 * larger than its message limit: the halves are sent instead (and split again if need be), never
 * the same request again.
 */
final class OperationSplitter {

    private OperationSplitter() {}

    /** Rows (or keys) in the operation; 0 for any other kind. */
    static int rows(TargetOperation op) {
        if (op.hasUpsert()) {
            return op.getUpsert().getNumRows();
        }
        if (op.hasDelete()) {
            IDs keys = op.getDelete().getPrimaryKeys();
            return keys.hasStrId() ? keys.getStrId().getDataCount() : keys.getIntId().getDataCount();
        }
        return 0;
    }

    /** The first and the second half of an operation of at least two rows, in order. */
    static List<TargetOperation> halves(TargetOperation op) {
        int rows = rows(op);
        if (rows < 2) {
            throw new IllegalArgumentException("one row cannot be split");
        }
        int half = rows / 2;
        return List.of(slice(op, 0, half), slice(op, half, rows));
    }

    private static TargetOperation slice(TargetOperation op, int from, int to) {
        if (op.hasUpsert()) {
            boolean[] keep = new boolean[op.getUpsert().getNumRows()];
            java.util.Arrays.fill(keep, from, to, true);
            return op.toBuilder().setUpsert(OperationBatcher.select(op.getUpsert(), keep, to - from)).build();
        }
        IDs keys = op.getDelete().getPrimaryKeys();
        IDs.Builder part = IDs.newBuilder();
        if (keys.hasStrId()) {
            part.setStrId(StringArray.newBuilder().addAllData(keys.getStrId().getDataList().subList(from, to)));
        } else {
            part.setIntId(LongArray.newBuilder().addAllData(keys.getIntId().getDataList().subList(from, to)));
        }
        Delete.Builder delete = op.getDelete().toBuilder().setPrimaryKeys(part);
        return op.toBuilder().setDelete(delete).build();
    }
}
