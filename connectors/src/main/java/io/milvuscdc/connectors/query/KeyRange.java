package io.milvuscdc.connectors.query;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of one collection (and partition) whose primary key lies in {@code (lo, hi]}, on the
 * source and under its target names. A null bound is open: the first range of a collection starts
 * below every key, the last ends above every key, so that rows only the target holds fall in one.
 * Keys are kept as text (an int64 in decimal, a varchar as it is).
 */
public final class KeyRange implements Serializable {

    private static final long serialVersionUID = 1L;

    public String database;
    public String collection;
    public String targetDatabase;
    public String targetCollection;
    /** Null: the whole collection (a partition-key collection, whose partitions the server routes). */
    public String partition;
    public String primaryField;
    public boolean stringKeys;
    public String lo;
    public String hi;

    public KeyRange() {}

    public KeyRange(String database, String collection, String targetDatabase, String targetCollection, String partition,
                    String primaryField, boolean stringKeys, String lo, String hi) {
        this.database = database;
        this.collection = collection;
        this.targetDatabase = targetDatabase;
        this.targetCollection = targetCollection;
        this.partition = partition;
        this.primaryField = primaryField;
        this.stringKeys = stringKeys;
        this.lo = lo;
        this.hi = hi;
    }

    /**
     * The range's filter, its keys above {@code after} too when that is not null. Never empty: a
     * query without a limit needs an expression (for the whole key space, one every key matches).
     */
    public String filter(String after) {
        List<String> terms = new ArrayList<>(3);
        String from = after != null ? after : lo;
        if (from != null) {
            terms.add(primaryField + " > " + literal(from));
        }
        if (hi != null) {
            terms.add(primaryField + " <= " + literal(hi));
        }
        if (terms.isEmpty()) {
            return stringKeys ? primaryField + " >= \"\"" : "(" + primaryField + " < 0 or " + primaryField + " >= 0)";
        }
        return String.join(" and ", terms);
    }

    /** {@code pk in [...]} of {@code keys}. */
    public String keysFilter(List<String> keys) {
        StringBuilder b = new StringBuilder(primaryField).append(" in [");
        for (int i = 0; i < keys.size(); i++) {
            b.append(i == 0 ? "" : ",").append(literal(keys.get(i)));
        }
        return b.append(']').toString();
    }

    public String literal(String key) {
        return stringKeys ? '"' + key.replace("\\", "\\\\").replace("\"", "\\\"") + '"' : key;
    }

    /** Sorts as the server does: int64 by value, varchar by its UTF-8 bytes. */
    public int compareKeys(String a, String b) {
        if (!stringKeys) {
            return Long.compare(Long.parseLong(a), Long.parseLong(b));
        }
        return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** database.collection on the source, with the partition when the range is within one. */
    public String id() {
        return database + "." + collection + (partition == null ? "" : "/" + partition);
    }

    @Override
    public String toString() {
        return id() + " keys (" + (lo == null ? "-inf" : lo) + ", " + (hi == null ? "+inf" : hi) + "]";
    }
}
