package io.milvuscdc.job;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.etcd.jetcd.Client;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.partition.request.DropPartitionReq;
import io.milvus.v2.service.partition.request.ReleasePartitionsReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.partition.request.CreatePartitionReq;
import io.milvus.v2.service.partition.request.HasPartitionReq;
import io.milvus.v2.service.vector.request.InsertReq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The job stopped, the source's etcd compacted past the job's revision while a partition was
 * created and filled and a collection was created, filled and dropped: resumed from its savepoint,
 * the job reads the catalog anew, announces the partition (its rows arrive), forgets the
 * collection it never saw, and goes on with the rest.
 */
@ExtendWith(MilvusStackExtension.class)
class CatalogGapITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = ReplicationHarness.miniCluster();

    @Test
    void aCompactedCatalogGapIsReadAnewWithNothingLostOrStuck(MilvusStack stack) throws Exception {
        String run = Long.toString(System.currentTimeMillis() % 100_000);
        String kept = "gap_kept_" + run;
        String gone = "gap_gone_" + run;
        String later = "gap_later_" + run;
        String dropped = "gap_dropped_" + run;
        String recreated = "gap_recreated_" + run;
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        // Only this test's collections: the shared source holds other tests' too.
        CdcConfig config = ReplicationHarness.config(stack, Queue.KAFKA, "selection:", "  include: ['default.gap_*_" + run + "']");
        JobClient job = ReplicationHarness.start(config, "catalog gap, before");
        String savepoint;
        try {
            create(source, kept);
            insert(source, kept, "", 0, 100);
            source.createPartition(CreatePartitionReq.builder().collectionName(kept).partitionName("old").build());
            insert(source, kept, "old", 5000, 10);
            create(source, dropped);
            insert(source, dropped, "", 0, 10);
            create(source, recreated);
            insert(source, recreated, "", 0, 100);
            ReplicationHarness.waitUntil("the first rows are on the target", () -> MilvusTables.count(target, kept) == 110
                    && MilvusTables.count(target, dropped) == 10 && MilvusTables.count(target, recreated) == 100);
        } finally {
            savepoint = job.stopWithSavepoint(false, Files.createTempDirectory("savepoints").toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
        }

        // While the job is down: a partition made and filled, a collection made, filled and dropped.
        source.createPartition(CreatePartitionReq.builder().collectionName(kept).partitionName("late").build());
        insert(source, kept, "late", 1000, 50);
        create(source, gone);
        insert(source, gone, "", 0, 10);
        source.dropCollection(DropCollectionReq.builder().collectionName(gone).build());
        // ... a collection the job knew dropped, another dropped and made again (new id), a partition dropped.
        source.dropCollection(DropCollectionReq.builder().collectionName(dropped).build());
        source.dropCollection(DropCollectionReq.builder().collectionName(recreated).build());
        create(source, recreated);
        insert(source, recreated, "", 500, 30);
        source.releasePartitions(ReleasePartitionsReq.builder().collectionName(kept).partitionNames(List.of("old")).build());
        source.dropPartition(DropPartitionReq.builder().collectionName(kept).partitionName("old").build());
        try (Client etcd = Client.builder().endpoints(stack.etcdEndpoint()).build()) {
            long now = etcd.getKVClient().get(io.etcd.jetcd.ByteSequence.from("x", java.nio.charset.StandardCharsets.UTF_8))
                    .get().getHeader().getRevision();
            etcd.getKVClient().compact(now).get();
        }

        job = ReplicationHarness.start(config, "catalog gap, after", savepoint);
        try {
            create(source, later);
            insert(source, later, "", 0, 20);
            ReplicationHarness.waitUntil("the partition made in the gap and its rows are on the target", () ->
                    target.hasPartition(HasPartitionReq.builder().collectionName(kept).partitionName("late").build())
                            && MilvusTables.count(target, kept) == 150);
            ReplicationHarness.waitUntil("a collection made after the gap is replicated",
                    () -> MilvusTables.count(target, later) == 20);
            assertFalse(target.hasCollection(HasCollectionReq.builder().collectionName(gone).build()));
            ReplicationHarness.waitUntil("the collection dropped in the gap is dropped, the re-made one holds only its "
                    + "new rows, the partition dropped in the gap is gone", () ->
                    !target.hasCollection(HasCollectionReq.builder().collectionName(dropped).build())
                            && MilvusTables.count(target, recreated) == 30
                            && !target.hasPartition(HasPartitionReq.builder().collectionName(kept).partitionName("old").build()));
            List<Long> allKeys = java.util.stream.LongStream.range(0, 530).boxed().collect(java.util.stream.Collectors.toList());
            assertEquals(MilvusTables.rowsByKey(source, recreated, "id", allKeys, List.of("id", "vec")),
                    MilvusTables.rowsByKey(target, recreated, "id", allKeys, List.of("id", "vec")));
            assertEquals(MilvusTables.count(source, kept), MilvusTables.count(target, kept));
        } finally {
            job.cancel().get();
            source.close();
            target.close();
        }
    }

    private static void create(MilvusClientV2 source, String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(4).build());
        source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).numShards(2).build());
        source.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build())).build());
        source.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    private static void insert(MilvusClientV2 source, String name, String partition, long from, int count) {
        List<JsonObject> rows = new ArrayList<>();
        for (long k = from; k < from + count; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            JsonArray vec = new JsonArray();
            for (int i = 0; i < 4; i++) {
                vec.add(k * 0.1f + i);
            }
            row.add("vec", vec);
            rows.add(row);
        }
        InsertReq.InsertReqBuilder insert = InsertReq.builder().collectionName(name).data(rows);
        if (!partition.isEmpty()) {
            insert.partitionName(partition);
        }
        source.insert(insert.build());
    }
}
