package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.RawColumns;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException.Kind;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.execution.SuppressRestartsException;

import io.milvus.grpc.ErrorCode;
import io.milvus.grpc.Status;
import io.milvus.shaded.io.grpc.Status.Code;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the committer does with each answer of the target: nothing the target refused counts as done. */
@SuppressWarnings("deprecation") // 2.3 servers answer in the deprecated error_code
class MilvusCommitterTest {

    /** The status a 2.3.5 target with {@code common.ttMsgEnabled: false} answers to an upsert. */
    private static final Status DENY_PRODUCE = Status.newBuilder().setErrorCode(ErrorCode.UnexpectedError).setCode(1303)
            .setReason("deny to write the message to mq").build();

    private static Status status(ErrorCode error, int code, String reason) {
        return Status.newBuilder().setErrorCode(error).setCode(code).setReason(reason).build();
    }

    @Test
    void targetAnswersAreClassified() {
        assertNull(TargetMilvusClient.classify(Status.getDefaultInstance()));
        assertEquals(Kind.TARGET_CANNOT_WRITE, TargetMilvusClient.classify(DENY_PRODUCE));
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(status(ErrorCode.RateLimit, 8, "rate limit exceeded")));
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(status(ErrorCode.ForceDeny, 9,
                "deny to write, reason: memory quota exhausted")));
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(status(ErrorCode.UnexpectedError, 1, "service not ready")));
        assertEquals(Kind.REFUSED, TargetMilvusClient.classify(status(ErrorCode.UnexpectedError, 100,
                "collection not found[collection=orders]")));
        assertEquals(Kind.REFUSED, TargetMilvusClient.classify(status(ErrorCode.IllegalArgument, 1100,
                "the length of varchar field exceeds max length")));
        // Seen from a target whose etcd was restarting: its own call timed out.
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(status(ErrorCode.UnexpectedError, 65535,
                "context deadline exceeded: collection not found[collection=470768437007365074]")));
        // Seen from a target just restarted: its coordinator still knew the previous data node.
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(status(ErrorCode.UnexpectedError, 65535,
                "attempt #0: rpc error: code = Unknown desc = node not match[expectedNodeID=2][actualNodeID=3]")));
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(status(ErrorCode.UnexpectedError, 65535,
                "getSegmentID failed: SegmentIDAllocator failRemainRequest unexpected error")));
        // A load right after the target's restart (its coordinator gave up on a node it no longer has).
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(status(ErrorCode.UnexpectedError, 65535,
                "unrecoverable error")));
        // The same catch-all code for a refusal for good (found by DeadLetterITCase).
        assertEquals(Kind.REFUSED, TargetMilvusClient.classify(status(ErrorCode.UnexpectedError, 65535,
                "the length(20) of float data should divide the dim(8)")));
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(Code.UNAVAILABLE));
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(Code.DEADLINE_EXCEEDED));
        assertEquals(Kind.TOO_LARGE, TargetMilvusClient.classify(Code.RESOURCE_EXHAUSTED), "over the message size: never as is");
        assertEquals(Kind.TARGET_CANNOT_WRITE, TargetMilvusClient.classify(Code.UNAUTHENTICATED));
    }

    @Test
    void aRefusingTargetStopsTheJobWithTheFixAndNothingCountsAsDone() {
        MilvusTargetException denied = new MilvusTargetException("Target Milvus refused to upsert: "
                + DENY_PRODUCE.getReason() + ". ... set common.ttMsgEnabled: true on the target", Kind.TARGET_CANNOT_WRITE, null);
        ScriptedClient client = ScriptedClient.refusingForGood(1, denied);
        MilvusCommitter committer = committer(client, Duration.ofMinutes(1));
        SuppressRestartsException stop = assertThrows(SuppressRestartsException.class,
                () -> committer.apply(List.of(upsert(1), upsert(2))));
        assertTrue(stop.getCause().getMessage().contains("ttMsgEnabled: true"), stop.getCause().getMessage());
        assertEquals(List.of(), client.applied, "neither the refused operation nor any after it is done");
    }

    @Test
    void aRefusalTheTargetDoesNotRepeatIsRetriedNotTakenAsFinal() throws Exception {
        // A Milvus restarting after its etcd came back answers for a moment with errors that read as final.
        ScriptedClient client = new ScriptedClient(List.of(
                new MilvusTargetException("collection not found", Kind.REFUSED, null),
                new MilvusTargetException("collection not found", Kind.REFUSED, null)));
        committer(client, Duration.ofMinutes(1)).apply(List.of(upsert(1), upsert(2)));
        assertEquals(List.of(1L, 2L), client.applied, "applied once the target takes it; nothing stopped or dead-lettered");
    }

    @Test
    void aRefusedOperationStopsTheJobNamingCollectionAndOperation() {
        ScriptedClient client = ScriptedClient.refusingForGood(1, new MilvusTargetException("schema differs", Kind.REFUSED, null));
        MilvusCommitter committer = committer(client, Duration.ofMinutes(1));
        SuppressRestartsException stop = assertThrows(SuppressRestartsException.class,
                () -> committer.apply(List.of(upsert(1))));
        assertTrue(stop.getCause().getMessage().contains("upsert on default.orders"), stop.getCause().getMessage());
        assertTrue(stop.getCause().getMessage().contains("schema differs"));
        assertTrue(client.refusals > 1, "asked again before taking the refusal as final: " + client.refusals);
    }

    @Test
    void withDeadLetterARefusedOperationGoesWholeToTheDeadLettersAndTheNextOnesApply() throws Exception {
        ScriptedClient client = ScriptedClient.refusingForGood(1, new MilvusTargetException("schema differs", Kind.REFUSED, null));
        List<DeadLetter> deadLetters = new ArrayList<>();
        MilvusCommitter committer = new MilvusCommitter(new MilvusTargetConfig("http://127.0.0.1:1", null,
                Duration.ofMinutes(1)), new UnregisteredMetricsGroup(), config -> client,
                MilvusSink.OnRefused.DEAD_LETTER, deadLetters::add, CONFIRMATION);
        committer.apply(List.of(upsert(1), upsert(2)));
        assertEquals(List.of(2L), client.applied);
        assertEquals(1, deadLetters.size());
        DeadLetter d = deadLetters.get(0);
        assertEquals(DeadLetter.Kind.OPERATION, d.kind);
        assertEquals("orders", d.collection);
        assertEquals("upsert", d.operation);
        assertEquals("schema differs", d.reason);
        assertEquals(upsert(1), TargetOperation.parseFrom(d.payload), "the whole operation, rows included");
    }

    @Test
    void withDeadLetterATargetThatCannotWriteAtAllStillStopsTheJob() {
        MilvusTargetException denied = new MilvusTargetException("replicate mode", Kind.TARGET_CANNOT_WRITE, null);
        ScriptedClient client = ScriptedClient.refusingForGood(1, denied);
        MilvusCommitter committer = new MilvusCommitter(new MilvusTargetConfig("http://127.0.0.1:1", null,
                Duration.ofMinutes(1)), new UnregisteredMetricsGroup(), config -> client,
                MilvusSink.OnRefused.DEAD_LETTER, d -> {
                    throw new AssertionError("every operation would be dead-lettered: " + d);
                }, CONFIRMATION);
        assertThrows(SuppressRestartsException.class, () -> committer.apply(List.of(upsert(1))));
    }

    @Test
    void aRequestOverTheTargetsSizeLimitIsSentInHalvesUntilEachFitsNeverAsIs() throws Exception {
        List<List<Long>> sent = new ArrayList<>();
        TargetClient limited = new TargetClient() {
            @Override
            public boolean apply(TargetOperation op) {
                List<Long> keys = RawColumns.parse(op.getUpsert().getFieldsData(0)).getScalars().getLongData().getDataList();
                assertEquals(keys.size(),
                        RawColumns.parse(op.getUpsert().getFieldsData(1)).getVectors().getFloatVector().getDataCount() / 2);
                if (keys.size() > 2) {
                    throw new MilvusTargetException("RESOURCE_EXHAUSTED: message larger than max", Kind.TOO_LARGE, null);
                }
                sent.add(keys);
                return true;
            }

            @Override
            public void close() {}
        };
        committer(limited, Duration.ofMinutes(1)).apply(List.of(rows(1, 2, 3, 4, 5, 6, 7)));
        assertEquals(List.of(List.of(1L), List.of(2L, 3L), List.of(4L, 5L), List.of(6L, 7L)), sent,
                "every row once, in order, in parts the target takes");

        TargetClient never = new TargetClient() {
            @Override
            public boolean apply(TargetOperation op) {
                throw new MilvusTargetException("RESOURCE_EXHAUSTED: message larger than max", Kind.TOO_LARGE, null);
            }

            @Override
            public void close() {}
        };
        SuppressRestartsException stop = assertThrows(SuppressRestartsException.class,
                () -> committer(never, Duration.ofMinutes(1)).apply(List.of(rows(1, 2))));
        assertTrue(stop.getCause().getMessage().contains("larger than max"), "one row too large is refused for good");
    }

    /** An upsert of the keys with a 2-dim vector each. */
    private static TargetOperation rows(long... keys) {
        io.milvus.grpc.LongArray.Builder ids = io.milvus.grpc.LongArray.newBuilder();
        io.milvus.grpc.FloatArray.Builder vectors = io.milvus.grpc.FloatArray.newBuilder();
        for (long k : keys) {
            ids.addData(k);
            vectors.addData(k).addData(-k);
        }
        return TargetOperation.newBuilder().setDatabase("default").setCollection("orders").setTimestamp(1)
                .setUpsert(Upsert.newBuilder().setNumRows(keys.length).setPrimaryField("id")
                        .addFieldsData(io.milvus.grpc.FieldData.newBuilder().setFieldName("id")
                                .setType(io.milvus.grpc.DataType.Int64)
                                .setScalars(io.milvus.grpc.ScalarField.newBuilder().setLongData(ids)).build().toByteString())
                        .addFieldsData(io.milvus.grpc.FieldData.newBuilder().setFieldName("vec")
                                .setType(io.milvus.grpc.DataType.FloatVector)
                                .setVectors(io.milvus.grpc.VectorField.newBuilder().setDim(2).setFloatVector(vectors))
                                .build().toByteString()))
                .build();
    }

    @Test
    void transientAnswersAreRetriedInOrderUntilTheyPass() throws Exception {
        MilvusTargetException busy = new MilvusTargetException("rate limit", Kind.TRANSIENT, null);
        ScriptedClient client = new ScriptedClient(List.of(busy, busy));
        committer(client, Duration.ofMinutes(1)).apply(List.of(upsert(1), upsert(2)));
        assertEquals(List.of(1L, 2L), client.applied);
    }

    @Test
    void aTargetDownPastTheRetryTimeoutFailsOverInsteadOfDroppingTheOperation() {
        List<MilvusTargetException> down = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            down.add(new MilvusTargetException("UNAVAILABLE", Kind.TRANSIENT, null));
        }
        ScriptedClient client = new ScriptedClient(down);
        Exception e = assertThrows(java.io.IOException.class,
                () -> committer(client, Duration.ofMillis(300)).apply(List.of(upsert(1))));
        assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
        assertEquals(List.of(), client.applied);
    }

    /** Short, for the tests' speed; the job's is {@link MilvusCommitter#REFUSAL_CONFIRMATION}. */
    private static final Duration CONFIRMATION = Duration.ofMillis(300);

    private static MilvusCommitter committer(TargetClient client, Duration retryTimeout) {
        return new MilvusCommitter(new MilvusTargetConfig("http://127.0.0.1:1", null, retryTimeout),
                new UnregisteredMetricsGroup(), config -> client, MilvusSink.OnRefused.FAIL, d -> {
                    throw new AssertionError("dead-lettered with onRefused: fail: " + d);
                }, CONFIRMATION);
    }

    private static TargetOperation upsert(long timestamp) {
        return TargetOperation.newBuilder().setDatabase("default").setCollection("orders").setTimestamp(timestamp)
                .setUpsert(Upsert.newBuilder().setNumRows(1)).build();
    }

    /** Fails with the scripted exceptions first, then applies (records the timestamps). */
    private static final class ScriptedClient implements TargetClient {
        final List<MilvusTargetException> failures;
        final List<Long> applied = new ArrayList<>();
        long refusedTimestamp = -1;
        MilvusTargetException refusal;
        int refusals;

        /** Refuses the operation of {@code timestamp} every time it is sent. */
        static ScriptedClient refusingForGood(long timestamp, MilvusTargetException refusal) {
            ScriptedClient client = new ScriptedClient(List.of());
            client.refusedTimestamp = timestamp;
            client.refusal = refusal;
            return client;
        }

        ScriptedClient(List<MilvusTargetException> failures) {
            this.failures = new ArrayList<>(failures);
        }

        @Override
        public boolean apply(TargetOperation op) {
            if (op.getTimestamp() == refusedTimestamp) {
                refusals++;
                throw refusal;
            }
            if (!failures.isEmpty()) {
                throw failures.remove(0);
            }
            applied.add(op.getTimestamp());
            return true;
        }

        @Override
        public void close() {}
    }
}
