package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
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
 * <p>Applying reads the operations back in bounded chunks (a batch's rows or bytes) and hands
 * them to an {@link ApplyPipeline}: several requests in flight on worker threads, each after every
 * earlier one it conflicts with, while the task thread goes on with its input. When the pipeline
 * is full the task thread waits, running the pipeline's completions meanwhile (as Flink's
 * {@code AsyncWaitOperator} does): the job is back-pressured, and however large a backlog, only a
 * few chunks are on the heap. A chunk leaves the state once it and every chunk before it of its key
 * are applied, so that a failure replays, in order, a suffix of what was applied.
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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MilvusSinkOperator.class);

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
    private final int maxInFlight;

    private transient MapState<Long, byte[]> pending;
    private transient ValueState<Long> next;
    private transient ValueState<Long> first;
    /** Keys that received operations since their last apply → their next number. */
    private transient Map<Object, Long> nextByKey;
    /** Checkpoint id → each key's next number at its barrier, until the checkpoint completes. */
    private transient TreeMap<Long, Map<Object, Long>> barriers;
    private transient MilvusCommitter committer;
    private transient ApplyPipeline pipeline;
    private transient MailboxExecutor mailbox;
    /** Per key: the next number not yet handed to the pipeline (nothing is in flight after a restore). */
    private transient Map<Object, Long> submittedUpTo;
    /** Per key: chunks handed to the pipeline and not yet out of the state, by first number. */
    private transient Map<Object, TreeMap<Long, Chunk>> inFlight;
    /** At least once: operations not applied yet, in arrival order. */
    private transient OperationBatcher held;
    private transient boolean lingering;
    /** The last watermark (a source TSO) that reached this operator. */
    private transient volatile long watermark;
    /** Checkpoint id → the watermark at its barrier: what is applied once the checkpoint is. */
    private transient TreeMap<Long, Long> barrierWatermarks;
    /** The watermark of the last completed checkpoint. */
    private transient long completedWatermark;

    public MilvusSinkOperator(MilvusTargetConfig config, int maxRowsPerBatch, long maxBytesPerBatch,
            TargetClient.Factory clients, MilvusSink.OnRefused onRefused) {
        this(config, maxRowsPerBatch, maxBytesPerBatch, clients, onRefused, MilvusSink.Delivery.EXACTLY_ONCE);
    }

    public MilvusSinkOperator(MilvusTargetConfig config, int maxRowsPerBatch, long maxBytesPerBatch,
            TargetClient.Factory clients, MilvusSink.OnRefused onRefused, MilvusSink.Delivery delivery) {
        this(config, maxRowsPerBatch, maxBytesPerBatch, clients, onRefused, delivery, MilvusSink.DEFAULT_MAX_IN_FLIGHT);
    }

    public MilvusSinkOperator(MilvusTargetConfig config, int maxRowsPerBatch, long maxBytesPerBatch,
            TargetClient.Factory clients, MilvusSink.OnRefused onRefused, MilvusSink.Delivery delivery, int maxInFlight) {
        // Chained to the operator before it where the stream is forwarded (an operator's default
        // is to start a chain): every row would otherwise be serialized and read back once more.
        setChainingStrategy(ChainingStrategy.ALWAYS);
        this.maxInFlight = maxInFlight;
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
        HeapRegionCheck.warnIfSmall(LOG);
        pending = getKeyedStateStore().getMapState(
                new MapStateDescriptor<>(PENDING, Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        next = getKeyedStateStore().getState(new ValueStateDescriptor<>(NEXT, Types.LONG));
        first = getKeyedStateStore().getState(new ValueStateDescriptor<>(FIRST, Types.LONG));
        nextByKey = new HashMap<>();
        barriers = new TreeMap<>();
        barrierWatermarks = new TreeMap<>();
        held = new OperationBatcher(maxRowsPerBatch, maxBytesPerBatch);
        submittedUpTo = new HashMap<>();
        inFlight = new HashMap<>();
        mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
        committer = new MilvusCommitter(config, getMetricGroup(), clients, onRefused,
                deadLetter -> mailbox.execute(() -> output.collect(new StreamRecord<>(deadLetter)), "dead letter"));
        // How far behind the wall clock the source's time ticks that reached the sink are (-1: none yet).
        getMetricGroup().gauge("watermarkLagMs", () -> watermark <= 0 ? -1L
                : Math.max(0L, System.currentTimeMillis() - io.milvuscdc.connectors.event.Tso.toMillis(watermark)));
        pipeline = new ApplyPipeline(committer::apply, done -> mailbox.execute(done::run, "operations applied"),
                maxInFlight, Math.max(maxBytesPerBatch, 1) * 2);
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
        pipeline.checkFailure();
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

    @Override
    public void processWatermark(org.apache.flink.streaming.api.watermark.Watermark mark) throws Exception {
        watermark = Math.max(watermark, mark.getTimestamp());
        super.processWatermark(mark);
    }

    /** At least once: everything before the barrier is applied before the barrier goes on. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (atLeastOnce) {
            applyHeld();
            awaitIdle();
            committer.collections().caughtUpTo(watermark);
        }
    }

    @Override
    public void finish() throws Exception {
        applyHeld();
        awaitIdle();
        super.finish();
    }

    private void applyHeld() throws Exception {
        lingering = false;
        if (!held.isEmpty()) {
            awaitCapacity();
            pipeline.submit(held.drain(), () -> { });
        }
    }

    /** Runs the pipeline's completions (and other mails) until it has room. */
    private void awaitCapacity() throws Exception {
        while (!pipeline.hasCapacity()) {
            pipeline.checkFailure();
            mailbox.yield();
        }
        pipeline.checkFailure();
    }

    /** Whether everything handed to the target has been applied and recorded as such (tests). */
    boolean isIdle() {
        return pipeline.isIdle();
    }

    private void awaitIdle() throws Exception {
        while (!pipeline.isIdle()) {
            pipeline.checkFailure();
            mailbox.yield();
        }
        pipeline.checkFailure();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (!nextByKey.isEmpty()) {
            barriers.put(context.getCheckpointId(), new HashMap<>(nextByKey));
        }
        barrierWatermarks.put(context.getCheckpointId(), watermark);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        // A completed checkpoint covers earlier ones whose notification never came (aborted ones too).
        Map<Object, Long> due = new HashMap<>();
        Map<Long, Map<Object, Long>> covered = barriers.headMap(checkpointId, true);
        covered.values().forEach(m -> m.forEach((k, v) -> due.merge(k, v, Math::max)));
        covered.clear();
        Map<Long, Long> marks = barrierWatermarks.headMap(checkpointId, true);
        marks.values().forEach(w -> completedWatermark = Math.max(completedWatermark, w));
        marks.clear();
        for (Map.Entry<Object, Long> e : due.entrySet()) {
            setCurrentKey(e.getKey());
            apply(e.getKey(), e.getValue());
        }
        reportCaughtUp();
    }

    /** With nothing in flight, everything up to the last completed checkpoint's watermark is applied. */
    private void reportCaughtUp() {
        if (inFlight.isEmpty() && !atLeastOnce) {
            committer.collections().caughtUpTo(completedWatermark);
        }
    }

    /**
     * Hands the current key's operations numbered below {@code upTo} to the pipeline, one bounded
     * chunk at a time; what an earlier call handed over already is not read again.
     */
    private void apply(Object key, long upTo) throws Exception {
        long from = Math.max(valueOr(first, 0), submittedUpTo.getOrDefault(key, 0L));
        OperationBatcher batcher = new OperationBatcher(maxRowsPerBatch, maxBytesPerBatch);
        long chunkStart = from;
        for (long seq = from; seq < upTo; seq++) {
            byte[] bytes = pending.get(seq);
            if (bytes != null) {
                batcher.add(TargetOperation.parseFrom(bytes));
            }
            if (seq == upTo - 1 || batcher.rows() >= maxRowsPerBatch || batcher.bytes() >= maxBytesPerBatch) {
                long start = chunkStart;
                long end = seq + 1;
                Chunk chunk = new Chunk(end);
                inFlight.computeIfAbsent(key, k -> new TreeMap<>()).put(start, chunk);
                submittedUpTo.put(key, end);
                pipeline.submit(batcher.drain(), () -> applied(key, chunk));
                chunkStart = end;
                awaitCapacity(); // runs completions, which move the current key
                setCurrentKey(key);
            }
        }
        if (nextByKey.getOrDefault(key, upTo) <= upTo) {
            nextByKey.remove(key); // nothing newer arrived: no barrier needs this key until it does
        }
    }

    /** A chunk was applied: it and the applied ones after it leave the state once all before them have. */
    private void applied(Object key, Chunk applied) throws Exception {
        applied.done = true;
        TreeMap<Long, Chunk> chunks = inFlight.get(key);
        setCurrentKey(key);
        while (!chunks.isEmpty() && chunks.firstEntry().getValue().done) {
            Map.Entry<Long, Chunk> chunk = chunks.pollFirstEntry();
            for (long seq = chunk.getKey(); seq < chunk.getValue().end; seq++) {
                pending.remove(seq);
            }
            first.update(chunk.getValue().end);
        }
        if (chunks.isEmpty()) {
            inFlight.remove(key);
        }
        reportCaughtUp();
    }

    /** Operations numbered up to {@code end} (exclusive) handed to the pipeline as one submission. */
    private static final class Chunk {
        final long end;
        boolean done;

        Chunk(long end) {
            this.end = end;
        }
    }

    private static long valueOr(ValueState<Long> state, long fallback) throws Exception {
        Long value = state.value();
        return value == null ? fallback : value;
    }

    @Override
    public void close() throws Exception {
        try {
            if (pipeline != null) {
                pipeline.close();
            }
            if (committer != null) {
                committer.close();
            }
        } finally {
            super.close();
        }
    }
}
