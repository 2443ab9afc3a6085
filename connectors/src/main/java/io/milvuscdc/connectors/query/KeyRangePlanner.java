package io.milvuscdc.connectors.query;

import io.milvus.grpc.FieldData;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a collection (or one partition of it) into key ranges of about {@code rangeRows} rows each
 * by reading its keys alone, in key order: the first range is open below, the last open above.
 */
public final class KeyRangePlanner {

    private KeyRangePlanner() {}

    public static List<KeyRange> plan(MilvusQueryClient client, KeyRange whole, int rangeRows) {
        List<KeyRange> out = new ArrayList<>();
        String lo = null;
        String after = null;
        long inRange = 0;
        while (true) {
            List<FieldData> page = client.query(whole.database, whole.collection, whole.partition, whole.filter(after),
                    List.of(whole.primaryField), MilvusQueryClient.MAX_QUERY_WINDOW);
            List<String> keys = RowDigests.keys(page, whole.primaryField);
            for (String k : keys) {
                if (after != null && whole.compareKeys(k, after) <= 0) {
                    throw new IllegalStateException(whole.id() + " answered a query with limit out of key order ("
                            + k + " after " + after + "): cannot page it by key");
                }
                after = k;
                if (++inRange == rangeRows) {
                    out.add(sub(whole, lo, k));
                    lo = k;
                    inRange = 0;
                }
            }
            if (keys.size() < MilvusQueryClient.MAX_QUERY_WINDOW) {
                out.add(sub(whole, lo, null));
                return out;
            }
        }
    }

    private static KeyRange sub(KeyRange whole, String lo, String hi) {
        return new KeyRange(whole.database, whole.collection, whole.targetDatabase, whole.targetCollection,
                whole.partition, whole.primaryField, whole.stringKeys, lo, hi);
    }
}
