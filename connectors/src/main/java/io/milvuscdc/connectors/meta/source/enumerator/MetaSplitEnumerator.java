package io.milvuscdc.connectors.meta.source.enumerator;

import io.milvuscdc.connectors.meta.source.split.MetaSplit;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

import javax.annotation.Nullable;

import java.util.List;

/** Hands the single meta split to the first reader that asks; takes it back on failure. */
public final class MetaSplitEnumerator implements SplitEnumerator<MetaSplit, MetaEnumState> {

    private final SplitEnumeratorContext<MetaSplit> context;
    @Nullable private MetaSplit unassigned;

    public MetaSplitEnumerator(SplitEnumeratorContext<MetaSplit> context, @Nullable MetaSplit unassigned) {
        this.context = context;
        this.unassigned = unassigned;
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {}

    @Override
    public void addSplitsBack(List<MetaSplit> splits, int subtaskId) {
        if (!splits.isEmpty()) {
            unassigned = splits.get(0);
            assignIfPossible();
        }
    }

    @Override
    public void addReader(int subtaskId) {
        assignIfPossible();
    }

    private void assignIfPossible() {
        if (unassigned == null || context.registeredReaders().isEmpty()) {
            return;
        }
        int reader = context.registeredReaders().keySet().stream().min(Integer::compare).orElseThrow();
        context.assignSplit(unassigned, reader);
        unassigned = null;
    }

    @Override
    public MetaEnumState snapshotState(long checkpointId) {
        return new MetaEnumState(unassigned);
    }

    @Override
    public void close() {}
}
