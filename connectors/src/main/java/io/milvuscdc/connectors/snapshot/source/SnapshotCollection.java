package io.milvuscdc.connectors.snapshot.source;

import io.milvuscdc.connectors.query.KeyRange;

import java.io.Serializable;
import java.util.List;

/** A source collection to copy: its id, and the whole key range of each of its partitions (one for a partition-key collection). */
public final class SnapshotCollection implements Serializable {

    private static final long serialVersionUID = 1L;

    public final long collectionId;
    public final List<KeyRange> partitions;

    public SnapshotCollection(long collectionId, List<KeyRange> partitions) {
        this.collectionId = collectionId;
        this.partitions = List.copyOf(partitions);
    }

    @Override
    public String toString() {
        return partitions.isEmpty() ? Long.toString(collectionId)
                : partitions.get(0).database + "." + partitions.get(0).collection + " (" + collectionId + ")";
    }
}
