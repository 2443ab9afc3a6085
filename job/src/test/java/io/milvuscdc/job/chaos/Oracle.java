package io.milvuscdc.job.chaos;

import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DescribeCollectionReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.response.DescribeCollectionResp;
import io.milvus.v2.service.index.request.DescribeIndexReq;
import io.milvus.v2.service.index.request.ListIndexesReq;
import io.milvus.v2.service.index.response.DescribeIndexResp;
import io.milvus.v2.service.partition.request.ListPartitionsReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.response.QueryResp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Compares every collection of the source with its target copy: existence, schema, partitions,
 * index, load state, {@code count(*)}, and every field of every row of every key ever written,
 * counting rows per key. A key stored twice shows in {@code count(*)} only: 2.3.5's query returns
 * it once (seen: 21 counted, 20 rows shown, {@code OracleITCase}).
 */
public final class Oracle {

    private final MilvusClientV2 source;
    private final MilvusClientV2 target;
    /** The target's own log, read when a key differs (null: every difference counts against the job). */
    private final Supplier<MilvusWal> targetWal;
    /**
     * The source's own log, the one the job reads (null: not consulted). Read once, when a
     * comparison first needs it: the oracle runs after the workload has stopped writing.
     */
    private final Supplier<MilvusWal> sourceWal;
    /** Read before the target is queried, so that each write in it is one a strong query sees. */
    private MilvusWal wal;
    private MilvusWal sourceLog;

    public Oracle(MilvusClientV2 source, MilvusClientV2 target) {
        this(source, target, null, null);
    }

    public Oracle(MilvusClientV2 source, MilvusClientV2 target, Supplier<MilvusWal> targetWal,
                  Supplier<MilvusWal> sourceWal) {
        this.source = source;
        this.target = target;
        this.targetWal = targetWal;
        this.sourceWal = sourceWal;
    }

    /** What one comparison found. */
    public static final class Result {
        public long collections;
        public long rowsCompared;
        public final List<String> schemaDifferences = new ArrayList<>();
        /** db.collection → keys. */
        public final Map<String, Set<String>> missing = new LinkedHashMap<>();
        public final Map<String, Set<String>> extra = new LinkedHashMap<>();
        public final Map<String, Set<String>> duplicated = new LinkedHashMap<>();
        public final Map<String, Set<String>> differing = new LinkedHashMap<>();
        /** Rows per key on the source above one: the source's own anomaly, not the job's. */
        public final Map<String, Set<String>> sourceDuplicates = new LinkedHashMap<>();
        /**
         * Keys where the source no longer shows what it acknowledged (an answered insert or upsert
         * gone or older, an answered delete undone), or what its own log last holds for the key,
         * and the target does: the source lost its own writes (seen after its etcd, its broker or
         * itself were killed), while its WAL carried them to the job. Reported, not counted
         * against the job.
         */
        public final Map<String, Set<String>> sourceLost = new LinkedHashMap<>();
        /**
         * Keys the target shows wrong (missing, extra, older) while the last write of the key in its
         * own write-ahead log ({@link MilvusWal}) is what the source shows or acknowledged: the job
         * wrote it, the target acknowledged it and then lost it (seen after its {@code kill -9}).
         * Reported, not counted against the job (when the source lost the key too, it is in both).
         */
        public final Map<String, Set<String>> targetLost = new LinkedHashMap<>();

        /**
         * Collections whose source answers a {@code count(*)} its own query of every row does not
         * bear out (seen after a {@code kill -9} of the source: 1,435 counted, 1,370 rows): the
         * target's count is compared with the rows the source shows. db.collection → both figures.
         */
        public final Map<String, String> sourceCountInconsistent = new LinkedHashMap<>();
        /** As above, of the target, below its rows only (above them, a key may be stored twice). */
        public final Map<String, String> targetCountInconsistent = new LinkedHashMap<>();
        /**
         * Collections whose load state on the source is not what the source published on its
         * replicate channel (which the job replicates): db.collection → what each shows. Their
         * rows are not compared (a collection not loaded cannot be queried).
         */
        public final Map<String, String> sourceUnpublished = new LinkedHashMap<>();

        /** How a comparison that could not be made (a server did not answer) is reported. */
        public static final String NOT_COMPARABLE = "not comparable yet: ";

        /** Whether both sides answered the comparison's queries. */
        public boolean comparable() {
            return schemaDifferences.stream().noneMatch(d -> d.startsWith(NOT_COMPARABLE));
        }

        public boolean equal() {
            return schemaDifferences.isEmpty() && missing.isEmpty() && extra.isEmpty() && duplicated.isEmpty()
                    && differing.isEmpty();
        }

        static long total(Map<String, Set<String>> keys) {
            return keys.values().stream().mapToLong(Set::size).sum();
        }

