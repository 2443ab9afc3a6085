package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
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
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(Code.UNAVAILABLE));
        assertEquals(Kind.TRANSIENT, TargetMilvusClient.classify(Code.DEADLINE_EXCEEDED));
        assertEquals(Kind.REFUSED, TargetMilvusClient.classify(Code.RESOURCE_EXHAUSTED), "over the message size: never as is");
        assertEquals(Kind.TARGET_CANNOT_WRITE, TargetMilvusClient.classify(Code.UNAUTHENTICATED));
    }

    @Test
    void aRefusingTargetStopsTheJobWithTheFixAndNothingCountsAsDone() {
        MilvusTargetException denied = new MilvusTargetException("Target Milvus refused to upsert: "
                + DENY_PRODUCE.getReason() + ". ... set common.ttMsgEnabled: true on the target", Kind.TARGET_CANNOT_WRITE, null);
        ScriptedClient client = new ScriptedClient(List.of(denied));
        MilvusCommitter committer = committer(client, Duration.ofMinutes(1));
        SuppressRestartsException stop = assertThrows(SuppressRestartsException.class,
                () -> committer.apply(List.of(upsert(1), upsert(2))));
        assertTrue(stop.getCause().getMessage().contains("ttMsgEnabled: true"), stop.getCause().getMessage());
        assertEquals(List.of(), client.applied, "neither the refused operation nor any after it is done");
    }

    @Test
    void aRefusedOperationStopsTheJobNamingCollectionAndOperation() {
        ScriptedClient client = new ScriptedClient(List.of(new MilvusTargetException("schema differs", Kind.REFUSED, null)));
        MilvusCommitter committer = committer(client, Duration.ofMinutes(1));
        SuppressRestartsException stop = assertThrows(SuppressRestartsException.class,
                () -> committer.apply(List.of(upsert(1))));
        assertTrue(stop.getCause().getMessage().contains("upsert on default.orders"), stop.getCause().getMessage());
        assertTrue(stop.getCause().getMessage().contains("schema differs"));
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

    private static MilvusCommitter committer(TargetClient client, Duration retryTimeout) {
        return new MilvusCommitter(new MilvusTargetConfig("http://127.0.0.1:1", null, retryTimeout),
                new UnregisteredMetricsGroup(), config -> client);
    }

    private static TargetOperation upsert(long timestamp) {
        return TargetOperation.newBuilder().setDatabase("default").setCollection("orders").setTimestamp(timestamp)
                .setUpsert(Upsert.newBuilder().setNumRows(1)).build();
    }

    /** Fails with the scripted exceptions first, then applies (records the timestamps). */
    private static final class ScriptedClient implements TargetClient {
        final List<MilvusTargetException> failures;
        final List<Long> applied = new ArrayList<>();

        ScriptedClient(List<MilvusTargetException> failures) {
            this.failures = new ArrayList<>(failures);
        }

        @Override
        public boolean apply(TargetOperation op) {
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
