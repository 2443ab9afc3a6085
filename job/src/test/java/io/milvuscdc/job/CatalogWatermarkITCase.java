package io.milvuscdc.job;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.meta.source.MetaSourceConfig;
import io.milvuscdc.connectors.meta.source.reader.MetaSourceReader;
import io.milvuscdc.connectors.meta.source.split.MetaSplit;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceOutput;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The catalog's watermark after a restore, against the real etcd of a real source: a collection
 * created after the checkpoint's revision is emitted before any watermark passes its creation.
 * Emitted too early, a command on the new collection (index, load) is routed to the old one of the
 * same name — the randomized kill test's "index missing after a restore".
 */
@ExtendWith(MilvusStackExtension.class)
class CatalogWatermarkITCase {

    @Test
    void afterARestoreTheWatermarkWaitsForWhatChangedSinceTheCheckpoint(MilvusStack stack) throws Exception {
        String name = "wm_restore_" + System.currentTimeMillis() % 100_000;
        long checkpointRevision;
        try (Client etcd = Client.builder().endpoints(stack.etcdEndpoint()).build()) {
            checkpointRevision = etcd.getKVClient().get(ByteSequence.from("x", StandardCharsets.UTF_8)).get()
                    .getHeader().getRevision();
        }
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        try {
            CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
            schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
            schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(4).build());
            source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).build());
        } finally {
            source.close();
        }
        // The job comes back later than the catalog's lag: a watermark of "now minus the lag" would pass the create.
        long createdBy = System.currentTimeMillis();
        ReplicationHarness.waitUntil("the catalog lag has passed since the create",
                () -> System.currentTimeMillis() > createdBy + MetaSourceReader.CATALOG_LAG.toMillis() + 1000);

        MilvusStack.Milvus milvus = stack.source();
        MetaSourceReader reader = new MetaSourceReader(new MetaSourceConfig(List.of(stack.etcdEndpoint()),
                milvus.etcdRootPath(), milvus.metaSubPath(), null, null), null);
        Recorded out = new Recorded();
        try {
            reader.start();
            reader.addSplits(List.of(new MetaSplit(checkpointRevision)));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.createdAt(name) == null && System.currentTimeMillis() < deadline) {
                reader.pollNext(out);
                try {
                    reader.isAvailable().get(1, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    // polled again: the reader's own ticker wakes it every 200 ms anyway
                }
            }
        } finally {
            reader.close();
        }
        Integer at = out.createdAt(name);
        assertTrue(at != null, "the collection created after the checkpoint is emitted: " + out.log);
        long created = ChangeEvent.parseFrom(((ChangeRecord) out.log.get(at)).event).getTimestamp();
        List<Long> early = new ArrayList<>();
        for (Object o : out.log.subList(0, at)) {
            if (o instanceof Watermark && ((Watermark) o).getTimestamp() >= created) {
                early.add(((Watermark) o).getTimestamp());
            }
        }
        assertEquals(List.of(), early, "watermarks past the collection's create (" + created + ") before it was emitted");
    }

    /** Records and watermarks in the order the reader emitted them. */
    private static final class Recorded implements ReaderOutput<ChangeRecord> {
        final List<Object> log = new ArrayList<>();

        Integer createdAt(String name) throws Exception {
            for (int i = 0; i < log.size(); i++) {
                if (log.get(i) instanceof ChangeRecord) {
                    ChangeEvent e = ChangeEvent.parseFrom(((ChangeRecord) log.get(i)).event);
                    if (e.hasCollectionCreated() && e.getCollectionCreated().getCollectionName().equals(name)) {
                        return i;
                    }
                }
            }
            return null;
        }

        @Override
        public void collect(ChangeRecord record) {
            log.add(record);
        }

        @Override
        public void collect(ChangeRecord record, long timestamp) {
            log.add(record);
        }

        @Override
        public void emitWatermark(Watermark watermark) {
            log.add(watermark);
        }

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}

        @Override
        public SourceOutput<ChangeRecord> createOutputForSplit(String splitId) {
            return this;
        }

        @Override
        public void releaseOutputForSplit(String splitId) {}
    }
}