        public String summary() {
            return "collections=" + collections + " rowsCompared=" + rowsCompared + " missing=" + total(missing)
                    + " extra=" + total(extra) + " duplicated=" + total(duplicated) + " differing=" + total(differing)
                    + " schemaDifferences=" + schemaDifferences.size()
                    + (sourceDuplicates.isEmpty() ? "" : " sourceDuplicates=" + total(sourceDuplicates))
                    + (sourceLost.isEmpty() ? "" : " sourceLostAcknowledged=" + total(sourceLost))
                    + (targetLost.isEmpty() ? "" : " targetLostAcknowledged=" + total(targetLost))
                    + (sourceCountInconsistent.isEmpty() ? "" : " sourceCountInconsistent=" + sourceCountInconsistent)
                    + (targetCountInconsistent.isEmpty() ? "" : " targetCountInconsistent=" + targetCountInconsistent)
                    + (sourceUnpublished.isEmpty() ? "" : " sourceUnpublished=" + sourceUnpublished);
        }
    }

    /** Compares the collections named in {@code collections} (by database), rows by {@code keys} (by db.collection). */
    public Result compare(Map<String, Set<String>> collections, Map<String, Set<Object>> keys) {
        return compare(collections, keys, Map.of());
    }

    /**
     * As above; {@code acknowledged} (by db.collection, then key) is what the source answered for
     * a key's last call ({@link Workload#acknowledgedState}): where the source departs from it and
     * the target does not, the source lost it ({@link Result#sourceLost}).
     */
    public Result compare(Map<String, Set<String>> collections, Map<String, Set<Object>> keys,
                          Map<String, Map<String, Object>> acknowledged) {
        Result r = new Result();
        wal = targetWal == null ? null : targetWal.get();
        for (Map.Entry<String, Set<String>> db : collections.entrySet()) {
            for (String name : new TreeSet<>(db.getValue())) {
                String id = db.getKey() + "." + name;
                compareCollection(db.getKey(), name, keys.getOrDefault(id, Set.of()),
                        acknowledged.getOrDefault(id, Map.of()), r);
            }
        }
        return r;
    }

