package io.milvuscdc.connectors.meta.source.reader;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.meta.proto.PartitionInfo;
import io.milvuscdc.connectors.meta.source.MetaSourceConfig;
import io.milvuscdc.connectors.meta.source.split.MetaSplit;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.milvus.grpc.FieldSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;

/**
 * Reads the source catalog from etcd: a snapshot at one revision, then a watch from the
 * next. Every watch response is handled whole within one {@link #pollNext} call, so the
 * revision in a checkpoint always marks a point where all earlier changes were emitted.
 *
 * <p>The reader's watermark says that every collection created before it is known downstream, so
 * that a replicate-channel command (index, load, ...) waits until the catalog shows the collection
 * that existed at its timestamp, not only for the DML channels. It is {@link #CATALOG_LAG} before
 * the moment of the last read of etcd that found no catalog key changed after the last emitted
 * event. An empty watch queue proves nothing: right after a restore the watch has not yet
 * delivered what changed since the checkpoint's revision.
 */
public final class MetaSourceReader implements SourceReader<ChangeRecord, MetaSplit> {

    private static final Logger LOG = LoggerFactory.getLogger(MetaSourceReader.class);

    /** How far behind the wall clock the catalog's watermark stays: the watch's latency and clock skew. */
    public static final java.time.Duration CATALOG_LAG = java.time.Duration.ofSeconds(2);
    private static final long TICK_MS = 200;
    /** How often etcd is asked whether the catalog changed after the last emitted event. */
    private static final long COMPLETENESS_CHECK_MS = 500;
    /** A watch that keeps failing this long (etcd down) fails the reader: the job fails over. */
    static final long WATCH_RETRY_TIMEOUT_MS = 120_000;
    /** Queued by the ticker: watch again from the last emitted revision. */
    private static final Object REWATCH = new Object();

    private final MetaSourceConfig config;
    private final SourceReaderContext context;
    private final CatalogDecoder decoder;
    private final ConcurrentLinkedQueue<Object> watched = new ConcurrentLinkedQueue<>();
    private CompletableFuture<Void> available = new CompletableFuture<>();

    private Client client;
    private Watch.Watcher watcher;
    private java.util.concurrent.ScheduledExecutorService ticker;
    private boolean hasSplit;
    private boolean needsBootstrap;
    /** Revision of the last emitted catalog change; only ever advanced after the emit. */
    private volatile long revision;
    /** Wall-clock time of the last read that found nothing after {@link #revision}; MIN_VALUE before any. */
    private volatile long completeAtMs = Long.MIN_VALUE;
    private final java.util.concurrent.atomic.AtomicBoolean checking = new java.util.concurrent.atomic.AtomicBoolean();
    private long lastCheckMs;
    /** Since when the watch fails without a response in between; 0 while it works. */
    private long watchFailingSinceMs;

    public MetaSourceReader(MetaSourceConfig config, SourceReaderContext context) {
        this.config = config;
        this.context = context;
        this.decoder = new CatalogDecoder(config.rootCoordPrefix());
    }

    @Override
    public void start() {
        client = config.newClient();
        // Wakes the reader while etcd is quiet, so that its watermark keeps moving.
        ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "milvus-meta-source-ticker");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::signal, TICK_MS, TICK_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void addSplits(List<MetaSplit> splits) {
        if (splits.isEmpty()) {
            return;
        }
        revision = splits.get(0).revision();
        hasSplit = true;
        needsBootstrap = true;
        signal();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<ChangeRecord> output) throws Exception {
        if (!hasSplit) {
            return InputStatus.NOTHING_AVAILABLE;
        }
        if (needsBootstrap) {
            bootstrap(output);
            needsBootstrap = false;
            return InputStatus.MORE_AVAILABLE;
        }
        Object next = watched.poll();
        if (next == null) {
            checkCompleteness();
            long completeAt = completeAtMs;
            if (completeAt != Long.MIN_VALUE) {
                output.emitWatermark(new org.apache.flink.api.common.eventtime.Watermark(
                        io.milvuscdc.connectors.event.Tso.ofMillis(completeAt - CATALOG_LAG.toMillis())));
            }
            synchronized (this) {
                if (watched.isEmpty()) {
                    available = new CompletableFuture<>();
                }
            }
            return watched.isEmpty() ? InputStatus.NOTHING_AVAILABLE : InputStatus.MORE_AVAILABLE;
        }
        if (next == REWATCH) {
            watch();
            return InputStatus.MORE_AVAILABLE;
        }
        if (next instanceof Throwable) {
            rewatchOrFail((Throwable) next);
            return InputStatus.MORE_AVAILABLE;
        }
        watchFailingSinceMs = 0;
        WatchResponse response = (WatchResponse) next;
        for (WatchEvent event : response.getEvents()) {
            KeyValue kv = event.getKeyValue();
            byte[] value = event.getEventType() == WatchEvent.EventType.DELETE ? null : kv.getValue().getBytes();
            emit(output, kv.getKey().toString(StandardCharsets.UTF_8), value, kv.getModRevision());
            // The last event's revision, not the header's: a restore watches on from exactly there.
            revision = Math.max(revision, kv.getModRevision());
        }
        return InputStatus.MORE_AVAILABLE;
    }

