package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException.Kind;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The submission's write check: what each answer of the target means for starting the job. */
class TargetWriteProbeTest {

    @Test
    void aTargetThatTakesWritesGetsAScratchCollectionCreatedWrittenAndDropped() {
        Target target = new Target(null);
        TargetWriteProbe.check(target);
        assertEquals(List.of("CREATE_COLLECTION", "UPSERT", "DROP_COLLECTION"), target.calls);
        assertTrue(target.collection.startsWith(TargetWriteProbe.PREFIX));
    }

    /** What a 2.3.5 target with {@code common.ttMsgEnabled: false} answers (code 1303), as the client classifies it. */
    @Test
    void aTargetInReplicateModeStopsTheSubmissionAndTheScratchCollectionIsDropped() {
        Target target = new Target(new MilvusTargetException("Target Milvus refused to upsert 1 rows: UnexpectedError (code 1303) "
                + "deny to write the message to mq. ... set common.ttMsgEnabled: true on the target", Kind.TARGET_CANNOT_WRITE, null));
        MilvusTargetException e = assertThrows(MilvusTargetException.class, () -> TargetWriteProbe.check(target));
        assertTrue(e.getMessage().contains("ttMsgEnabled: true"), e.getMessage());
        assertEquals(List.of("CREATE_COLLECTION", "UPSERT", "DROP_COLLECTION"), target.calls);
    }

    @Test
    void aTargetThatDoesNotAnswerStopsTheSubmission() {
        Target target = new Target(new MilvusTargetException("UNAVAILABLE", Kind.TRANSIENT, null));
        MilvusTargetException e = assertThrows(MilvusTargetException.class, () -> TargetWriteProbe.check(target));
        assertEquals(Kind.TRANSIENT, e.kind());
    }

    @Test
    void aProbeOperationRefusedForAnotherReasonDoesNotStopTheSubmission() {
        Target target = new Target(new MilvusTargetException("collection name too long", Kind.REFUSED, null));
        assertDoesNotThrow(() -> TargetWriteProbe.check(target));
    }

    /** Answers every call, but fails the upsert with {@code upsertFailure} if set. */
    private static final class Target implements TargetClient {
        final List<String> calls = new ArrayList<>();
        final MilvusTargetException upsertFailure;
        String collection;

        Target(MilvusTargetException upsertFailure) {
            this.upsertFailure = upsertFailure;
        }

        @Override
        public boolean apply(TargetOperation op) {
            calls.add(op.getKindCase().name());
            collection = op.getCollection();
            if (op.hasUpsert() && upsertFailure != null) {
                throw upsertFailure;
            }
            return true;
        }

        @Override
        public void close() {}
    }
}