    private void compareCollection(String db, String name, Set<Object> keys, Map<String, Object> acknowledged, Result r) {
        String id = db + "." + name;
        boolean onSource = has(source, db, name);
        boolean onTarget = has(target, db, name);
        if (!onSource && !onTarget) {
            return;
        }
        r.collections++;
        if (onSource != onTarget) {
            r.schemaDifferences.add(id + (onSource ? " is missing on the target" : " exists only on the target"));
            return;
        }
        String a = shape(source, db, name);
        String b = shape(target, db, name);
        if (!a.equals(b)) {
            r.schemaDifferences.add(id + ": source " + a + " / target " + b);
            return;
        }
        boolean loaded = loaded(source, db, name);
        if (loaded != loaded(target, db, name)) {
            if (sourceWal != null) {
                // The job learns loads and releases from the source's replicate channel; a source
                // whose broker was down when it loaded may never have published the load.
                Boolean logged = sourceLog().loadedPerLog(db, name, source.describeCollection(DescribeCollectionReq
                        .builder().databaseName(db).collectionName(name).build()).getCreateUtcTime());
                if (!loaded == (logged != null && logged)) {
                    r.sourceUnpublished.put(id, "loaded " + loaded + " on the source, whose replicate channel "
                            + (logged == null ? "has no load or release of it" : "last has a " + (logged ? "load" : "release")));
                    return;
                }
            }
            r.schemaDifferences.add(id + ": loaded on the source " + loaded + ", on the target " + !loaded);
            return;
        }
        if (!loaded) {
            return; // rows cannot be queried; the workload ends with everything loaded
        }
        CreateCollectionReq.FieldSchema pkField = primaryKey(source, db, name);
        String pk = pkField.getName();
        boolean stringKeys = pkField.getDataType() == io.milvus.v2.common.DataType.VarChar;
        long targetId = wal == null ? 0 : collectionId(target, db, name);
        long sourceId = sourceWal == null ? 0 : collectionId(source, db, name);
        // Keys of earlier collections of this name may be of the other type: only this one's can be asked for.
        List<Object> all = keys.stream().filter(k -> (k instanceof String) == stringKeys).collect(Collectors.toList());
        long countDelta = 0; // rows the target holds over the source's, on keys the source lost
        // Chunk by chunk, so that a collection of any size is compared in bounded memory.
        for (int from = 0; from < all.size(); from += 500) {
            List<Object> chunk = all.subList(from, Math.min(all.size(), from + 500));
            Map<String, List<Map<String, Object>>> sourceRows = rows(source, db, name, pk, chunk);
            Map<String, List<Map<String, Object>>> targetRows = rows(target, db, name, pk, chunk);
            for (Object key : chunk) {
                String k = String.valueOf(key);
                List<Map<String, Object>> s = sourceRows.getOrDefault(k, List.of());
                List<Map<String, Object>> t = targetRows.getOrDefault(k, List.of());
                r.rowsCompared += s.size();
                if (s.size() > 1) {
                    r.sourceDuplicates.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                }
                if (t.size() > 1) {
                    r.duplicated.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                    continue;
                }
                if (sameRow(s, t)) {
                    continue;
                }
                Object promised = acknowledged.get(k);
                boolean sourceKept = promised == null || holds(s, promised);
                Object logged = wal == null ? null : wal.lastState(targetId, k);
                Object sourceLogged = sourceLogged(sourceId, k);
                if (logged != null && !holds(t, logged) && (holds(s, logged) || logged.equals(promised))) {
                    // The job wrote what the source shows or acknowledged; the target dropped it.
                    r.targetLost.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                    if (!sourceKept) {
                        r.sourceLost.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                    }
                    countDelta += t.size() - s.size();
                } else if (!sourceKept && holds(t, promised)) {
                    r.sourceLost.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                    countDelta += t.size() - s.size();
                } else if (sourceLogged != null && holds(t, sourceLogged) && !holds(s, sourceLogged)) {
                    // The target shows the source's last write of the key (one whose answer the
                    // writer did not get); the source shows something else.
                    r.sourceLost.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                    countDelta += t.size() - s.size();
                } else if (!s.isEmpty() && t.isEmpty()) {
                    r.missing.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                } else if (s.isEmpty()) {
                    r.extra.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                } else {
                    r.differing.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                }
            }
        }
        long sourceCount = count(source, db, name);
        long targetCount = count(target, db, name);
        if (sourceCount + countDelta != targetCount) {
            List<String> shown = keysShown(source, db, name, pk, stringKeys);
            long distinct = shown == null ? -1 : shown.stream().distinct().count();
            if (distinct >= 0 && distinct != sourceCount) {
                r.sourceCountInconsistent.put(id, "count(*) " + sourceCount + ", rows " + distinct);
                sourceCount = distinct;
            }
        }
        if (sourceCount + countDelta != targetCount) {
            // The target's count(*) may fall short of its rows after a kill -9, as the source's may
            // exceed them: its rows decide, every one a key the workload wrote. Never a count above
            // the rows: a query shows a key stored twice once, count(*) counts both.
            List<String> shown = keysShown(target, db, name, pk, stringKeys);
            if (shown != null) {
                Set<String> written = all.stream().map(String::valueOf).collect(Collectors.toSet());
                for (String k : shown) {
                    if (!written.contains(k)) {
                        r.extra.computeIfAbsent(id, x -> new TreeSet<>()).add(k);
                    }
                }
                if (targetCount < shown.size() && shown.size() == sourceCount + countDelta) {
                    r.targetCountInconsistent.put(id, "count(*) " + targetCount + ", rows " + shown.size());
                    return;
                }
            }
            r.schemaDifferences.add(id + ": count(*) " + sourceCount + " on the source, " + targetCount
                    + " on the target" + (shown == null ? "" : " (rows shown " + shown.size() + ")"));
        }
    }

    private static boolean sameRow(List<Map<String, Object>> s, List<Map<String, Object>> t) {
        return s.isEmpty() ? t.isEmpty() : t.size() == 1 && s.get(0).equals(t.get(0));
    }

    /** A collection's id, to find its writes in its Milvus's log. */
    private static long collectionId(MilvusClientV2 client, String db, String name) {
        return client.describeCollection(DescribeCollectionReq.builder().databaseName(db)
                .collectionName(name).build()).getCollectionID();
    }

    /** The key's last state in the source's log, or null (no log read, or no write of it there). */
    private Object sourceLogged(long sourceId, String key) {
        return sourceWal == null ? null : sourceLog().lastState(sourceId, key);
    }

    private MilvusWal sourceLog() {
        if (sourceLog == null) {
            sourceLog = sourceWal.get();
        }
        return sourceLog;
    }

    /** Whether {@code rows} (of one key) are what was acknowledged: no row, or one row of that fingerprint. */
    private static boolean holds(List<Map<String, Object>> rows, Object promised) {
        if (promised == Workload.DELETED) {
            return rows.isEmpty();
        }
        return rows.size() == 1 && rows.get(0).get("vec") instanceof List
                && promised.equals(((Number) ((List<?>) rows.get(0).get("vec")).get(0)).floatValue());
    }

    private static boolean has(MilvusClientV2 client, String db, String name) {
        try {
            return client.hasCollection(HasCollectionReq.builder().databaseName(db).collectionName(name).build());
        } catch (RuntimeException e) {
            if (String.valueOf(e.getMessage()).contains("database not found")) {
                return false;
            }
            throw e;
        }
    }

