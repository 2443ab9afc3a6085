package io.milvuscdc.connectors.snapshot.source.reader;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.query.RowDigests;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;

import io.milvus.grpc.FieldData;
import org.apache.flink.connector.base.source.reader.RecordsBySplits;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitReader;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsChange;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * Reads its splits one after the other, each in one query without a limit (every field): paging on
 * the key may skip rows of growing segments (see {@link MilvusQueryClient#query}); splits are cut
 * small enough for one answer.
 */
final class SnapshotSplitReader implements SplitReader<SnapshotPage, SnapshotSplit> {

    private final MilvusQueryClient client;
    private final Deque<SnapshotSplit> splits = new ArrayDeque<>();

    SnapshotSplitReader(MilvusQueryClient client) {
        this.client = client;
    }

    @Override
    public RecordsWithSplitIds<SnapshotPage> fetch() {
        RecordsBySplits.Builder<SnapshotPage> out = new RecordsBySplits.Builder<>();
        SnapshotSplit split = splits.poll();
        if (split == null) {
            return out.build();
        }
        KeyRange r = split.range();
        List<FieldData> rows;
        try {
            rows = client.query(r.database, r.collection, r.partition, r.filter(split.after()), List.of("*"), 0);
        } catch (MilvusTargetException e) {
            if (!gone(e)) {
                throw e;
            }
            rows = List.of(); // dropped since the plan: nothing more to copy; its drop follows in the stream
        }
        List<String> keys = RowDigests.keys(rows, r.primaryField);
        String lastKey = null;
        for (String k : keys) {
            if (lastKey == null || r.compareKeys(k, lastKey) > 0) {
                lastKey = k;
            }
        }
        out.add(split.splitId(), new SnapshotPage(rows, keys.size(), lastKey, true));
        out.addFinishedSplit(split.splitId());
        return out.build();
    }

    private static boolean gone(MilvusTargetException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return m.contains("collection not found") || m.contains("can't find collection")
                || m.contains("partition not found") || m.contains("database not found");
    }

    @Override
    public void handleSplitsChanges(SplitsChange<SnapshotSplit> change) {
        if (change instanceof SplitsAddition) {
            splits.addAll(change.splits());
        }
    }

    @Override
    public void wakeUp() {
        // A fetch is one call with a deadline: it returns on its own.
    }

    @Override
    public void close() throws Exception {
        client.close();
    }
}
