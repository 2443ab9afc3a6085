package io.milvuscdc.connectors.snapshot.source.reader;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.SnapshotRows;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;

import io.milvus.grpc.FieldData;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.RecordEmitter;
import org.apache.flink.connector.base.source.reader.SingleThreadMultiplexSourceReaderBase;

import java.util.Map;

/**
 * Emits each split's rows as one {@link SnapshotRows} record at the snapshot's timestamp,
 * the split's last page marked done; asks the enumerator for the next split when one ends.
 */
public final class SnapshotSourceReader
        extends SingleThreadMultiplexSourceReaderBase<SnapshotPage, ChangeRecord, SnapshotSplit, SnapshotSplitState> {

    public SnapshotSourceReader(SourceReaderContext context, MilvusTargetConfig source, long snapshotTso) {
        super(() -> new SnapshotSplitReader(new MilvusQueryClient(source)), new Emitter(snapshotTso),
                new Configuration(), context);
    }

    @Override
    public void start() {
        if (getNumberOfCurrentlyAssignedSplits() == 0) {
            context.sendSplitRequest();
        }
    }

    @Override
    protected void onSplitFinished(Map<String, SnapshotSplitState> finished) {
        context.sendSplitRequest();
    }

    @Override
    protected SnapshotSplitState initializedState(SnapshotSplit split) {
        return new SnapshotSplitState(split);
    }

    @Override
    protected SnapshotSplit toSplitType(String splitId, SnapshotSplitState state) {
        return state.split();
    }

    private static final class Emitter implements RecordEmitter<SnapshotPage, ChangeRecord, SnapshotSplitState> {

        private final long snapshotTso;

        Emitter(long snapshotTso) {
            this.snapshotTso = snapshotTso;
        }

        @Override
        public void emitRecord(SnapshotPage page, SourceOutput<ChangeRecord> output, SnapshotSplitState state) {
            SnapshotSplit split = state.split();
            SnapshotRows.Builder rows = SnapshotRows.newBuilder()
                    .setPartitionName(split.range().partition == null ? "" : split.range().partition)
                    .setNumRows(page.rows)
                    .setPrimaryField(split.range().primaryField)
                    .setSplitId(split.splitId())
                    .setSplitDone(page.last)
                    .setSplitCount(split.count());
            if (page.rows > 0) {
                for (FieldData column : page.columns) {
                    rows.addFieldsData(column.toByteString());
                }
            }
            output.collect(ChangeRecord.of(ChangeEvent.newBuilder().setCollectionId(split.collectionId())
                    .setTimestamp(snapshotTso).setOrigin("snapshot " + split.splitId()).setSnapshotRows(rows).build()));
            state.emitted(page.lastKey, page.rows);
        }
    }
}