    private static boolean loaded(MilvusClientV2 client, String db, String name) {
        return client.getLoadState(GetLoadStateReq.builder().databaseName(db).collectionName(name).build());
    }

    private static CreateCollectionReq.FieldSchema primaryKey(MilvusClientV2 client, String db, String name) {
        return client.describeCollection(DescribeCollectionReq.builder().databaseName(db).collectionName(name).build())
                .getCollectionSchema().getFieldSchemaList().stream().filter(CreateCollectionReq.FieldSchema::getIsPrimaryKey)
                .findFirst().orElseThrow();
    }

    /** Schema (auto-id aside: the target keeps the source's keys), shards, partitions and index of a collection. */
    static String shape(MilvusClientV2 client, String db, String name) {
        DescribeCollectionResp d = client.describeCollection(
                DescribeCollectionReq.builder().databaseName(db).collectionName(name).build());
        String fields = d.getCollectionSchema().getFieldSchemaList().stream()
                .map(f -> f.getName() + ":" + f.getDataType() + (f.getIsPrimaryKey() ? ":pk" : "")
                        + (Boolean.TRUE.equals(f.getIsPartitionKey()) ? ":partitionKey" : "")
                        + (f.getDimension() == null ? "" : ":dim=" + f.getDimension())
                        + (f.getMaxLength() == null ? "" : ":len=" + f.getMaxLength())
                        + (f.getElementType() == null ? "" : ":element=" + f.getElementType())
                        + (f.getMaxCapacity() == null ? "" : ":capacity=" + f.getMaxCapacity()))
                .collect(Collectors.joining(","));
        List<String> partitions = new ArrayList<>(client.listPartitions(
                ListPartitionsReq.builder().databaseName(db).collectionName(name).build()));
        partitions.sort(null);
        List<String> indexes = new ArrayList<>();
        for (String index : client.listIndexes(ListIndexesReq.builder().databaseName(db).collectionName(name).build())) {
            for (DescribeIndexResp.IndexDesc desc : client.describeIndex(DescribeIndexReq.builder().databaseName(db)
                    .collectionName(name).indexName(index).build()).getIndexDescriptions()) {
                indexes.add(desc.getIndexName() + "(" + desc.getFieldName() + " " + desc.getIndexType() + " "
                        + desc.getMetricType() + " " + new java.util.TreeMap<>(desc.getExtraParams()) + ")");
            }
        }
        indexes.sort(null);
        return "[" + fields + "] dynamic=" + d.getEnableDynamicField() + " shards=" + d.getShardsNum()
                + " partitions=" + partitions + " indexes=" + indexes;
    }

    private static long count(MilvusClientV2 client, String db, String name) {
        QueryResp resp = client.query(QueryReq.builder().databaseName(db).collectionName(name).filter("")
                .outputFields(List.of("count(*)")).consistencyLevel(ConsistencyLevel.STRONG).build());
        return ((Number) resp.getQueryResults().get(0).getEntity().get("count(*)")).longValue();
    }

    /** The key of every row a query of all rows returns (as text); null when there are too many to ask in one query. */
    private static List<String> keysShown(MilvusClientV2 client, String db, String name, String pk, boolean stringKeys) {
        long limit = 16_384; // Milvus's largest query window
        QueryResp resp = client.query(QueryReq.builder().databaseName(db).collectionName(name)
                .filter(stringKeys ? pk + " != \"\"" : pk + " >= " + (Long.MIN_VALUE + 1)).outputFields(List.of(pk))
                .consistencyLevel(ConsistencyLevel.STRONG).limit(limit).build());
        if (resp.getQueryResults().size() >= limit) {
            return null;
        }
        return resp.getQueryResults().stream().map(row -> String.valueOf(row.getEntity().get(pk))).toList();
    }

    /** Every row with one of {@code keys}, all fields, grouped by key (as text). */
    private static Map<String, List<Map<String, Object>>> rows(MilvusClientV2 client, String db, String name, String pk,
                                                             List<Object> keys) {
        String list = keys.stream().map(k -> k instanceof String ? '"' + (String) k + '"' : String.valueOf(k))
                .collect(Collectors.joining(","));
        QueryResp resp = client.query(QueryReq.builder().databaseName(db).collectionName(name)
                .filter(pk + " in [" + list + "]").outputFields(List.of("*"))
                .consistencyLevel(ConsistencyLevel.STRONG).limit(16_000L).build());
        Map<String, List<Map<String, Object>>> out = new HashMap<>();
        for (QueryResp.QueryResult row : resp.getQueryResults()) {
            out.computeIfAbsent(String.valueOf(row.getEntity().get(pk)), k -> new ArrayList<>()).add(row.getEntity());
        }
        return out;
    }
}
