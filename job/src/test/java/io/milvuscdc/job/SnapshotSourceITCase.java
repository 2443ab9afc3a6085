package io.milvuscdc.job;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.Tso;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.SnapshotRows;
import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.snapshot.source.MilvusSnapshotSource;
import io.milvuscdc.connectors.snapshot.source.SnapshotCollection;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import io.milvus.grpc.FieldData;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.DescribeCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.vector.request.InsertReq;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The initial snapshot's source on the real source Milvus: every row of every partition, once,
 * with every field, in key-range splits (about 200 keys each) across two readers, each split's end marked — also when
 * the job fails in the middle of the copy and restarts from its last checkpoint (the splits'
 * progress restored: nothing emitted twice into the checkpointed output, nothing missed).
 */
@ExtendWith(MilvusStackExtension.class)
class SnapshotSourceITCase {

    private static final AtomicBoolean FAILED = new AtomicBoolean();
    private static final AtomicInteger SEEN = new AtomicInteger();

    @Test
    void copiesEveryRowOnceAcrossAFailureMidCopy(MilvusStack stack) throws Exception {
        String name = "snap_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        try {
            SmallCollections.create(source, name, true);
            for (int from = 0; from < 2_500; from += 500) {
                source.insert(InsertReq.builder().collectionName(name).data(SmallCollections.rows(from, from + 500)).build());
            }
            source.insert(InsertReq.builder().collectionName(name).partitionName("p1").data(SmallCollections.rows(2_500, 2_800)).build());
            long id = source.describeCollection(DescribeCollectionReq.builder().collectionName(name).build()).getCollectionID();

            List<KeyRange> partitions = new ArrayList<>();
            for (String p : List.of("_default", "p1")) {
                partitions.add(new KeyRange("default", name, "default", name, p, "id", false, null, null));
            }
            long tso = Tso.ofMillis(System.currentTimeMillis());
            MilvusSnapshotSource snapshot = new MilvusSnapshotSource(
                    new MilvusTargetConfig(stack.source().uri(), null, Duration.ofMinutes(1)),
                    List.of(new SnapshotCollection(id, partitions)), 200, tso);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(300);
            FAILED.set(false);
            SEEN.set(0);
            Map<Long, Integer> copies = new HashMap<>();
            Map<String, Integer> done = new HashMap<>();
            java.util.Set<Integer> splitCounts = new java.util.HashSet<>();
            long rows = 0;
            try (CloseableIterator<ChangeRecord> out = env.fromSource(snapshot, WatermarkStrategy.noWatermarks(), "snapshot")
                    .map(new FailOnceMidCopy()).executeAndCollect("snapshot source test")) {
                while (out.hasNext()) {
                    ChangeRecord r = out.next();
                    ChangeEvent e = r.decode();
                    assertEquals(id, r.collectionId);
                    assertEquals(tso, e.getTimestamp());
                    SnapshotRows s = e.getSnapshotRows();
                    splitCounts.add(s.getSplitCount());
                    if (s.getSplitDone()) {
                        done.merge(s.getSplitId(), 1, Integer::sum);
                    }
                    rows += s.getNumRows();
                    if (s.getNumRows() == 0) {
                        continue;
                    }
                    Map<String, FieldData> columns = new HashMap<>();
                    for (com.google.protobuf.ByteString c : s.getFieldsDataList()) {
                        FieldData f = FieldData.parseFrom(c);
                        columns.put(f.getFieldName(), f);
                    }
                    List<Long> keys = columns.get("id").getScalars().getLongData().getDataList();
                    List<Float> vec = columns.get("vec").getVectors().getFloatVector().getDataList();
                    for (int i = 0; i < keys.size(); i++) {
                        long k = keys.get(i);
                        copies.merge(k, 1, Integer::sum);
                        assertEquals(k + 0.3f, vec.get(i * 4 + 3), "key " + k + "'s vector");
                        assertEquals("row " + k, columns.get("s").getScalars().getStringData().getData(i));
                        assertEquals(k >= 2_500 ? "p1" : "_default", s.getPartitionName(), "key " + k);
                    }
                    assertTrue(columns.containsKey("$meta"), "the dynamic field: " + columns.keySet());
                }
            }
            assertTrue(FAILED.get(), "the job failed once mid-copy (after " + SEEN.get() + " records)");
            assertEquals(2_800, copies.size(), "every key");
            assertTrue(copies.values().stream().allMatch(n -> n == 1), "each key once");
            assertEquals(2_800, rows);
            assertEquals(1, splitCounts.size(), "every record counts the same splits: " + splitCounts);
            int splits = splitCounts.iterator().next();
            assertTrue(splits >= 14, "ranges of about 200 keys: " + splits);
            assertEquals(splits, done.size(), "each split's end: " + done);
            // A split's end may come twice: a checkpoint can fall between its last record and its
            // removal from the reader, and the restored split then ends again with no rows (the
            // sequencer counts each split's end once). Rows never come twice (above).
            assertTrue(done.values().stream().allMatch(n -> n >= 1), "each split ends: " + done);
        } finally {
            source.dropCollection(DropCollectionReq.builder().collectionName(name).build());
            source.close();
        }
    }

    /** Fails the job once, after a checkpoint completed and some pages went through. */
    static final class FailOnceMidCopy extends RichMapFunction<ChangeRecord, ChangeRecord> implements CheckpointListener {
        private static final long serialVersionUID = 1L;
        private transient boolean checkpointed;

        @Override
        public ChangeRecord map(ChangeRecord r) throws InterruptedException {
            Thread.sleep(50); // slower than the checkpoints, so that the failure comes mid-copy
            if (SEEN.incrementAndGet() > 4 && checkpointed && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("failure injected mid-copy");
            }
            return r;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpointed = true;
        }
    }
}
