package io.milvuscdc.connectors.meta.source.split;

import org.apache.flink.api.connector.source.SourceSplit;

/**
 * The one split of the meta source: the source etcd's catalog, and the last etcd revision
 * whose changes have been emitted (0: none yet, start from a snapshot).
 */
public final class MetaSplit implements SourceSplit {

    public static final String ID = "milvus-meta";

    private final long revision;

    public MetaSplit(long revision) {
        this.revision = revision;
    }

    public long revision() {
        return revision;
    }

    @Override
    public String splitId() {
        return ID;
    }

    @Override
    public String toString() {
        return "MetaSplit{revision=" + revision + '}';
    }
}
