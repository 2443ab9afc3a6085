package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.RawColumns;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;

import com.google.protobuf.ByteString;
import io.milvus.grpc.IDs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects operations in apply order and merges neighbours into fewer target requests: an
 * Upsert into the previous Upsert of the same collection and partition, a Delete into the
 * previous Delete. Only the previous operation of the same target collection is a merge
 * candidate, so each collection's order is kept; collections are independent, but a database
 * command is a barrier for the collections of its database.
 *
 * <p>Within one request a primary key appears once, with its last written row: Milvus 2.3
 * stores every row of an upsert, repeated keys too, and then returns the older one. Requests
 * are bounded in rows and in serialized bytes (the target's gRPC limit); an operation larger
 * than the byte bound is split by rows. Parts are kept as they come and joined once when
 * drained, so merging costs linear time.
 */
public final class OperationBatcher {

    /** Well below the 64 MiB a Milvus proxy accepts by default ({@code proxy.grpc.serverMaxRecvSize}). */
    public static final long DEFAULT_MAX_BYTES = 16L * 1024 * 1024;

    private final int maxRowsPerBatch;
    private final long maxBytesPerBatch;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Entry> lastByCollection = new HashMap<>();
    private int heldRows;
    private long heldBytes;

    public OperationBatcher(int maxRowsPerBatch) {
        this(maxRowsPerBatch, DEFAULT_MAX_BYTES);
    }

    public OperationBatcher(int maxRowsPerBatch, long maxBytesPerBatch) {
        this.maxRowsPerBatch = maxRowsPerBatch;
        this.maxBytesPerBatch = maxBytesPerBatch;
    }

    public void add(TargetOperation op) {
        if (op.hasUpsert() && op.getUpsert().getSerializedSize() > maxBytesPerBatch && op.getUpsert().getNumRows() > 1) {
            for (Upsert part : split(op.getUpsert())) {
                add(op.toBuilder().setUpsert(part).build());
            }
            return;
        }
        heldRows += OperationSplitter.rows(op);
        heldBytes += bytes(op);
        String collection = op.getDatabase() + "." + op.getCollection();
        if (op.hasDatabaseCommand()) {
            // A barrier for the database's collections: nothing later merges into a request before it.
            lastByCollection.keySet().removeIf(c -> c.startsWith(op.getDatabase() + "."));
        }
        Entry last = lastByCollection.get(collection);
        if (last != null && last.tryMerge(op)) {
            return;
        }
        Entry entry = new Entry(op);
        entries.add(entry);
        lastByCollection.put(collection, entry);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public int size() {
        return entries.size();
    }

    /** Rows of the operations held (before de-duplication). */
    public int rows() {
        return heldRows;
    }

    /** Serialized bytes of the rows and keys held. */
    public long bytes() {
        return heldBytes;
    }

    /** The batched operations, in apply order; the batcher is empty afterwards. */
    public List<TargetOperation> drain() {
        List<TargetOperation> out = new ArrayList<>(entries.size());
        entries.forEach(e -> out.add(e.build()));
        entries.clear();
        lastByCollection.clear();
        heldRows = 0;
        heldBytes = 0;
        return out;
    }

    /** An oversized upsert in row ranges that each fit the byte bound. */
    private List<Upsert> split(Upsert upsert) {
        int rows = upsert.getNumRows();
        long size = upsert.getSerializedSize();
        int perPart = (int) Math.max(1, rows * maxBytesPerBatch / size);
        List<Upsert> parts = new ArrayList<>();
        for (int from = 0; from < rows; from += perPart) {
            boolean[] keep = new boolean[rows];
            int to = Math.min(rows, from + perPart);
            Arrays.fill(keep, from, to, true);
            parts.add(select(upsert, keep, to - from));
        }
        return parts;
    }

    static Upsert select(Upsert upsert, boolean[] keep, int kept) {
        Upsert.Builder out = upsert.toBuilder().clearFieldsData().setNumRows(kept);
        for (ByteString column : upsert.getFieldsDataList()) {
            out.addFieldsData(Columns.join(List.of(column), List.of(keep)));
        }
        return out.build();
    }

    private static long bytes(TargetOperation op) {
        return op.hasUpsert() ? op.getUpsert().getSerializedSize() : op.hasDelete() ? op.getDelete().getSerializedSize() : 0;
    }

    /** One request to be: an operation, or neighbouring upserts or deletes merged. */
    private final class Entry {
        private final TargetOperation first;
        private final List<Upsert> upserts = new ArrayList<>();
        private final List<IDs> deletes = new ArrayList<>();
        private long timestamp;
        private int rows;
        private long bytes;

        Entry(TargetOperation op) {
            this.first = op;
            this.timestamp = op.getTimestamp();
            this.rows = OperationSplitter.rows(op);
            this.bytes = OperationBatcher.bytes(op);
            if (op.hasUpsert()) {
                upserts.add(op.getUpsert());
            } else if (op.hasDelete()) {
                deletes.add(op.getDelete().getPrimaryKeys());
            }
        }

        boolean tryMerge(TargetOperation next) {
            if (rows + OperationSplitter.rows(next) > maxRowsPerBatch || bytes + OperationBatcher.bytes(next) > maxBytesPerBatch) {
                return false;
            }
            if (first.hasUpsert() && next.hasUpsert()) {
                Upsert a = first.getUpsert();
                Upsert b = next.getUpsert();
                // Without the key's name (operations from before it was recorded) rows cannot be de-duplicated.
                if (a.getPrimaryField().isEmpty() || !a.getPrimaryField().equals(b.getPrimaryField())
                        || !a.getPartitionName().equals(b.getPartitionName())
                        || !sameColumns(a.getFieldsDataList(), b.getFieldsDataList())) {
                    return false;
                }
                upserts.add(b);
            } else if (first.hasDelete() && next.hasDelete()) {
                Delete a = first.getDelete();
                Delete b = next.getDelete();
                if (!a.getPartitionName().equals(b.getPartitionName()) || !a.getPrimaryField().equals(b.getPrimaryField())
                        || a.getPrimaryKeys().hasStrId() != b.getPrimaryKeys().hasStrId()) {
                    return false;
                }
                deletes.add(b.getPrimaryKeys());
            } else {
                return false;
            }
            rows += OperationSplitter.rows(next);
            bytes += OperationBatcher.bytes(next);
            timestamp = next.getTimestamp();
            return true;
        }

        TargetOperation build() {
            if (first.hasUpsert()) {
                return first.toBuilder().setTimestamp(timestamp).setUpsert(mergedUpsert()).build();
            }
            if (first.hasDelete()) {
                return first.toBuilder().setTimestamp(timestamp).setDelete(mergedDelete()).build();
            }
            return first;
        }

        /** The parts' rows, each key once with its last row. */
        private Upsert mergedUpsert() {
            String pk = upserts.get(0).getPrimaryField();
            List<boolean[]> keep = new ArrayList<>(upserts.size());
            int kept = 0;
            if (pk.isEmpty()) {
                upserts.forEach(u -> keep.add(null));
                kept = rows;
            } else {
                Set<Object> seen = new HashSet<>();
                for (int p = upserts.size() - 1; p >= 0; p--) {
                    List<Object> keys = Columns.keyList(keyColumn(upserts.get(p), pk));
                    boolean[] k = new boolean[keys.size()];
                    boolean all = true;
                    for (int r = keys.size() - 1; r >= 0; r--) {
                        k[r] = seen.add(keys.get(r));
                        all &= k[r];
                        kept += k[r] ? 1 : 0;
                    }
                    keep.add(0, all ? null : k);
                }
            }
            if (upserts.size() == 1 && keep.get(0) == null) {
                return upserts.get(0);
            }
            Upsert a = upserts.get(0);
            Upsert.Builder merged = a.toBuilder().clearFieldsData().setNumRows(kept);
            for (int i = 0; i < a.getFieldsDataCount(); i++) {
                List<ByteString> parts = new ArrayList<>(upserts.size());
                for (Upsert u : upserts) {
                    parts.add(u.getFieldsData(i));
                }
                merged.addFieldsData(Columns.join(parts, keep));
            }
            return merged.build();
        }

        private Delete mergedDelete() {
            if (deletes.size() == 1) {
                return first.getDelete();
            }
            IDs.Builder keys = IDs.newBuilder();
            if (deletes.get(0).hasStrId()) {
                Set<String> all = new java.util.LinkedHashSet<>();
                deletes.forEach(d -> all.addAll(d.getStrId().getDataList()));
                keys.getStrIdBuilder().addAllData(all);
            } else {
                Set<Long> all = new java.util.LinkedHashSet<>();
                deletes.forEach(d -> all.addAll(d.getIntId().getDataList()));
                keys.getIntIdBuilder().addAllData(all);
            }
            return first.getDelete().toBuilder().setPrimaryKeys(keys).build();
        }
    }

    /** The key column, decoded (the only one the batcher reads values of). */
    private static io.milvus.grpc.FieldData keyColumn(Upsert upsert, String name) {
        io.milvus.grpc.FieldData column = RawColumns.find(upsert.getFieldsDataList(), name);
        if (column == null) {
            throw new IllegalArgumentException("Upsert without its primary key column " + name);
        }
        return column;
    }

    private static boolean sameColumns(List<ByteString> a, List<ByteString> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!RawColumns.fieldName(a.get(i)).equals(RawColumns.fieldName(b.get(i)))
                    || RawColumns.dataType(a.get(i)) != RawColumns.dataType(b.get(i))) {
                return false;
            }
        }
        return true;
    }
}
