package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import io.milvus.grpc.DropDatabaseRequest;
import io.milvus.grpc.FlushRequest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Order on one target name, with Flink's keyed operator harness and its watermarks. */
class TargetNameSequencerTest {

    private static final String NAME = "default.orders";

    @Test
    void aRecreatedNameWaitsForTheOldCollectionsDrop() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h = harness()) {
            feed(h, op(100, 100).setCreateCollection(CreateCollection.getDefaultInstance()), 100);
            feed(h, op(100, 110).setUpsert(Upsert.newBuilder().setNumRows(1)), 110);
            // The new collection (created at 200) overtakes the old one's last rows and drop.
            feed(h, op(200, 200).setCreateCollection(CreateCollection.getDefaultInstance()), 200);
            feed(h, op(200, 210).setUpsert(Upsert.newBuilder().setNumRows(2)), 210);
            feed(h, op(100, 120).setUpsert(Upsert.newBuilder().setNumRows(3)), 120);
            feed(h, op(100, 150).setDropCollection(DropCollection.getDefaultInstance()), 150);
            // A straggler of the old collection after the new one is live is dropped, not applied.
            feed(h, op(100, 130).setUpsert(Upsert.newBuilder().setNumRows(4)), 130);

            assertEquals(List.of("100:create", "100:upsert1", "100:upsert3", "100:drop", "200:create", "200:upsert2"),
                    emitted(h));
        }
    }

    @Test
    void commandsWaitForTheWatermarkAndApplyToTheCollectionLiveAtTheirTimestamp() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h = harness()) {
            // A flush at 300 for the collection created at 250, before that create is known.
            feed(h, flush(300), 300);
            // A flush at 140 meant for the collection dropped at 150.
            feed(h, op(100, 100).setCreateCollection(CreateCollection.getDefaultInstance()), 100);
            feed(h, flush(140), 140);
            feed(h, op(100, 150).setDropCollection(DropCollection.getDefaultInstance()), 150);
            h.processWatermark(400);
            assertEquals(List.of("100:create", "100:drop"), emitted(h),
                    "the late flush at 140 found its collection dropped; the flush at 300 waits for a create");

            // The create comes with the rows the collection sequencer held for it: they precede the flush.
            feed(h, op(250, 250).setCreateCollection(CreateCollection.getDefaultInstance()), 250);
            feed(h, op(250, 260).setUpsert(Upsert.newBuilder().setNumRows(1)), 260);
            feed(h, flush(500), 500);
            feed(h, op(250, 490).setUpsert(Upsert.newBuilder().setNumRows(2)), 490);
            assertEquals(List.of("100:create", "100:drop", "250:create", "250:upsert1", "250:upsert2"),
                    emitted(h), "the flush at 300 waits for the next watermark, the flush at 500 for one past it");
            h.processWatermark(450);
            assertEquals(List.of("100:create", "100:drop", "250:create", "250:upsert1", "250:upsert2", "250:flush@300"),
                    emitted(h));
            h.processWatermark(500);
            assertEquals("250:flush@500", emitted(h).get(6));
        }
    }

    /** A command at 250 belongs to the collection created at 200, though the one of 100 is dropped (late) at 260. */
    @Test
    void aCommandGoesToTheCollectionLiveAtItsTimestampNotToAnOlderOneWhoseDropIsLate() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h = harness()) {
            feed(h, op(100, 100).setCreateCollection(CreateCollection.getDefaultInstance()), 100);
            feed(h, op(100, 110).setUpsert(Upsert.newBuilder().setNumRows(1)), 110);
            feed(h, op(200, 200).setCreateCollection(CreateCollection.getDefaultInstance()), 200);
            feed(h, flush(250), 250);
            h.processWatermark(190);
            assertEquals(List.of("100:create", "100:upsert1"), emitted(h), "the new collection waits for the old one's drop");
            h.processWatermark(255);
            assertEquals(List.of("100:create", "100:upsert1", "100:drop", "200:create", "200:flush@250"), emitted(h),
                    "past the new create every row of the old collection is in: the new one need not wait for its drop");
            feed(h, op(100, 260).setDropCollection(DropCollection.getDefaultInstance()), 260);
            h.processWatermark(270);
            assertEquals(List.of("100:create", "100:upsert1", "100:drop", "200:create", "200:flush@250"), emitted(h),
                    "the old collection's late drop is not applied again");
        }
    }

    /**
     * The old collection's drop never comes: seen on a source Milvus restarted after its queue was
     * down, whose catalog dropped it and created the new one of the same name, but which published
     * no DropCollection on the DML channels. Names are unique on the source, so the new create
     * proves the old collection dropped before it; once the watermark passes the new create, every
     * row of the old one has arrived.
     */
    @Test
    void aRecreatedNameDoesNotWaitForADropTheSourceNeverPublished() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h = harness()) {
            feed(h, op(100, 100).setCreateCollection(CreateCollection.getDefaultInstance()), 100);
            feed(h, op(100, 110).setUpsert(Upsert.newBuilder().setNumRows(1)), 110);
            feed(h, op(200, 200).setCreateCollection(CreateCollection.getDefaultInstance()), 200);
            feed(h, op(200, 210).setUpsert(Upsert.newBuilder().setNumRows(2)), 210);
            feed(h, op(100, 120).setUpsert(Upsert.newBuilder().setNumRows(3)), 120);
            h.processWatermark(199);
            assertEquals(List.of("100:create", "100:upsert1", "100:upsert3"), emitted(h));
            h.processWatermark(300);
            assertEquals(List.of("100:create", "100:upsert1", "100:upsert3", "100:drop", "200:create", "200:upsert2"),
                    emitted(h));
            TargetOperation drop = h.extractOutputValues().get(3).decode();
            assertEquals(199, drop.getTimestamp(), "the drop is dated just before the new create");
        }
    }

    /**
     * A database's operations and its collections' go through one key (one subtask, one writer,
     * one committer): a drop database, a create database and a create of one of its collections
     * applied by two committers could overtake each other.
     */
    @Test
    void aDatabaseAndItsCollectionsShareOneKeyAndOneOrder() throws Exception {
        TargetOperation dropDatabase = dropDatabase(160);
        assertEquals(TargetNameSequencer.BY_DATABASE.getKey(OperationRecord.of(dropDatabase)),
                TargetNameSequencer.BY_DATABASE.getKey(OperationRecord.of(op(100, 100).build())));
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h = harness()) {
            feed(h, op(100, 100).setCreateCollection(CreateCollection.getDefaultInstance()), 100);
            feed(h, op(100, 110).setUpsert(Upsert.newBuilder().setNumRows(1)), 110);
            h.processElement(new StreamRecord<>(OperationRecord.of(dropDatabase), 160));
            // 2.3 publishes the collection's drop after the database's: the watermark orders them.
            feed(h, op(100, 150).setDropCollection(DropCollection.getDefaultInstance()), 150);
            h.processWatermark(200);
            assertEquals(List.of("100:create", "100:upsert1", "100:drop", "0:DATABASE_COMMAND"), emitted(h));
        }
    }

    /** A database dropped and re-created with a collection of the old name: the new one waits for the drop. */
    @Test
    void aCollectionOfARecreatedDatabaseWaitsForTheDatabasesDrop() throws Exception {
        TargetOperation dropDatabase = dropDatabase(160);
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h = harness()) {
            feed(h, op(100, 100).setCreateCollection(CreateCollection.getDefaultInstance()), 100);
            feed(h, op(100, 150).setDropCollection(DropCollection.getDefaultInstance()), 150);
            h.processElement(new StreamRecord<>(OperationRecord.of(dropDatabase), 160));
            feed(h, op(200, 200).setCreateCollection(CreateCollection.getDefaultInstance()), 200);
            feed(h, op(200, 210).setUpsert(Upsert.newBuilder().setNumRows(1)), 210);
            assertEquals(List.of("100:create", "100:drop"), emitted(h), "the new collection waits for the database's drop");
            h.processWatermark(300);
            assertEquals(List.of("100:create", "100:drop", "0:DATABASE_COMMAND", "200:create", "200:upsert1"), emitted(h));
        }
    }

    /**
     * The same, but the database's drop arrives after the new collection was applied (its create
     * comes from etcd, the drop from the replicate channel, which was unreachable meanwhile): the
     * drop keeps the new collection, and with it the database.
     */
    @Test
    void aDatabasesLateDropKeepsTheCollectionsCreatedAfterIt() throws Exception {
        TargetOperation dropDatabase = dropDatabase(160);
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h = harness()) {
            feed(h, op(100, 100).setCreateCollection(CreateCollection.getDefaultInstance()), 100);
            feed(h, op(100, 150).setDropCollection(DropCollection.getDefaultInstance()), 150);
            feed(h, op(200, 200).setCreateCollection(CreateCollection.getDefaultInstance()), 200);
            feed(h, op(200, 210).setUpsert(Upsert.newBuilder().setNumRows(1)), 210);
            h.processElement(new StreamRecord<>(OperationRecord.of(dropDatabase), 160));
            h.processWatermark(300);
            assertEquals(List.of("100:create", "100:drop", "200:create", "200:upsert1", "0:DATABASE_COMMAND"), emitted(h));
            DatabaseCommand drop = h.extractOutputValues().get(4).decode().getDatabaseCommand();
            assertEquals(List.of("orders"), drop.getKeepCollectionsList());
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> harness()
            throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new TargetNameSequencer()),
                        TargetNameSequencer.BY_DATABASE, Types.STRING);
        h.open();
        return h;
    }

    private static TargetOperation.Builder op(long incarnation, long timestamp) {
        return TargetOperation.newBuilder().setDatabase("default").setCollection("orders")
                .setIncarnation(incarnation).setTimestamp(timestamp).setSourceCollectionId(incarnation);
    }

    private static TargetOperation dropDatabase(long timestamp) {
        return TargetOperation.newBuilder().setDatabase("default").setTimestamp(timestamp)
                .setDatabaseCommand(DatabaseCommand.newBuilder().setDbName("default")
                        .setDropDatabase(DropDatabaseRequest.newBuilder().setDbName("default"))).build();
    }

    private static TargetOperation.Builder flush(long timestamp) {
        return TargetOperation.newBuilder().setDatabase("default").setCollection("orders").setTimestamp(timestamp)
                .setCollectionCommand(CollectionCommand.newBuilder().setDbName("default").setCollectionName("orders")
                        .setFlush(FlushRequest.newBuilder().setDbName("default").addCollectionNames("orders")));
    }

    private static void feed(KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h,
                             TargetOperation.Builder op, long timestamp) throws Exception {
        h.processElement(new StreamRecord<>(OperationRecord.of(op.build()), timestamp));
    }

    private static List<String> emitted(KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, OperationRecord> h) {
        return h.extractOutputValues().stream().map(OperationRecord::decode).map(op -> {
            String kind;
            switch (op.getKindCase()) {
                case CREATE_COLLECTION: kind = "create"; break;
                case DROP_COLLECTION: kind = "drop"; break;
                case UPSERT: kind = "upsert" + op.getUpsert().getNumRows(); break;
                case COLLECTION_COMMAND: kind = "flush@" + op.getTimestamp(); break;
                default: kind = op.getKindCase().name();
            }
            return op.getIncarnation() + ":" + kind;
        }).collect(Collectors.toList());
    }
}
