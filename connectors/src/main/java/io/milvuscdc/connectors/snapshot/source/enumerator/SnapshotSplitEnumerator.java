package io.milvuscdc.connectors.snapshot.source.enumerator;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.query.KeyRangePlanner;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.snapshot.source.SnapshotCollection;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Cuts every collection to copy into key ranges (reading its keys, off the coordinator thread),
 * then hands a split to each reader that asks, one at a time, so that fast readers take more.
 */
public final class SnapshotSplitEnumerator implements SplitEnumerator<SnapshotSplit, SnapshotEnumState> {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSplitEnumerator.class);

    private final SplitEnumeratorContext<SnapshotSplit> context;
    private final MilvusTargetConfig source;
    private final List<SnapshotCollection> collections;
    private final int rangeRows;
    private final Deque<SnapshotSplit> remaining;
    private final Set<Integer> waiting = new LinkedHashSet<>();
    private boolean planned;

    public SnapshotSplitEnumerator(SplitEnumeratorContext<SnapshotSplit> context, MilvusTargetConfig source,
                                   List<SnapshotCollection> collections, int rangeRows, SnapshotEnumState restored) {
        this.context = context;
        this.source = source;
        this.collections = collections;
        this.rangeRows = rangeRows;
        this.planned = restored != null && restored.planned();
        this.remaining = new ArrayDeque<>(restored == null ? List.of() : restored.remaining());
    }

    @Override
    public void start() {
        if (!planned) {
            context.callAsync(this::plan, (splits, error) -> {
                if (error != null) {
                    throw new IllegalStateException("Cannot plan the initial snapshot: " + error.getMessage(), error);
                }
                remaining.addAll(splits);
                planned = true;
                assignWaiting();
            });
        }
    }

    /** Every collection's splits, numbered within the collection. */
    List<SnapshotSplit> plan() throws Exception {
        List<SnapshotSplit> out = new ArrayList<>();
        try (MilvusQueryClient client = new MilvusQueryClient(source)) {
            for (SnapshotCollection c : collections) {
                List<KeyRange> ranges = new ArrayList<>();
                for (KeyRange whole : c.partitions) {
                    try {
                        ranges.addAll(KeyRangePlanner.plan(client, whole, rangeRows));
                    } catch (RuntimeException e) {
                        // Dropped since submission, say: one split, which reads nothing and marks the copy done.
                        LOG.warn("Cannot plan the snapshot of {} ({}): copied as one range", whole.id(), e.getMessage());
                        ranges.add(whole);
                    }
                }
                for (int i = 0; i < ranges.size(); i++) {
                    out.add(new SnapshotSplit(c.collectionId, ranges.get(i), i, ranges.size(), null, 0));
                }
                LOG.info("Initial snapshot of {}: {} key ranges", c, ranges.size());
            }
        }
        return out;
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        waiting.add(subtaskId);
        assignWaiting();
    }

    private void assignWaiting() {
        if (!planned) {
            return;
        }
        for (Integer subtask : new ArrayList<>(waiting)) {
            if (!context.registeredReaders().containsKey(subtask)) {
                waiting.remove(subtask);
                continue;
            }
            SnapshotSplit next = remaining.pollFirst();
            if (next != null) {
                context.assignSplit(next, subtask);
            } else {
                context.signalNoMoreSplits(subtask);
            }
            waiting.remove(subtask);
        }
    }

    @Override
    public void addSplitsBack(List<SnapshotSplit> splits, int subtaskId) {
        for (int i = splits.size() - 1; i >= 0; i--) {
            remaining.addFirst(splits.get(i));
        }
    }

    @Override
    public void addReader(int subtaskId) {
        // Readers ask for splits themselves.
    }

    @Override
    public SnapshotEnumState snapshotState(long checkpointId) {
        return new SnapshotEnumState(planned, new ArrayList<>(remaining));
    }

    @Override
    public void close() {
    }
}
