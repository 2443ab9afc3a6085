package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Applies each completed checkpoint's operations to the target, per key (target database) in
 * arrival order, exactly once in effect.
 *
 * <p>Operations wait in keyed state (RocksDB in the job: on disk, checkpointed incrementally),
 * numbered per key as they arrive. A checkpoint records, on the heap, each key's next number at
 * its barrier; once Flink reports the checkpoint complete, every operation before that number is
 * applied and removed. A failure replays from the restored checkpoint: what it holds was complete,
 * so it is applied when the operator opens, before new input; operations are idempotent, so those
 * already applied before the failure apply again to the same end.
 *
 * <p>Applying reads the operations back in bounded chunks (a batch's rows or bytes) and runs in
 * the task's thread: while the target takes them, the job is back-pressured, and however large a
 * backlog, only one chunk is on the heap.
 *
 * <p>With {@link MilvusSink.Delivery#AT_LEAST_ONCE} operations are applied as they come instead:
 * held on the heap for at most {@link #LINGER_MS} (or until a batch is full) to be merged, and all
 * applied before the operator passes a checkpoint barrier on, so that a checkpoint covers only
 * applied operations and needs no state of its own. After a failure the sources replay from the
 * checkpoint, and what was applied since is applied again, in the same order: idempotent, it
 * converges to the same end. Operations restored from an exactly-once checkpoint are applied
 * when the operator opens either way, so a savepoint moves between the modes.
 *
 * <p>Its output is what the target refused for good, as dead letters (with
 * {@link MilvusSink.OnRefused#DEAD_LETTER}). They are emitted when a checkpoint completes (as
 * Flink's own committer operator emits its committables), so after a failure the restored
 * operations are applied again and a refusal is dead-lettered again: at least once, never lost.
 */
public final class MilvusSinkOperator extends AbstractStreamOperator<DeadLetter>
        implements OneInputStreamOperator<OperationRecord, DeadLetter> {

    private static final long serialVersionUID = 1L;

    static final String PENDING = "pending-operations";
    static final String NEXT = "next-sequence";
    static final String FIRST = "first-unapplied";
    /** At least once: how long an operation may wait to be merged with the next ones. */
    static final long LINGER_MS = 20;

    private final MilvusTargetConfig config;
    private final int maxRowsPerBatch;
    private final long maxBytesPerBatch;
    private final TargetClient.Factory clients;
    private final MilvusSink.OnRefused onRefused;
    private final boolean atLeastOnce;

    private transient MapState<Long, byte[]> pending;
    private transient ValueState<Long> next;
    private transient ValueState<Long> first;
    /** Keys that received operations since their last apply → their next number. */
    private transient Map<Object, Long> nextByKey;
    /** Checkpoint id → each key's next number at its barrier, until the checkpoint completes. */
    private transient TreeMap<Long, Map<Object, Long>> barriers;
    private transient MilvusCommitter committer;
    /** At least once: operations not applied yet, in arrival order. */
    private transient OperationBatcher held;
    private transient boolean lingering;

    public MilvusSinkOperator(MilvusTargetConfig config, int maxRowsPerBatch, long maxBytesPerBatch,
            TargetClient.Factory clients, MilvusSink.OnRefused onRefused) {
        this(config, maxRowsPerBatch, maxBytesPerBatch, clients, onRefused, MilvusSink.Delivery.EXACTLY_ONCE);
    }

    public MilvusSinkOperator(MilvusTargetConfig config, int maxRowsPerBatch, long maxBytesPerBatch,
            TargetClient.Factory clients, MilvusSink.OnRefused onRefused, MilvusSink.Delivery delivery) {
        this.config = config;
        this.onRefused = onRefused;
        this.atLeastOnce = delivery == MilvusSink.Delivery.AT_LEAST_ONCE;
        this.maxRowsPerBatch = maxRowsPerBatch;
        this.maxBytesPerBatch = maxBytesPerBatch;
        this.clients = clients;
    }

    @Override
    public void open() throws Exception {
        super.open();
        pending = getKeyedStateStore().getMapState(
                new MapStateDescriptor<>(PENDING, Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        next = getKeyedStateStore().getState(new ValueStateDescriptor<>(NEXT, Types.LONG));
        first = getKeyedStateStore().getState(new ValueStateDescriptor<>(FIRST, Types.LONG));
        nextByKey = new HashMap<>();
        barriers = new TreeMap<>();
        held = new OperationBatcher(maxRowsPerBatch, maxBytesPerBatch);
        committer = new MilvusCommitter(config, getMetricGroup(), clients, onRefused,
                deadLetter -> output.collect(new StreamRecord<>(deadLetter)));
        // Everything a restored checkpoint holds was part of a complete checkpoint.
        List<Object> restored = new ArrayList<>();
        try (Stream<Object> keys = getKeyedStateBackend().getKeys(NEXT, VoidNamespace.INSTANCE)) {
            keys.forEach(restored::add);
        }
        for (Object key : restored) {
            setCurrentKey(key);
            apply(key, valueOr(next, 0));
        }
    }

    @Override
    public void processElement(StreamRecord<OperationRecord> element) throws Exception {
        if (atLeastOnce) {
            held.add(element.getValue().decode());
            if (held.rows() >= maxRowsPerBatch || held.bytes() >= maxBytesPerBatch) {
                applyHeld();
            } else if (!lingering) {
                lingering = true;
                ProcessingTimeService time = getProcessingTimeService();
                time.registerTimer(time.getCurrentProcessingTime() + LINGER_MS, t -> applyHeld());
            }
            return;
        }
        Object key = getCurrentKey();
        Long known = nextByKey.get(key);
        long seq = known != null ? known : valueOr(next, 0);
        pending.put(seq, element.getValue().operation);
        next.update(seq + 1);
        nextByKey.put(key, seq + 1);
    }

    /** At least once: everything before the barrier is applied before the barrier goes on. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        applyHeld();
    }

    @Override
    public void finish() throws Exception {
        applyHeld();
        super.finish();
    }

    private void applyHeld() throws Exception {
        lingering = false;
        if (!held.isEmpty()) {
            committer.apply(held.drain());
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (!nextByKey.isEmpty()) {
            barriers.put(context.getCheckpointId(), new HashMap<>(nextByKey));
        }
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        // A completed checkpoint covers earlier ones whose notification never came (aborted ones too).
        Map<Object, Long> due = new HashMap<>();
        Map<Long, Map<Object, Long>> covered = barriers.headMap(checkpointId, true);
        covered.values().forEach(m -> m.forEach((k, v) -> due.merge(k, v, Math::max)));
        covered.clear();
        for (Map.Entry<Object, Long> e : due.entrySet()) {
            setCurrentKey(e.getKey());
            apply(e.getKey(), e.getValue());
        }
    }

    /** Applies the current key's operations numbered below {@code upTo}, one bounded chunk at a time. */
    private void apply(Object key, long upTo) throws Exception {
        long from = valueOr(first, 0);
        OperationBatcher batcher = new OperationBatcher(maxRowsPerBatch, maxBytesPerBatch);
        long chunkStart = from;
        for (long seq = from; seq < upTo; seq++) {
            byte[] bytes = pending.get(seq);
            if (bytes != null) {
                batcher.add(TargetOperation.parseFrom(bytes));
            }
            if (seq == upTo - 1 || batcher.rows() >= maxRowsPerBatch || batcher.bytes() >= maxBytesPerBatch) {
                committer.apply(batcher.drain());
                for (long done = chunkStart; done <= seq; done++) {
                    pending.remove(done);
                }
                first.update(seq + 1);
                chunkStart = seq + 1;
            }
        }
        if (nextByKey.getOrDefault(key, upTo) <= upTo) {
            nextByKey.remove(key); // nothing newer arrived: no barrier needs this key until it does
        }
    }

    private static long valueOr(ValueState<Long> state, long fallback) throws Exception {
        Long value = state.value();
        return value == null ? fallback : value;
    }

    @Override
    public void close() throws Exception {
        try {
            if (committer != null) {
                committer.close();
            }
        } finally {
            super.close();
        }
    }
}
