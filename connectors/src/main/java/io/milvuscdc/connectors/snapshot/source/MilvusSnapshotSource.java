package io.milvuscdc.connectors.snapshot.source;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.snapshot.source.enumerator.SnapshotEnumState;
import io.milvuscdc.connectors.snapshot.source.enumerator.SnapshotEnumStateSerializer;
import io.milvuscdc.connectors.snapshot.source.enumerator.SnapshotSplitEnumerator;
import io.milvuscdc.connectors.snapshot.source.reader.SnapshotSourceReader;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplitSerializer;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.util.List;

/**
 * The initial snapshot: every row of the given collections, read through the source's API as
 * key-range splits (parallel across collections and ranges; a split's progress, the last key
 * emitted, is checkpointed, so that a restored job neither repeats a finished split nor misses a
 * row). Bounded: it ends when every split is copied.
 */
public final class MilvusSnapshotSource
        implements Source<ChangeRecord, SnapshotSplit, SnapshotEnumState>, ResultTypeQueryable<ChangeRecord> {

    private static final long serialVersionUID = 1L;

    private final MilvusTargetConfig source;
    private final List<SnapshotCollection> collections;
    private final int rangeRows;
    private final long snapshotTso;

    /**
     * @param snapshotTso the timestamp the copied rows carry: the moment, recorded before the copy
     *                    began, from which the stream replays changes over the copy
     */
    public MilvusSnapshotSource(MilvusTargetConfig source, List<SnapshotCollection> collections, int rangeRows,
                                long snapshotTso) {
        this.source = source;
        this.collections = List.copyOf(collections);
        this.rangeRows = rangeRows;
        this.snapshotTso = snapshotTso;
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SplitEnumerator<SnapshotSplit, SnapshotEnumState> createEnumerator(SplitEnumeratorContext<SnapshotSplit> context) {
        return new SnapshotSplitEnumerator(context, source, collections, rangeRows, null);
    }

    @Override
    public SplitEnumerator<SnapshotSplit, SnapshotEnumState> restoreEnumerator(
            SplitEnumeratorContext<SnapshotSplit> context, SnapshotEnumState state) {
        return new SnapshotSplitEnumerator(context, source, collections, rangeRows, state);
    }

    @Override
    public SimpleVersionedSerializer<SnapshotSplit> getSplitSerializer() {
        return SnapshotSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<SnapshotEnumState> getEnumeratorCheckpointSerializer() {
        return SnapshotEnumStateSerializer.INSTANCE;
    }

    @Override
    public SourceReader<ChangeRecord, SnapshotSplit> createReader(SourceReaderContext context) {
        return new SnapshotSourceReader(context, source, snapshotTso);
    }

    @Override
    public TypeInformation<ChangeRecord> getProducedType() {
        return TypeInformation.of(ChangeRecord.class);
    }
}
