package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.ScalarField;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
            assertEquals(List.of("a@1", "a@3"), target.of("a"));
            assertEquals(List.of("b@2"), target.of("b"));

            h.snapshot(2, 0);
            h.notifyOfCompletedCheckpoint(2);
            assertEquals(List.of("a@1", "a@3", "a@4"), target.of("a"), "each operation once, in order");
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
            assertEquals(List.of("a@1", "a@2"), target.of("a"));
            h.processElement(op("a", 3, 13), 0);
            h.snapshot(8, 0);
            h.notifyOfCompletedCheckpoint(8);
            assertEquals(List.of("a@1", "a@2", "a@3"), target.of("a"));
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
        }
        // Five one-row upserts of distinct keys, at most two rows per step: merged two by two.
        assertEquals(List.of(2, 2, 1), target.rows);
        assertEquals(List.of("a@2", "a@4", "a@5"), target.of("a"));
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
            assertEquals(List.of("a@1", "a@3"), target.of("a"), "the refusal does not hold up what follows");
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
            assertEquals(List.of("a@2"), target.of("a"), "applied without a checkpoint, the two as one request");
            assertEquals(List.of(2), target.rows);

            h.processElement(op("a", "orders", 3, 3), 0);
            h.processElement(op("a", "orders", 4, 4), 0);
            h.processElement(op("a", "orders", 5, 5), 0);
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
                assertEquals(List.of(), target.applied);
            }
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
            assertEquals(List.of("a@1"), target.of("a"));
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
                .setUpsert(Upsert.newBuilder().setNumRows(1).setPrimaryField("id").addFieldsData(id)).build());
    }

    /** The target: what it took, in order. */
    private static final class Recording implements TargetClient {
        final List<String> applied = new ArrayList<>();
        final List<Integer> rows = new ArrayList<>();
        /** A collection whose operations it refuses for good. */
        String refuse;

        @Override
        public boolean apply(TargetOperation op) {
            if (op.getCollection().equals(refuse)) {
                throw new MilvusTargetException("field n does not exist", MilvusTargetException.Kind.REFUSED, null);
            }
            applied.add(op.getDatabase() + "@" + op.getTimestamp());
            rows.add(op.getUpsert().getNumRows());
            return true;
        }

        List<String> of(String db) {
            List<String> out = new ArrayList<>();
            applied.stream().filter(s -> s.startsWith(db + "@")).forEach(out::add);
            return out;
        }

        @Override
        public void close() {}
    }
}
