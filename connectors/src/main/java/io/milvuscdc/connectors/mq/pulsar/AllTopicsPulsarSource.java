package io.milvuscdc.connectors.mq.pulsar;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.connector.pulsar.source.PulsarSource;
import org.apache.flink.connector.pulsar.source.enumerator.PulsarSourceEnumState;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * A {@link PulsarSource} whose non-partitioned topics are read at any parallelism.
 *
 * <p>The connector (4.1.0-1.18) gives a topic's split to reader {@code (h + partitionId) % p}; a
 * non-partitioned topic has partition id -1, so the topics whose {@code h} is 0 go to reader -1,
 * which never exists, and are never read (FLINK-34629). Every Milvus channel is such a topic. This
 * wrapper presents a reader -1 to the connector's enumerator and hands what the enumerator gives
 * it to reader {@code h} instead. Readers, splits, their state and serializers are the connector's
 * own, so checkpoints and savepoints are unchanged.
 */
public final class AllTopicsPulsarSource<T>
        implements Source<T, PulsarPartitionSplit, PulsarSourceEnumState>, ResultTypeQueryable<T> {

    private static final long serialVersionUID = 1L;
    /** The reader the connector assigns some non-partitioned topics to. */
    static final int MISSING_READER = -1;

    private final PulsarSource<T> delegate;

    public AllTopicsPulsarSource(PulsarSource<T> delegate) {
        this.delegate = delegate;
    }

    @Override
    public Boundedness getBoundedness() {
        return delegate.getBoundedness();
    }

    @Override
    public SourceReader<T, PulsarPartitionSplit> createReader(SourceReaderContext readerContext) throws Exception {
        return delegate.createReader(readerContext);
    }

    @Override
    public SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> createEnumerator(
            SplitEnumeratorContext<PulsarPartitionSplit> context) throws Exception {
        RedirectingContext redirecting = new RedirectingContext(context);
        return new Enumerator(delegate.createEnumerator(redirecting), redirecting);
    }

    @Override
    public SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> restoreEnumerator(
            SplitEnumeratorContext<PulsarPartitionSplit> context, PulsarSourceEnumState state) throws Exception {
        RedirectingContext redirecting = new RedirectingContext(context);
        return new Enumerator(delegate.restoreEnumerator(redirecting, state), redirecting);
    }

    @Override
    public SimpleVersionedSerializer<PulsarPartitionSplit> getSplitSerializer() {
        return delegate.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<PulsarSourceEnumState> getEnumeratorCheckpointSerializer() {
        return delegate.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return delegate.getProducedType();
    }

    /** The reader a split the connector gave to reader -1 goes to: where its topic's hash points. */
    static int ownerOfOrphan(PulsarPartitionSplit split, int parallelism) {
        return ((split.getPartition().getTopic().hashCode() * 31) & Integer.MAX_VALUE) % parallelism;
    }

    /** After each reader (and each split given back), asks the enumerator for reader -1's splits too. */
    private static final class Enumerator implements SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> {
        private final SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> delegate;
        private final RedirectingContext context;

        Enumerator(SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> delegate, RedirectingContext context) {
            this.delegate = delegate;
            this.context = context;
        }

        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {
            delegate.handleSplitRequest(subtaskId, requesterHostname);
        }

        @Override
        public void addSplitsBack(List<PulsarPartitionSplit> splits, int subtaskId) {
            delegate.addSplitsBack(splits, subtaskId);
            delegate.addReader(MISSING_READER);
            context.assignHeld();
        }

        /**
         * Reader -1's splits first: the connector signals "no more splits" to a reader right after
         * its own (without periodic discovery), and a reader with none then finishes.
         */
        @Override
        public void addReader(int subtaskId) {
            delegate.addReader(MISSING_READER);
            context.assignHeld();
            delegate.addReader(subtaskId);
        }

        @Override
        public PulsarSourceEnumState snapshotState(long checkpointId) throws Exception {
            return delegate.snapshotState(checkpointId);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            delegate.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
            delegate.handleSourceEvent(subtaskId, sourceEvent);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }

    /**
     * The enumerator's view of the runtime: reader -1 looks registered, and its splits go to a
     * real reader once that one has registered (held until then, as the connector holds its own).
     */
    static final class RedirectingContext implements SplitEnumeratorContext<PulsarPartitionSplit> {
        private final SplitEnumeratorContext<PulsarPartitionSplit> context;
        private final Map<Integer, List<PulsarPartitionSplit>> held = new HashMap<>();

        RedirectingContext(SplitEnumeratorContext<PulsarPartitionSplit> context) {
            this.context = context;
        }

        @Override
        public Map<Integer, ReaderInfo> registeredReaders() {
            Map<Integer, ReaderInfo> readers = new HashMap<>(context.registeredReaders());
            readers.put(MISSING_READER, new ReaderInfo(MISSING_READER, "(none: FLINK-34629)"));
            return readers;
        }

        @Override
        public void assignSplits(SplitsAssignment<PulsarPartitionSplit> assignment) {
            Map<Integer, List<PulsarPartitionSplit>> real = new HashMap<>();
            assignment.assignment().forEach((reader, splits) -> {
                if (reader == MISSING_READER) {
                    for (PulsarPartitionSplit split : splits) {
                        held.computeIfAbsent(ownerOfOrphan(split, context.currentParallelism()), r -> new ArrayList<>())
                                .add(split);
                    }
                } else {
                    real.computeIfAbsent(reader, r -> new ArrayList<>()).addAll(splits);
                }
            });
            if (!real.isEmpty()) {
                context.assignSplits(new SplitsAssignment<>(real));
            }
            assignHeld();
        }

        /** Hands held splits to their readers that have registered. */
        void assignHeld() {
            Map<Integer, List<PulsarPartitionSplit>> ready = new HashMap<>();
            for (Integer reader : context.registeredReaders().keySet()) {
                List<PulsarPartitionSplit> splits = held.remove(reader);
                if (splits != null) {
                    ready.put(reader, splits);
                }
            }
            if (!ready.isEmpty()) {
                context.assignSplits(new SplitsAssignment<>(ready));
            }
        }

        @Override
        public void signalNoMoreSplits(int subtask) {
            if (subtask != MISSING_READER) {
                context.signalNoMoreSplits(subtask);
            }
        }

        @Override
        public SplitEnumeratorMetricGroup metricGroup() {
            return context.metricGroup();
        }

        @Override
        public void sendEventToSourceReader(int subtaskId, SourceEvent event) {
            context.sendEventToSourceReader(subtaskId, event);
        }

        @Override
        public void sendEventToSourceReader(int subtaskId, int attemptNumber, SourceEvent event) {
            context.sendEventToSourceReader(subtaskId, attemptNumber, event);
        }

        @Override
        public int currentParallelism() {
            return context.currentParallelism();
        }

        @Override
        public Map<Integer, Map<Integer, ReaderInfo>> registeredReadersOfAttempts() {
            return context.registeredReadersOfAttempts();
        }

        @Override
        public <T> void callAsync(Callable<T> callable, BiConsumer<T, Throwable> handler) {
            context.callAsync(callable, handler);
        }

        @Override
        public <T> void callAsync(Callable<T> callable, BiConsumer<T, Throwable> handler, long initialDelay, long period) {
            context.callAsync(callable, handler, initialDelay, period);
        }

        @Override
        public void runInCoordinatorThread(Runnable runnable) {
            context.runInCoordinatorThread(runnable);
        }

        @Override
        public void setIsProcessingBacklog(boolean isProcessingBacklog) {
            context.setIsProcessingBacklog(isProcessingBacklog);
        }
    }
}
