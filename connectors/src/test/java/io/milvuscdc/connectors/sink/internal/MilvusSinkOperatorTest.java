package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.ScalarField;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sink's exactly-once protocol on Flink's keyed operator harness: operations wait in keyed
 * state until their checkpoint completes, a restored checkpoint is applied before new input, and
 * a backlog is applied in bounded steps.
 */
class MilvusSinkOperatorTest {

    private final Recording target = new Recording();

    @Test
    void operationsWaitForTheirCheckpointThenApplyInOrderPerDatabase() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(10_000)) {
            h.open();
            h.processElement(op("a", 1, 11), 0);
            h.processElement(op("b", 2, 21), 0);
            h.processElement(op("a", 3, 12), 0);
            h.snapshot(1, 0);
            h.processElement(op("a", 4, 13), 0); // after the barrier: the next checkpoint's
            assertEquals(List.of(), target.applied, "nothing reaches the target before its checkpoint completes");

            h.notifyOfCompletedCheckpoint(1);
            settle(h);
            // Other collections: applied side by side, in any order.
            assertEquals(Set.of("a@1", "a@3"), Set.copyOf(target.of("a")));
            assertEquals(List.of("b@2"), target.of("b"));

            h.snapshot(2, 0);
            h.notifyOfCompletedCheckpoint(2);
            settle(h);
            assertEquals(List.of("a@4"), target.of("a").subList(2, 3), "each operation once, in order");
        }
    }

    @Test
    void aCheckpointWhoseCompletionWasNeverSeenIsAppliedOnRestoreBeforeNewInput() throws Exception {
        OperatorSubtaskState checkpoint;
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(10_000)) {
            h.open();
            h.processElement(op("a", 1, 11), 0);
            h.processElement(op("a", 2, 12), 0);
            checkpoint = h.snapshot(7, 0);
            h.processElement(op("a", 3, 13), 0); // lost with the failure, replayed by the sources
        }
        // The task fails before Flink's notification: the restored state is what checkpoint 7 held.
        assertEquals(List.of(), target.applied);
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(10_000)) {
            h.initializeState(checkpoint);
            h.open();
            settle(h);
            assertEquals(Set.of("a@1", "a@2"), Set.copyOf(target.of("a")));
            h.processElement(op("a", 3, 13), 0);
            h.snapshot(8, 0);
            h.notifyOfCompletedCheckpoint(8);
            settle(h);
            assertEquals(List.of("a@3"), target.of("a").subList(2, 3));
        }
    }

    @Test
    void aBacklogIsAppliedInBoundedSteps() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(2)) {
            h.open();
            for (int i = 1; i <= 5; i++) {
                h.processElement(op("a", "orders", i, i), 0);
            }
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
            settle(h);
        }
        // Five one-row upserts of distinct keys, at most two rows per step: merged two by two
        // (and applied side by side: distinct keys).
        List<Integer> rows = new ArrayList<>(target.rows);
        Collections.sort(rows);
        assertEquals(List.of(1, 2, 2), rows);
        assertEquals(Set.of("a@2", "a@4", "a@5"), Set.copyOf(target.of("a")));
    }

    @Test
    void aRefusedOperationIsEmittedAsADeadLetterWhenItsCheckpointCompletes() throws Exception {
        target.refuse = "c2";
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h =
                     harness(10_000, MilvusSink.OnRefused.DEAD_LETTER)) {
            h.open();
            h.processElement(op("a", 1, 11), 0);
            h.processElement(op("a", 2, 12), 0);
            h.processElement(op("a", 3, 13), 0);
            h.snapshot(1, 0);
            assertEquals(List.of(), h.extractOutputValues());
            h.notifyOfCompletedCheckpoint(1);
            settle(h);
            assertEquals(Set.of("a@1", "a@3"), Set.copyOf(target.of("a")), "the refusal does not hold up what follows");
            List<DeadLetter> out = h.extractOutputValues();
            assertEquals(1, out.size());
            assertEquals("a", out.get(0).database);
            assertEquals("c2", out.get(0).collection);
            assertEquals(2, out.get(0).sourceTimestamp);
        }
    }

    @Test
    void atLeastOnceOperationsApplyAsTheyComeMergedForAMomentAndAllBeforeTheBarrier() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h =
                     harness(3, MilvusSink.OnRefused.FAIL, MilvusSink.Delivery.AT_LEAST_ONCE)) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(op("a", "orders", 1, 1), 0);
            h.processElement(op("a", "orders", 2, 2), 0);
            assertEquals(List.of(), target.applied, "held a moment to be merged");
            h.setProcessingTime(MilvusSinkOperator.LINGER_MS);
            settle(h);
            assertEquals(List.of("a@2"), target.of("a"), "applied without a checkpoint, the two as one request");
            assertEquals(List.of(2), target.rows);

            h.processElement(op("a", "orders", 3, 3), 0);
            h.processElement(op("a", "orders", 4, 4), 0);
            h.processElement(op("a", "orders", 5, 5), 0);
            settle(h);
            assertEquals(List.of("a@2", "a@5"), target.of("a"), "a full batch goes at once");
            h.processElement(op("b", 6, 61), 0);
            h.prepareSnapshotPreBarrier(1);
            assertEquals(List.of("b@6"), target.of("b"), "nothing held passes a barrier");
            OperatorSubtaskState checkpoint = h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
            assertEquals(3, target.applied.size(), "a checkpoint adds nothing to apply");

            // The checkpoint holds no operations: restored, nothing is applied again by the sink
            // (the sources replay what came after it).
            target.applied.clear();
            try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> restored =
                         harness(3, MilvusSink.OnRefused.FAIL, MilvusSink.Delivery.AT_LEAST_ONCE)) {
                restored.initializeState(checkpoint);
                restored.open();
                settle(restored);
                assertEquals(List.of(), target.applied);
            }
        }
    }

    /**
     * Requests go to the target side by side, so a later chunk can be applied before an earlier
     * one: it stays in the state until the earlier one is applied, so that a failure in between
     * replays both, in order (replaying the earlier alone would put back the older row of key 5).
     */
    @Test
    void aChunkAppliedBeforeAnEarlierOneStaysUntilThatOneIsApplied() throws Exception {
        target.hold("c1");
        OperatorSubtaskState checkpoint;
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(2)) {
            h.open();
            h.processElement(op("a", "c1", 1, 1), 0); // chunk 1: held by the target
            h.processElement(op("a", "c2", 2, 5), 0); // chunk 1
            h.processElement(op("a", "c2", 3, 5), 0); // chunk 2: key 5 again
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
            // Two operations end (key 5's two rows; c1 stays held), each with a mail: run both.
            for (int i = 0; i < 2; i++) {
                h.getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
            }
            assertEquals(List.of("a@2", "a@3"), target.of("a"));
            checkpoint = h.snapshot(2, 0);
            target.release();
            settle(h);
        }
        target.applied.clear();
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(2)) {
            h.initializeState(checkpoint);
            h.open();
            settle(h);
            List<String> replayed = target.of("a");
            assertEquals(Set.of("a@1", "a@2", "a@3"), Set.copyOf(replayed));
            assertTrue(replayed.indexOf("a@2") < replayed.indexOf("a@3"), "key 5's rows in their order: " + replayed);
        }
    }

    /** A savepoint of the exactly-once sink holds operations of a completed checkpoint: the other mode applies them too. */
    @Test
    void atLeastOnceAppliesWhatAnExactlyOnceCheckpointHeld() throws Exception {
        OperatorSubtaskState checkpoint;
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(10_000)) {
            h.open();
            h.processElement(op("a", 1, 11), 0);
            checkpoint = h.snapshot(1, 0);
        }
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h =
                     harness(10_000, MilvusSink.OnRefused.FAIL, MilvusSink.Delivery.AT_LEAST_ONCE)) {
            h.initializeState(checkpoint);
            h.open();
            settle(h);
            assertEquals(List.of("a@1"), target.of("a"));
        }
    }

    /**
     * A checkpoint of the sink as version 1 wrote it (operations of two databases waiting for their
     * checkpoint; written by this test with {@code -Dstate.write=true}), restored by the current
     * code: every operation is applied. A change of the state's layout must keep reading this file.
     */
    @Test
    void aCheckpointWrittenByVersionOneIsAppliedOnRestore() throws Exception {
        String file = "src/test/resources/state/milvus-sink-v1.snapshot";
        if (Boolean.getBoolean("state.write")) {
            try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(10_000)) {
                h.open();
                h.processElement(op("a", "orders", 1, 11), 0);
                h.processElement(op("a", "orders", 2, 12), 0);
                h.processElement(op("b", 3, 31), 0);
                OperatorSnapshotUtil.writeStateHandle(h.snapshot(1, 0), file);
            }
            target.applied.clear();
        }
        try (KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h = harness(1)) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(file));
            h.open();
            settle(h);
            // Two keys: requests without a conflict may go side by side, in any order.
            assertEquals(Set.of("a@1", "a@2"), Set.copyOf(target.of("a")));
            assertEquals(2, target.of("a").size(), "each once");
            assertEquals(List.of("b@3"), target.of("b"));
        }
    }

    /** Runs the operator's mails until everything handed to the target is applied and recorded. */
    private static void settle(KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> h)
            throws Exception {
        MilvusSinkOperator operator = (MilvusSinkOperator) h.getOneInputOperator();
        TaskMailbox mailbox = h.getTaskMailbox();
        while (!operator.isIdle() || mailbox.hasMail()) {
            // Every operation applied posts a mail: this waits for the next one.
            mailbox.take(TaskMailbox.MIN_PRIORITY).run();
        }
    }

    private KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> harness(int maxRows) throws Exception {
        return harness(maxRows, MilvusSink.OnRefused.FAIL);
    }

    private KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> harness(
            int maxRows, MilvusSink.OnRefused onRefused) throws Exception {
        return harness(maxRows, onRefused, MilvusSink.Delivery.EXACTLY_ONCE);
    }

    private KeyedOneInputStreamOperatorTestHarness<String, OperationRecord, DeadLetter> harness(
            int maxRows, MilvusSink.OnRefused onRefused, MilvusSink.Delivery delivery) throws Exception {
        MilvusSinkOperator operator = new MilvusSinkOperator(
                new MilvusTargetConfig("http://127.0.0.1:1", null, Duration.ofSeconds(1)), maxRows, 1 << 20, config -> target,
                onRefused, delivery);
        return new KeyedOneInputStreamOperatorTestHarness<>(operator, r -> r.target.substring(0, r.target.indexOf('.')),
                Types.STRING);
    }

    /** A one-row upsert into a collection of its own (nothing to merge with the others'). */
    private static OperationRecord op(String db, long timestamp, long key) {
        return op(db, "c" + timestamp, timestamp, key);
    }

    /** A one-row upsert of {@code key} into {@code db}.{@code collection} at {@code timestamp}. */
    private static OperationRecord op(String db, String collection, long timestamp, long key) {
        FieldData id = FieldData.newBuilder().setFieldName("id").setType(DataType.Int64)
                .setScalars(ScalarField.newBuilder().setLongData(LongArray.newBuilder().addData(key))).build();
        return OperationRecord.of(TargetOperation.newBuilder().setDatabase(db).setCollection(collection).setTimestamp(timestamp)
                .setUpsert(Upsert.newBuilder().setNumRows(1).setPrimaryField("id").addFieldsData(id.toByteString())).build());
    }

    /** The target: what it took, in order. */
    private static final class Recording implements TargetClient {
        final List<String> applied = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> rows = Collections.synchronizedList(new ArrayList<>());
        /** A collection whose operations it refuses for good. */
        String refuse;
        /** A collection whose operations it holds until {@link #release()}. */
        volatile String held;
        final java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);

        void hold(String collection) {
            held = collection;
        }

        void release() {
            gate.countDown();
        }

        @Override
        public boolean apply(TargetOperation op) {
            if (op.getCollection().equals(refuse)) {
                throw new MilvusTargetException("field n does not exist", MilvusTargetException.Kind.REFUSED, null);
            }
            if (op.getCollection().equals(held)) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            applied.add(op.getDatabase() + "@" + op.getTimestamp());
            rows.add(op.getUpsert().getNumRows());
            return true;
        }

        List<String> of(String db) {
            synchronized (applied) {
                List<String> out = new ArrayList<>();
                applied.stream().filter(s -> s.startsWith(db + "@")).forEach(out::add);
                return out;
            }
        }

        @Override
        public void close() {}
    }
}
