package io.milvuscdc.connectors.snapshot.source.reader;

import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;

/** A split being read: how far its rows have been emitted (what a checkpoint keeps). */
final class SnapshotSplitState {

    private SnapshotSplit split;

    SnapshotSplitState(SnapshotSplit split) {
        this.split = split;
    }

    SnapshotSplit split() {
        return split;
    }

    void emitted(String lastKey, long rows) {
        if (lastKey != null) {
            split = split.advancedTo(lastKey, rows);
        }
    }
}
