package io.milvuscdc.connectors.snapshot.source.enumerator;

import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;

import java.util.List;

/** Whether the key ranges were planned, and the splits not yet assigned to a reader. */
public final class SnapshotEnumState {

    private final boolean planned;
    private final List<SnapshotSplit> remaining;

    public SnapshotEnumState(boolean planned, List<SnapshotSplit> remaining) {
        this.planned = planned;
        this.remaining = remaining;
    }

    public boolean planned() {
        return planned;
    }

    public List<SnapshotSplit> remaining() {
        return remaining;
    }
}
