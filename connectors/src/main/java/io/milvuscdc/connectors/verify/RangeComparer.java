package io.milvuscdc.connectors.verify;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.query.RowDigests;

import io.milvus.grpc.FieldData;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares one key range of a collection on the source and the target: every row of each side is
 * read (all fields, in one query), reduced to a digest, and the two ranges' digests
 * compared; only when they differ are the rows compared one by one. {@code count(*)} of the range
 * on each side tells a key stored twice, which a query shows once.
 */
public final class RangeComparer {

    private final MilvusQueryClient source;
    private final MilvusQueryClient target;
    public RangeComparer(MilvusQueryClient source, MilvusQueryClient target) {
        this.source = source;
        this.target = target;
    }

    public RangeDiff compare(KeyRange range) {
        RangeDiff d = new RangeDiff();
        d.range = range;
        Map<String, String> s = read(source, range.database, range.collection, range);
        Map<String, String> t = read(target, range.targetDatabase, range.targetCollection, range);
        d.sourceRows = s.size();
        d.targetRows = t.size();
        d.sourceCount = source.count(range.database, range.collection, range.partition, range.filter(null));
        d.targetCount = target.count(range.targetDatabase, range.targetCollection, range.partition, range.filter(null));
        d.sourceHash = hash(s);
        d.targetHash = hash(t);
        if (!d.sourceHash.equals(d.targetHash)) {
            for (Map.Entry<String, String> e : s.entrySet()) {
                String other = t.get(e.getKey());
                if (other == null) {
                    d.missing.add(e.getKey());
                } else if (!other.equals(e.getValue())) {
                    d.differing.add(e.getKey());
                }
            }
            for (String k : t.keySet()) {
                if (!s.containsKey(k)) {
                    d.extra.add(k);
                }
            }
        }
        d.missingCount = d.missing.size();
        d.extraCount = d.extra.size();
        d.differingCount = d.differing.size();
        return d;
    }

    /**
     * key → row digest of every row of the range on one side, in key order: one query without a
     * limit (ranges are cut small enough), as paging on the key may skip rows (see {@link MilvusQueryClient#query}).
     */
    private Map<String, String> read(MilvusQueryClient client, String db, String name, KeyRange range) {
        List<FieldData> rows = client.query(db, name, range.partition, range.filter(null), List.of("*"), 0);
        List<String> keys = RowDigests.keys(rows, range.primaryField);
        List<String> digests = RowDigests.digests(rows, keys.size());
        List<Integer> order = new java.util.ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> range.compareKeys(keys.get(a), keys.get(b)));
        Map<String, String> out = new LinkedHashMap<>();
        for (int i : order) {
            out.put(keys.get(i), digests.get(i));
        }
        return out;
    }

    private static String hash(Map<String, String> rows) {
        MessageDigest sha = RowDigests.sha256();
        for (Map.Entry<String, String> e : rows.entrySet()) {
            sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(e.getValue().getBytes(StandardCharsets.UTF_8));
        }
        return RowDigests.hex(sha.digest(), 16);
    }
}
