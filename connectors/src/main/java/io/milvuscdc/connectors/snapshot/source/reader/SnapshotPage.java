package io.milvuscdc.connectors.snapshot.source.reader;

import io.milvus.grpc.FieldData;

import java.util.List;

/** One query page of a split: its columns, its row count and last key, and whether the split ends with it. */
final class SnapshotPage {

    final List<FieldData> columns;
    final int rows;
    final String lastKey;
    final boolean last;

    SnapshotPage(List<FieldData> columns, int rows, String lastKey, boolean last) {
        this.columns = columns;
        this.rows = rows;
        this.lastKey = lastKey;
        this.last = last;
    }
}