    /**
     * Asks etcd, at most every {@link #COMPLETENESS_CHECK_MS}, for catalog keys changed after the
     * last emitted event. None: every catalog change made before the question is out.
     */
    private void checkCompleteness() {
        long now = System.currentTimeMillis();
        if (now - lastCheckMs < COMPLETENESS_CHECK_MS || !checking.compareAndSet(false, true)) {
            return;
        }
        lastCheckMs = now;
        long emitted = revision;
        // Filtered by revision on the server; keys only. (A count-only answer ignores the filter.)
        client.getKVClient().get(bytes(config.rootCoordPrefix()), GetOption.builder().isPrefix(true).withKeysOnly(true)
                        .withMinModRevision(emitted + 1).build())
                .whenComplete((response, error) -> {
                    if (error == null && response.getKvs().isEmpty()) {
                        completeAtMs = Math.max(completeAtMs, now);
                    }
                    checking.set(false);
                });
    }

    /** A snapshot when starting afresh; after a restore, only the catalog's memory is rebuilt. */
    private void bootstrap(ReaderOutput<ChangeRecord> output) throws Exception {
        ByteSequence prefix = bytes(config.rootCoordPrefix());
        GetResponse snapshot;
        boolean emitSnapshot = revision == 0;
        try {
            GetOption.Builder option = GetOption.builder().isPrefix(true);
            if (!emitSnapshot) {
                option.withRevision(revision);
            }
            snapshot = client.getKVClient().get(prefix, option.build()).get();
        } catch (ExecutionException e) {
            if (!isCompaction(e.getCause())) {
                throw e; // etcd down or refusing: the job fails over and tries again
            }
            // The checkpoint's revision was compacted away while the job was down: a fresh
            // snapshot, emitted whole (collections and every partition): what downstream knows
            // already is ignored there, what was created in the gap is announced.
            LOG.warn("etcd revision {} is compacted away ({}); reading the catalog anew", revision, e.getCause().toString());
            emitSnapshot = true;
            snapshot = client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build()).get();
        }
        long snapshotRevision = emitSnapshot ? snapshot.getHeader().getRevision() : revision;
        List<KeyValue> kvs = new ArrayList<>(snapshot.getKvs());
        // Databases first, so that collections find their database's name.
        kvs.sort((a, b) -> Boolean.compare(!isDbKey(a), !isDbKey(b)));
        SnapshotParts parts = new SnapshotParts(kvs, config.rootCoordPrefix());
        List<ChangeEvent> events = new ArrayList<>();
        for (KeyValue kv : kvs) {
            decoder.apply(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(), snapshotRevision, parts)
                    .ifPresent(events::add);
        }
        if (emitSnapshot) {
            events.forEach(e -> output.collect(ChangeRecord.of(e)));
            if (revision != 0) {
                // After a compaction gap: partitions of collections created before it.
                for (KeyValue kv : kvs) {
                    decoder.partitionOfKnownCollection(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(),
                            snapshotRevision).ifPresent(e -> output.collect(ChangeRecord.of(e)));
                }
            }
        }
        LOG.info("Source catalog read at etcd revision {}: {} collections{}", snapshotRevision, events.size(),
                emitSnapshot ? " emitted" : " (restored, not emitted again)");
        revision = snapshotRevision;
        watch();
    }

    private void watch() {
        if (watcher != null) {
            watcher.close();
        }
        watcher = client.getWatchClient().watch(bytes(config.rootCoordPrefix()),
                WatchOption.builder().isPrefix(true).withRevision(revision + 1).build(),
                Watch.listener(r -> enqueue(r), e -> enqueue(e)));
    }

    /**
     * etcd restarting or a network blip ends the watch: it is opened again from the last emitted
     * revision, nothing missed, every second until {@link #WATCH_RETRY_TIMEOUT_MS}. A compacted
     * revision cannot be watched from: the failover re-reads the catalog (see {@link #bootstrap}).
     */
    private void rewatchOrFail(Throwable error) {
        long now = System.currentTimeMillis();
        if (watchFailingSinceMs == 0) {
            watchFailingSinceMs = now;
        }
        if (isCompaction(error) || now - watchFailingSinceMs > WATCH_RETRY_TIMEOUT_MS) {
            throw new RuntimeException("Watching the source etcd failed at revision " + revision, error);
        }
        LOG.warn("Watching the source etcd failed at revision {} ({}); watching again from there in 1 s", revision,
                error.getMessage());
        ticker.schedule(() -> enqueue(REWATCH), 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** etcd's answer for a revision older than its last compaction. */
    static boolean isCompaction(Throwable cause) {
        return cause instanceof io.etcd.jetcd.common.exception.CompactedException
                || cause != null && String.valueOf(cause.getMessage()).contains("required revision has been compacted");
    }

    private boolean isDbKey(KeyValue kv) {
        return kv.getKey().toString(StandardCharsets.UTF_8).contains("/database/db-info/");
    }

    private void emit(ReaderOutput<ChangeRecord> output, String key, byte[] value, long modRevision)
            throws InvalidProtocolBufferException {
        decoder.apply(key, value, modRevision, new RevisionParts(modRevision))
                .ifPresent(e -> output.collect(ChangeRecord.of(e)));
    }

    private void enqueue(Object item) {
        watched.add(item);
        signal();
    }

    private synchronized void signal() {
        available.complete(null);
    }

    @Override
    public synchronized CompletableFuture<Void> isAvailable() {
        return available;
    }

    @Override
    public List<MetaSplit> snapshotState(long checkpointId) {
        return hasSplit ? Collections.singletonList(new MetaSplit(revision))
                : Collections.emptyList();
    }

    @Override
    public void notifyNoMoreSplits() {}

    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (watcher != null) {
            watcher.close();
        }
        if (client != null) {
            client.close();
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** Fields and partitions from the snapshot's own key-values. */
    private static final class SnapshotParts implements CatalogDecoder.CollectionParts {
        private final List<KeyValue> kvs;
        private final String prefix;

        SnapshotParts(List<KeyValue> kvs, String prefix) {
            this.kvs = kvs;
            this.prefix = prefix;
        }

        @Override
        public List<FieldSchema> fields(long collectionId) {
            return parseAll("fields/" + collectionId + "/", FieldSchema::parseFrom);
        }

        @Override
        public List<PartitionInfo> partitions(long collectionId) {
            return parseAll("partitions/" + collectionId + "/", PartitionInfo::parseFrom);
        }

        private <T> List<T> parseAll(String path, Parser<T> parser) {
            List<T> out = new ArrayList<>();
            for (KeyValue kv : under(path)) {
                try {
                    out.add(parser.parse(kv.getValue().getBytes()));
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException("Undecodable catalog value at " + kv.getKey(), e);
                }
            }
            return out;
        }

        private List<KeyValue> under(String path) {
            String full = prefix + path;
            List<KeyValue> out = new ArrayList<>();
            for (KeyValue kv : kvs) {
                if (kv.getKey().toString(StandardCharsets.UTF_8).startsWith(full)
                        && !CatalogDecoder.isTombstone(kv.getValue().getBytes())) {
                    out.add(kv);
                }
            }
            return out;
        }
    }

    /** A protobuf message parser. */
    private interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    /** Fields and partitions read from etcd as of one revision. */
    private final class RevisionParts implements CatalogDecoder.CollectionParts {
        private final long at;

        RevisionParts(long at) {
            this.at = at;
        }

        @Override
        public List<FieldSchema> fields(long collectionId) {
            return new SnapshotParts(read("fields/" + collectionId + "/"), config.rootCoordPrefix()).fields(collectionId);
        }

        @Override
        public List<PartitionInfo> partitions(long collectionId) {
            return new SnapshotParts(read("partitions/" + collectionId + "/"), config.rootCoordPrefix())
                    .partitions(collectionId);
        }

        private List<KeyValue> read(String path) {
            try {
                return client.getKVClient()
                        .get(bytes(config.rootCoordPrefix() + path), GetOption.builder().isPrefix(true).withRevision(at).build())
                        .get()
                        .getKvs();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted reading " + path, e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("Cannot read " + path + " at etcd revision " + at, e.getCause());
            }
        }
    }
}
