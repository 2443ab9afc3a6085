package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;

import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.IDs;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.ScalarField;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What may run side by side on the target and what must wait for what. */
class ApplyPipelineTest {

    /** The task thread's mailbox. */
    private final BlockingQueue<ApplyPipeline.Completion> mails = new LinkedBlockingQueue<>();
    /** Operations held by the target until released, by timestamp. */
    private final Map<Long, CountDownLatch> gates = new ConcurrentHashMap<>();
    private final List<String> started = Collections.synchronizedList(new ArrayList<>());
    private final List<String> finished = Collections.synchronizedList(new ArrayList<>());

    private ApplyPipeline pipeline(int maxInFlight) {
        return new ApplyPipeline(op -> {
            started.add(name(op));
            CountDownLatch gate = gates.get(op.getTimestamp());
            if (gate != null && !gate.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released: " + name(op));
            }
            if (op.getCollection().equals("broken")) {
                throw new IOException("target unavailable for 1 s");
            }
            finished.add(name(op));
        }, mails::add, maxInFlight, 1 << 20);
    }

    @Test
    void rowsOfOtherKeysOrCollectionsOvertakeAHeldRequestAndTheSameKeyWaits() throws Exception {
        gates.put(1L, new CountDownLatch(1));
        try (ApplyPipeline p = pipeline(4)) {
            p.submit(List.of(upsert("c", 1, 7), upsert("c", 2, 8), upsert("d", 3, 7), delete("c", 4, 7), upsert("c", 5, 9)),
                    () -> finished.add("all"));
            awaitFinished("c@2", "d@3", "c@5");
            assertFalse(started.contains("c@4"), "the delete of key 7 waits for the held upsert of key 7");
            gates.get(1L).countDown();
            settle(p);
            assertEquals(List.of("c@1", "c@4", "all"), finished.subList(3, 6));
        }
    }

    @Test
    void aCollectionsOtherOperationsWaitForItsRowsAndADatabaseCommandForAllOfItsDatabase() throws Exception {
        gates.put(1L, new CountDownLatch(1));
        try (ApplyPipeline p = pipeline(4)) {
            p.submit(List.of(upsert("c", 1, 7), command("c", 2), upsert("d", 3, 1), database(4), upsert("d", 5, 2),
                    upsert("c", 6, 8)), () -> { });
            awaitFinished("d@3");
            awaitStarted("c@1");
            assertEquals(Set.of("c@1", "d@3"), Set.copyOf(started),
                    "the load of c waits for c's rows; the database's drop for all");
            gates.get(1L).countDown();
            settle(p);
            assertEquals(List.of("d@3", "c@1", "c@2", "@4"), finished.subList(0, 4));
            assertEquals(Set.of("d@5", "c@6"), Set.copyOf(finished.subList(4, 6)));
        }
    }

    @Test
    void aFailureStartsNothingMoreAndIsRethrownInTheTaskThread() throws Exception {
        try (ApplyPipeline p = pipeline(1)) {
            List<TargetOperation> ops = new ArrayList<>(List.of(upsert("broken", 1, 1), upsert("c", 2, 2)));
            p.submit(ops, () -> finished.add("all"));
            mails.take().run();
            IOException e = assertThrows(IOException.class, p::checkFailure);
            assertEquals("target unavailable for 1 s", e.getMessage());
            assertFalse(p.isIdle());
            assertEquals(List.of("broken@1"), started);
            assertTrue(finished.isEmpty());
        }
    }

    @Test
    void capacityIsBoundedInOperationsAndBytes() throws Exception {
        gates.put(1L, new CountDownLatch(1));
        try (ApplyPipeline p = pipeline(1)) {
            for (long ts = 1; ts <= 4; ts++) {
                assertTrue(p.hasCapacity());
                p.submit(List.of(upsert("c", ts, ts)), () -> { });
            }
            assertFalse(p.hasCapacity(), "four operations per request in flight wait at most");
            gates.get(1L).countDown();
            settle(p);
            assertTrue(p.hasCapacity());
            assertEquals(List.of("c@1", "c@2", "c@3", "c@4"), finished);
        }
    }

    /** Runs completions as the task thread would, until everything submitted is applied. */
    private void settle(ApplyPipeline p) throws Exception {
        while (!p.isIdle() || !mails.isEmpty()) {
            ApplyPipeline.Completion mail = mails.poll(10, TimeUnit.SECONDS);
            if (mail == null) {
                throw new AssertionError("nothing applied for 10 s; started " + started + ", finished " + finished);
            }
            mail.run();
            p.checkFailure();
        }
    }

    private void awaitStarted(String name) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!started.contains(name)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " never started; started " + started);
            }
            Thread.onSpinWait();
        }
    }

    private void awaitFinished(String... names) throws Exception {
        for (String name : names) {
            while (!finished.contains(name)) {
                ApplyPipeline.Completion mail = mails.poll(10, TimeUnit.SECONDS);
                if (mail == null) {
                    throw new AssertionError(name + " not applied; started " + started + ", finished " + finished);
                }
                mail.run();
            }
        }
    }

    private static String name(TargetOperation op) {
        return op.getCollection() + "@" + op.getTimestamp();
    }

    private static TargetOperation upsert(String collection, long ts, long key) {
        FieldData id = FieldData.newBuilder().setFieldName("id").setType(DataType.Int64)
                .setScalars(ScalarField.newBuilder().setLongData(LongArray.newBuilder().addData(key))).build();
        return base(collection, ts).setUpsert(Upsert.newBuilder().setNumRows(1).setPrimaryField("id").addFieldsData(id.toByteString()))
                .build();
    }

    private static TargetOperation delete(String collection, long ts, long key) {
        return base(collection, ts).setDelete(Delete.newBuilder().setPrimaryField("id")
                .setPrimaryKeys(IDs.newBuilder().setIntId(LongArray.newBuilder().addData(key)))).build();
    }

    private static TargetOperation command(String collection, long ts) {
        return base(collection, ts).setCollectionCommand(CollectionCommand.newBuilder().setCollectionName(collection))
                .build();
    }

    private static TargetOperation database(long ts) {
        return base("", ts).setDatabaseCommand(DatabaseCommand.newBuilder().setDbName("db")).build();
    }

    private static TargetOperation.Builder base(String collection, long ts) {
        return TargetOperation.newBuilder().setDatabase("db").setCollection(collection).setTimestamp(ts);
    }
}
