package io.milvuscdc.job.chaos;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.collection.request.ReleaseCollectionReq;
import io.milvus.v2.service.database.request.CreateDatabaseReq;
import io.milvus.v2.service.database.request.DropDatabaseReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.index.request.DropIndexReq;
import io.milvus.v2.service.partition.request.CreatePartitionReq;
import io.milvus.v2.service.partition.request.DropPartitionReq;
import io.milvus.v2.service.partition.request.ReleasePartitionsReq;
import io.milvus.v2.service.utility.request.FlushReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A seeded, adversarial workload on the source Milvus, written by several concurrent writers:
 * inserts, upserts (the same keys several times within one checkpoint), deletes, delete then
 * re-insert; partitions created, filled and dropped; collections dropped and re-created under the
 * same name with another schema; a database dropped and re-created; index, load, release, flush;
 * idle pauses; a collection on every channel; an auto-id collection. It never makes the source
 * itself inconsistent (Milvus 2.3 stores a key inserted twice, or repeated within one call, twice):
 * an insert only takes keys that are not live, each writer owning its own keys.
 *
 * <p>Every call is written to {@code ops.log} (with the keys it touched), so that a differing key
 * can be traced to the operations behind it.
 */
public final class Workload {

    /** A synchronous load's wait: without one the SDK waits for ever on a load that never finishes. */
    private static final long LOAD_TIMEOUT_MS = 60_000;
    /** Threads that wait for a flush to be reported done. */
    private static final java.util.concurrent.ExecutorService FLUSH_WAITS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "workload-flush-wait");
        t.setDaemon(true);
        return t;
    });

    /**
     * Flushes a collection. The SDK waits for the flushed state with no deadline, and 2.3.5 may
     * never report it once its broker restarted: the request is what the replicate channel
     * carries, so the wait is bounded (then interrupted) and the flush counts as made.
     */
    private void flush(Slot s) throws InterruptedException {
        java.util.concurrent.Future<?> done = FLUSH_WAITS.submit(() ->
                source.flush(FlushReq.builder().databaseName(s.db).collectionNames(List.of(s.name)).build()));
        try {
            done.get(LOAD_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            done.cancel(true);
            log.println("the source did not report " + s.db + "." + s.name + " flushed within " + LOAD_TIMEOUT_MS + " ms");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : new IllegalStateException(e.getCause());
        }
    }

    /** Schema variants a collection slot takes; a re-created slot takes another one. */
    enum Variant { PLAIN, STRING_KEY, AUTO_ID, EVERY_CHANNEL }

    private final MilvusClientV2 source;
    private final String run;
    private final long seed;
    private final int writers;
    private final long rowTarget;
    private final int dmlChannels;
    private final PrintWriter log;
    private final List<Slot> slots = new ArrayList<>();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final String database;
    private volatile java.util.function.BooleanSupplier more = () -> false;

    /**
     * @param run unique per run: in every name, so that runs and other tests share the servers
     * @param rowTarget rows to write and delete in all (the size of the run)
     */
    private Runnable stuckSourceRecovery;

    public Workload(MilvusClientV2 source, String run, long seed, int writers, long rowTarget, int dmlChannels, Path opsLog)
            throws IOException {
        this.source = source;
        this.run = run;
        this.seed = seed;
        this.writers = writers;
        this.rowTarget = rowTarget;
        this.dmlChannels = dmlChannels;
        this.log = new PrintWriter(Files.newBufferedWriter(opsLog), true);
        this.database = "chaos_db_" + run;
        slots.add(new Slot("default", "chaos_plain_" + run, Variant.PLAIN, 2, true));
        slots.add(new Slot("default", "chaos_str_" + run, Variant.STRING_KEY, 1, true));
        slots.add(new Slot("default", "chaos_auto_" + run, Variant.AUTO_ID, 2, false));
        slots.add(new Slot("default", "chaos_all_" + run, Variant.EVERY_CHANNEL, dmlChannels, true));
        slots.add(new Slot(database, "chaos_in_db_" + run, Variant.PLAIN, 1, true));
    }

    /** The databases this workload writes to. */
    public List<String> databases() {
        return List.of("default", database);
    }

    /** The collection names this workload uses (also those dropped by now), by database. */
    public Map<String, Set<String>> collections() {
        Map<String, Set<String>> out = new TreeMap<>();
        for (Slot s : slots) {
            out.computeIfAbsent(s.db, d -> new HashSet<>()).add(s.name);
        }
        return out;
    }

    /**
     * Per db.collection, what the source acknowledged for each key whose last call it answered:
     * the written row's fingerprint ({@link #fingerprint}) or {@link #DELETED} (see {@link Oracle.Result#sourceLost}).
     */
    public Map<String, Map<String, Object>> acknowledgedState() {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        for (Slot s : slots) {
            Map<String, Object> keys = new HashMap<>();
            s.acknowledged.forEach((k, v) -> keys.put(String.valueOf(k), v));
            out.put(s.db + "." + s.name, keys);
        }
        return out;
    }

    /** The acknowledged state of a deleted key. */
    public static final Object DELETED = "deleted";

    /** A written row's fingerprint: its vector's first value (random per write, exact as float32). */
    public static Float fingerprint(JsonObject row) {
        return row.getAsJsonArray("vec").get(0).getAsFloat();
    }

    /** Every key ever written to a collection (auto-id ones as the source returned them), by db.collection. */
    public Map<String, Set<Object>> keysEverWritten() {
        Map<String, Set<Object>> out = new TreeMap<>();
        for (Slot s : slots) {
            out.put(s.db + "." + s.name, new HashSet<>(s.everWritten));
        }
        return out;
    }

    /** Operations by kind, failed ones under "failed:kind". */
    public Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    public long rowsWritten() {
        return rows.get();
    }

    /** Creates the collections (and the database), indexed and loaded. */
    public void setUp() {
        source.createDatabase(CreateDatabaseReq.builder().databaseName(database).build());
        for (Slot s : slots) {
            s.create(s.variant);
            s.index();
            loadOrRecover(s);
        }
    }

    /** Loads a collection; a source that does not, is restarted first if a recovery is set. */
    private void loadOrRecover(Slot s) {
        try {
            s.load();
        } catch (RuntimeException e) {
            if (stuckSourceRecovery == null) {
                throw e;
            }
            // 2.3.5 may never finish a load it took before its broker or itself restarted.
            log.println("the source did not load " + s.db + "." + s.name + " (" + e.getMessage()
                    + "): restarted, as a supervisor restarts an unhealthy server");
            stuckSourceRecovery.run();
            s.load();
        }
    }

    /**
     * The client retries a call that timed out (the source's broker down): a create the source had
     * made meanwhile then answers "already exist", which leaves the database there as asked.
     */
    private void createDatabaseOnce(String db) {
        try {
            source.createDatabase(CreateDatabaseReq.builder().databaseName(db).build());
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("already exist")) {
                throw e;
            }
            log.println("the source created database " + db + " on an earlier try of the call");
        }
    }

    /** Restarts the source when it does not finish loading a collection; null: the load's failure is thrown. */
    public void setStuckSourceRecovery(Runnable recovery) {
        this.stuckSourceRecovery = recovery;
    }

    /**
     * Runs the writers until {@code rowTarget} rows are written and {@code more} says no more,
     * then indexes and loads every collection.
     */
    public void run(java.util.function.BooleanSupplier more) throws InterruptedException {
        this.more = more;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                try {
                    new Writer(writer).run();
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
            }, "workload-writer-" + w);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException("A writer failed", errors.get(0));
        }
        // The end state is comparable only where both sides can be queried: index and load everything.
        for (Slot s : slots) {
            s.lock.writeLock().lock();
            try {
                s.index();
                loadOrRecover(s);
            } finally {
                s.lock.writeLock().unlock();
            }
        }
        log.flush();
    }

    /** The lines of {@code ops.log} that touched one of {@code keys} in {@code collection}. */
    public static List<String> opsTouching(Path opsLog, String collection, Set<String> keys, int max) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(opsLog)) {
            if (!line.contains(" " + collection + " ")) {
                continue;
            }
            int at = line.indexOf(" keys=");
            if (at < 0) {
                continue;
            }
            Set<String> touched = Set.of(line.substring(at + 6).split(","));
            if (keys.stream().anyMatch(touched::contains)) {
                out.add(line);
                if (out.size() >= max) {
                    break;
                }
            }
        }
        return out;
    }

    /** A failed call already written to the log. */
    private static final class Recorded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Recorded(Throwable cause) {
            super(cause);
        }
    }

    private void record(int writer, Slot slot, String kind, Object keys, String error) {
        counts.computeIfAbsent(error == null ? kind : "failed:" + kind, k -> new AtomicLong()).incrementAndGet();
        String keyList = keys == null ? "" : " keys=" + (keys instanceof List
                ? ((List<?>) keys).stream().map(String::valueOf).collect(Collectors.joining(",")) : keys);
        log.println(seq.incrementAndGet() + " t=" + System.currentTimeMillis() + " w" + writer + " " + slot.db + "."
                + slot.name + " gen" + slot.generation + " " + kind + (error == null ? "" : " FAILED " + error) + keyList);
    }

    /** One collection name and what it holds now; DML holds the read lock, DDL the write lock. */
    private final class Slot {
        final String db;
        final String name;
        final boolean recreatable;
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        final Set<Object> everWritten = ConcurrentHashMap.newKeySet();
        /** Keys whose last call (a partition's drop included) the source answered: fingerprint or DELETED. */
        final Map<Object, Object> acknowledged = new ConcurrentHashMap<>();
        Variant variant;
        int shards;
        int generation;
        volatile boolean indexed;
        volatile boolean loaded;
        /** Keys that may be live, per writer (a failed call's keys count as maybe live). */
        final Map<Integer, Set<Object>> live = new ConcurrentHashMap<>();
        /** Partitions made by the workload, with their keys (only inserted, then dropped with the partition). */
        final Map<String, List<Object>> partitions = new ConcurrentHashMap<>();
        int partitionCounter;

        Slot(String db, String name, Variant variant, int shards, boolean recreatable) {
            this.db = db;
            this.name = name;
            this.variant = variant;
            this.shards = shards;
            this.recreatable = recreatable;
        }

        Set<Object> live(int writer) {
            return live.computeIfAbsent(writer, w -> ConcurrentHashMap.newKeySet());
        }

        void create(Variant v) {
            variant = v;
            CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder()
                    .enableDynamicField(v == Variant.AUTO_ID).build();
            switch (v) {
                case STRING_KEY:
                    schema.addField(AddFieldReq.builder().fieldName("pk").dataType(DataType.VarChar).maxLength(32)
                            .isPrimaryKey(true).build());
                    schema.addField(AddFieldReq.builder().fieldName("n").dataType(DataType.Int64).build());
                    schema.addField(AddFieldReq.builder().fieldName("flag").dataType(DataType.Bool).build());
                    schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(16).build());
                    break;
                case AUTO_ID:
                    schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true)
                            .autoID(true).build());
                    schema.addField(AddFieldReq.builder().fieldName("tag").dataType(DataType.VarChar).maxLength(64).build());
                    schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(8).build());
                    break;
                case EVERY_CHANNEL:
                    schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
                    schema.addField(AddFieldReq.builder().fieldName("tenant").dataType(DataType.VarChar).maxLength(16)
                            .isPartitionKey(true).build());
                    schema.addField(AddFieldReq.builder().fieldName("d").dataType(DataType.Double).build());
                    schema.addField(AddFieldReq.builder().fieldName("arr").dataType(DataType.Array)
                            .elementType(DataType.Int64).maxCapacity(4).build());
                    schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(8).build());
                    break;
                default:
                    schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
                    schema.addField(AddFieldReq.builder().fieldName("tag").dataType(DataType.VarChar).maxLength(64).build());
                    schema.addField(AddFieldReq.builder().fieldName("score").dataType(DataType.Float).build());
                    schema.addField(AddFieldReq.builder().fieldName("meta").dataType(DataType.JSON).build());
                    schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(8).build());
            }
            int n = v == Variant.EVERY_CHANNEL ? dmlChannels : v == Variant.STRING_KEY ? 1 : 2;
            shards = n;
            source.createCollection(CreateCollectionReq.builder().databaseName(db).collectionName(name)
                    .collectionSchema(schema).numShards(n).numPartitions(v == Variant.EVERY_CHANNEL ? 4 : null).build());
            generation++;
            live.clear();
            acknowledged.clear();
            partitions.clear();
            indexed = false;
            loaded = false;
        }

        String pkField() {
            return variant == Variant.STRING_KEY ? "pk" : "id";
        }

        boolean hasPartitionKey() {
            return variant == Variant.EVERY_CHANNEL;
        }

        void index() {
            if (!indexed) {
                source.createIndex(CreateIndexReq.builder().databaseName(db).collectionName(name).indexParams(List.of(
                        IndexParam.builder().fieldName("vec").indexType(IndexParam.IndexType.FLAT)
                                .metricType(IndexParam.MetricType.L2).build())).build());
                indexed = true;
            }
        }

        void load() {
            if (!loaded) {
                // Right after a fault the source may take more than one call's timeout to load, and a
                // load it took before a restart may never finish (2.3.5): released and loaded again.
                for (int attempt = 1; ; attempt++) {
                    try {
                        source.loadCollection(LoadCollectionReq.builder().databaseName(db).collectionName(name)
                                .timeout(LOAD_TIMEOUT_MS).build());
                        break;
                    } catch (RuntimeException e) {
                        if (attempt == 2) {
                            throw e;
                        }
                        try {
                            source.releaseCollection(io.milvus.v2.service.collection.request.ReleaseCollectionReq.builder()
                                    .databaseName(db).collectionName(name).build());
                        } catch (RuntimeException releaseFailed) {
                            // the next load tells
                        }
                    }
                }
                loaded = true;
            }
        }

        boolean exists() {
            return source.hasCollection(HasCollectionReq.builder().databaseName(db).collectionName(name).build());
        }
    }

    /** One writer: its own random stream, its own keys (key mod writers = its number). */
    private final class Writer {
        final int w;
        final Random random;
        final Map<String, Integer> weights = new LinkedHashMap<>();

        Writer(int w) {
            this.w = w;
            this.random = new Random(seed * 31 + w);
            weights.put("insert", 24);
            weights.put("upsert", 24);
            weights.put("upsertRepeatedly", 6);
            weights.put("delete", 14);
            weights.put("deleteThenReinsert", 6);
            weights.put("partition", 4);
            weights.put("dropPartition", 3);
            weights.put("recreateCollection", 2);
            weights.put("recreateDatabase", 1);
            weights.put("index", 3);
            weights.put("load", 3);
            weights.put("release", 2);
            weights.put("flush", 2);
            weights.put("idle", 3);
        }

        private boolean failed;

        void run() throws InterruptedException {
            while (rows.get() < rowTarget || more.getAsBoolean()) {
                if (failed) {
                    // The source may be down (a fault under test): retry at a client's pace, not in a spin.
                    Thread.sleep(200);
                    failed = false;
                }
                Slot slot = slots.get(random.nextInt(slots.size()));
                String kind = pick();
                boolean ddl = kind.startsWith("recreate") || kind.equals("index") || kind.equals("load")
                        || kind.equals("release") || kind.equals("dropPartition") || kind.equals("partition");
                if (kind.equals("recreateDatabase")) {
                    slot = slots.get(slots.size() - 1);
                }
                ReentrantReadWriteLock.ReadLock read = slot.lock.readLock();
                ReentrantReadWriteLock.WriteLock write = slot.lock.writeLock();
                if (ddl) {
                    write.lock();
                } else {
                    read.lock();
                }
                try {
                    step(slot, kind);
                } catch (Recorded e) {
                    // a failed data call, written down with its keys
                    failed = true;
                } catch (RuntimeException e) {
                    record(w, slot, kind, null, e.getClass().getSimpleName() + ": " + e.getMessage());
                    failed = true;
                } finally {
                    if (ddl) {
                        write.unlock();
                    } else {
                        read.unlock();
                    }
                }
            }
        }

        String pick() {
            int total = weights.values().stream().mapToInt(Integer::intValue).sum();
            int r = random.nextInt(total);
            for (Map.Entry<String, Integer> e : weights.entrySet()) {
                r -= e.getValue();
                if (r < 0) {
                    return e.getKey();
                }
            }
            throw new AssertionError();
        }

        void step(Slot s, String kind) throws InterruptedException {
            switch (kind) {
                case "insert":
                    insert(s, 1 + random.nextInt(200), "");
                    break;
                case "upsert":
                    upsert(s, 1 + random.nextInt(100));
                    break;
                case "upsertRepeatedly": {
                    // The same keys again and again within milliseconds: one checkpoint on the job's side.
                    List<Object> keys = keys(s, 1 + random.nextInt(20), true);
                    for (int i = 0; i < 2 + random.nextInt(3) && !keys.isEmpty(); i++) {
                        upsertKeys(s, keys, "upsertRepeatedly");
                    }
                    break;
                }
                case "delete":
                    delete(s, 1 + random.nextInt(50), "delete");
                    break;
                case "deleteThenReinsert": {
                    List<Object> gone = delete(s, 1 + random.nextInt(20), "deleteThenReinsert:delete");
                    if (!gone.isEmpty() && s.variant != Variant.AUTO_ID) {
                        insertKeys(s, gone, "", "deleteThenReinsert:insert");
                    }
                    break;
                }
                case "partition":
                    if (!s.hasPartitionKey() && s.partitions.size() < 3) {
                        String p = "p" + (++s.partitionCounter);
                        source.createPartition(CreatePartitionReq.builder().databaseName(s.db).collectionName(s.name)
                                .partitionName(p).build());
                        s.partitions.put(p, new ArrayList<>());
                        record(w, s, "createPartition " + p, null, null);
                        // Rows right behind the create: before the partition shows in etcd.
                        insert(s, 1 + random.nextInt(100), p);
                    }
                    break;
                case "dropPartition":
                    if (!s.partitions.isEmpty()) {
                        String p = s.partitions.keySet().iterator().next();
                        List<Object> gone = s.partitions.get(p);
                        gone.forEach(s.acknowledged::remove); // while in flight (or failed): either outcome
                        if (s.loaded) {
                            source.releasePartitions(ReleasePartitionsReq.builder().databaseName(s.db).collectionName(s.name)
                                    .partitionNames(List.of(p)).build());
                        }
                        source.dropPartition(DropPartitionReq.builder().databaseName(s.db).collectionName(s.name)
                                .partitionName(p).build());
                        s.partitions.remove(p);
                        gone.forEach(k -> s.acknowledged.put(k, DELETED));
                        record(w, s, "dropPartition " + p, null, null);
                        if (s.loaded) {
                            // Released with its partition: the collection counts as loaded again once reloaded.
                            source.loadCollection(LoadCollectionReq.builder().databaseName(s.db).collectionName(s.name)
                                    .timeout(LOAD_TIMEOUT_MS).build());
                        }
                    }
                    break;
                case "recreateCollection":
                    if (s.recreatable) {
                        source.dropCollection(DropCollectionReq.builder().databaseName(s.db).collectionName(s.name).build());
                        Variant next = s.variant == Variant.PLAIN ? Variant.STRING_KEY
                                : s.variant == Variant.STRING_KEY ? Variant.EVERY_CHANNEL : Variant.PLAIN;
                        s.create(next);
                        record(w, s, "recreateCollection " + next, null, null);
                        // Rows right behind the create, index and load right behind the rows.
                        insert(s, 1 + random.nextInt(50), "");
                        s.index();
                        s.load();
                        record(w, s, "indexAndLoad", null, null);
                    }
                    break;
                case "recreateDatabase":
                    source.dropCollection(DropCollectionReq.builder().databaseName(s.db).collectionName(s.name).build());
                    source.dropDatabase(DropDatabaseReq.builder().databaseName(s.db).build());
                    record(w, s, "dropDatabase", null, null);
                    createDatabaseOnce(s.db);
                    s.create(s.variant == Variant.PLAIN ? Variant.STRING_KEY : Variant.PLAIN);
                    record(w, s, "recreateDatabase " + s.variant, null, null);
                    insert(s, 1 + random.nextInt(50), "");
                    break;
                case "index":
                    if (s.indexed && !s.loaded) {
                        source.dropIndex(DropIndexReq.builder().databaseName(s.db).collectionName(s.name).fieldName("vec")
                                .indexName("vec").build());
                        s.indexed = false;
                        record(w, s, "dropIndex", null, null);
                    } else if (!s.indexed) {
                        s.index();
                        record(w, s, "createIndex", null, null);
                    }
                    break;
                case "load":
                    if (s.indexed && !s.loaded) {
                        s.load();
                        record(w, s, "load", null, null);
                    }
                    break;
                case "release":
                    if (s.loaded) {
                        source.releaseCollection(ReleaseCollectionReq.builder().databaseName(s.db).collectionName(s.name).build());
                        s.loaded = false;
                        record(w, s, "release", null, null);
                    }
                    break;
                case "flush":
                    flush(s);
                    record(w, s, "flush", null, null);
                    break;
                case "idle":
                    Thread.sleep(200 + random.nextInt(2500));
                    break;
                default:
                    throw new IllegalArgumentException(kind);
            }
        }

        /** {@code n} keys of this writer: live ones, or (for inserts) ones that are not live. */
        List<Object> keys(Slot s, int n, boolean liveOnes) {
            return keys(s, n, liveOnes, 0);
        }

        /** Keys for a partition come from a space of their own: never also in the default partition. */
        List<Object> keys(Slot s, int n, boolean liveOnes, long space) {
            Set<Object> live = s.live(w);
            List<Object> out = new ArrayList<>();
            if (liveOnes) {
                List<Object> all = new ArrayList<>(live);
                for (int i = 0; i < n && !all.isEmpty(); i++) {
                    out.add(all.remove(random.nextInt(all.size())));
                }
                return out;
            }
            Set<Object> chosen = new HashSet<>();
            for (int tries = 0; out.size() < n && tries < n * 20; tries++) {
                // A small key space per writer, so that upserts and re-inserts meet live keys.
                long k = space + w + (long) writers * random.nextInt(3000);
                Object key = s.variant == Variant.STRING_KEY ? String.format("k%07d", k) : (Object) k;
                if (!live.contains(key) && chosen.add(key)) {
                    out.add(key);
                }
            }
            return out;
        }

        void insert(Slot s, int n, String partition) {
            if (s.variant == Variant.AUTO_ID) {
                List<JsonObject> data = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    data.add(row(s, null));
                }
                InsertReq.InsertReqBuilder req = InsertReq.builder().databaseName(s.db).collectionName(s.name).data(data);
                List<Object> ids = call(() -> source.insert(req.build()).getPrimaryKeys(), s, "insert", List.of());
                for (int i = 0; i < ids.size(); i++) { // auto-id rows go to the default partition, in order
                    s.acknowledged.put(ids.get(i), fingerprint(data.get(i)));
                }
                s.live(w).addAll(ids);
                s.everWritten.addAll(ids);
                record(w, s, "insert", ids, null);
                rows.addAndGet(n);
                return;
            }
            insertKeys(s, keys(s, n, false, partition.isEmpty() ? 0 : 10_000_000L * (s.partitionCounter + 1)), partition,
                    "insert");
        }

        void insertKeys(Slot s, List<Object> keys, String partition, String kind) {
            if (keys.isEmpty()) {
                return;
            }
            List<JsonObject> data = keys.stream().map(k -> row(s, k)).collect(Collectors.toList());
            InsertReq.InsertReqBuilder req = InsertReq.builder().databaseName(s.db).collectionName(s.name).data(data);
            if (!partition.isEmpty()) {
                req.partitionName(partition);
            }
            // Maybe live from here on, whatever the answer: never inserted again, only upserted or deleted.
            if (partition.isEmpty()) {
                s.live(w).addAll(keys);
            } else {
                s.partitions.get(partition).addAll(keys);
            }
            s.everWritten.addAll(keys);
            keys.forEach(s.acknowledged::remove);
            call(() -> source.insert(req.build()), s, kind, keys);
            for (int i = 0; i < keys.size(); i++) {
                s.acknowledged.put(keys.get(i), fingerprint(data.get(i)));
            }
            record(w, s, kind + (partition.isEmpty() ? "" : " into " + partition), keys, null);
            rows.addAndGet(keys.size());
        }

        void upsert(Slot s, int n) {
            if (s.variant == Variant.AUTO_ID) {
                insert(s, n, ""); // 2.3 refuses upserts into auto-id collections
                return;
            }
            // Some live keys (new values), some new ones.
            List<Object> keys = keys(s, n / 2 + 1, true);
            keys.addAll(keys(s, n - keys.size(), false));
            upsertKeys(s, keys, "upsert");
        }

        void upsertKeys(Slot s, List<Object> keys, String kind) {
            if (s.variant == Variant.AUTO_ID || keys.isEmpty()) {
                return;
            }
            List<JsonObject> data = keys.stream().map(k -> row(s, k)).collect(Collectors.toList());
            s.live(w).addAll(keys);
            s.everWritten.addAll(keys);
            keys.forEach(s.acknowledged::remove);
            call(() -> source.upsert(UpsertReq.builder().databaseName(s.db).collectionName(s.name).data(data).build()),
                    s, kind, keys);
            for (int i = 0; i < keys.size(); i++) {
                s.acknowledged.put(keys.get(i), fingerprint(data.get(i)));
            }
            record(w, s, kind, keys, null);
            rows.addAndGet(keys.size());
        }

        List<Object> delete(Slot s, int n, String kind) {
            List<Object> keys = keys(s, n, true);
            if (keys.isEmpty()) {
                return keys;
            }
            keys.forEach(s.acknowledged::remove); // while in flight (or failed): either outcome
            // By filter, not ids: the SDK turns ids into a filter in the request itself, and its own
            // retry of that request then fails ("filter and ids can't be set at the same time").
            String filter = s.pkField() + " in [" + keys.stream()
                    .map(k -> k instanceof String ? '"' + (String) k + '"' : String.valueOf(k))
                    .collect(Collectors.joining(",")) + "]";
            call(() -> source.delete(DeleteReq.builder().databaseName(s.db).collectionName(s.name).filter(filter).build()),
                    s, kind, keys);
            keys.forEach(k -> s.acknowledged.put(k, DELETED));
            keys.forEach(s.live(w)::remove);
            record(w, s, kind, keys, null);
            rows.addAndGet(keys.size());
            return keys;
        }

        /** A call whose failure is recorded (its keys stay maybe live) and then rethrown. */
        private <T> T call(Supplier<T> call, Slot s, String kind, List<Object> keys) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                record(w, s, kind, keys, e.getMessage());
                throw new Recorded(e);
            }
        }

        JsonObject row(Slot s, Object key) {
            JsonObject row = new JsonObject();
            long version = seq.get();
            switch (s.variant) {
                case STRING_KEY:
                    row.addProperty("pk", (String) key);
                    row.addProperty("n", version);
                    row.addProperty("flag", random.nextBoolean());
                    row.add("vec", vector(16));
                    break;
                case AUTO_ID:
                    row.addProperty("tag", "w" + w + "-" + version);
                    row.add("vec", vector(8));
                    row.addProperty("extra", random.nextInt(1000)); // into the dynamic field
                    break;
                case EVERY_CHANNEL: {
                    row.addProperty("id", (Long) key);
                    row.addProperty("tenant", "t" + random.nextInt(6));
                    row.addProperty("d", random.nextDouble());
                    JsonArray arr = new JsonArray();
                    for (int i = 0; i < random.nextInt(5); i++) {
                        arr.add(random.nextInt(100));
                    }
                    row.add("arr", arr);
                    row.add("vec", vector(8));
                    break;
                }
                default: {
                    row.addProperty("id", (Long) key);
                    row.addProperty("tag", "w" + w + "-" + version);
                    row.addProperty("score", random.nextFloat());
                    JsonObject meta = new JsonObject();
                    meta.addProperty("v", version);
                    row.add("meta", meta);
                    row.add("vec", vector(8));
                }
            }
            return row;
        }

        JsonArray vector(int dim) {
            JsonArray v = new JsonArray();
            for (int i = 0; i < dim; i++) {
                v.add(random.nextFloat());
            }
            return v;
        }
    }
}
