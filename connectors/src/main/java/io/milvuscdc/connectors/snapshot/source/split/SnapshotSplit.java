package io.milvuscdc.connectors.snapshot.source.split;

import io.milvuscdc.connectors.query.KeyRange;

import org.apache.flink.api.connector.source.SourceSplit;

/**
 * One key range of one source collection (or partition) to copy, and how far the copy got: the
 * last key emitted, so that a restored reader goes on after it instead of starting over.
 */
public final class SnapshotSplit implements SourceSplit {

    private final long collectionId;
    private final KeyRange range;
    private final int index;
    private final int count;
    /** The last key emitted; null before the first page. */
    private final String after;
    private final long rowsEmitted;

    public SnapshotSplit(long collectionId, KeyRange range, int index, int count, String after, long rowsEmitted) {
        this.collectionId = collectionId;
        this.range = range;
        this.index = index;
        this.count = count;
        this.after = after;
        this.rowsEmitted = rowsEmitted;
    }

    @Override
    public String splitId() {
        return collectionId + "/" + index;
    }

    public long collectionId() {
        return collectionId;
    }

    public KeyRange range() {
        return range;
    }

    /** This split's place among its collection's splits (0-based). */
    public int index() {
        return index;
    }

    /** How many splits its collection has. */
    public int count() {
        return count;
    }

    public String after() {
        return after;
    }

    public long rowsEmitted() {
        return rowsEmitted;
    }

    /** The same split, copied up to and including {@code key}. */
    public SnapshotSplit advancedTo(String key, long rows) {
        return new SnapshotSplit(collectionId, range, index, count, key, rowsEmitted + rows);
    }

    @Override
    public String toString() {
        return "SnapshotSplit{" + splitId() + " " + range + (after == null ? "" : " after " + after)
                + ", rows " + rowsEmitted + '}';
    }
}
