package io.milvuscdc.connectors.verify;

import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.query.RowDigests;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException;
import io.milvuscdc.connectors.sink.internal.TargetClient;

import io.milvus.grpc.FieldData;
import io.milvus.grpc.IDs;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.StringArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes one key range of the target what the source holds: rows missing or differing are
 * upserted from the source's current rows (all fields, keys kept), keys only the target holds are
 * deleted; a range where the target stores a key twice has every source row upserted (an upsert
 * replaces every copy of its key). Goes through the sink's own client: the same writes, retried alike.
 */
public final class RangeRepair {

    /** Keys per call: a page of 768-dim rows stays a few MB. */
    private static final int CHUNK = 500;

    private final MilvusQueryClient source;
    private final TargetClient target;

    public RangeRepair(MilvusQueryClient source, TargetClient target) {
        this.source = source;
        this.target = target;
    }

    /** What a repair wrote. */
    public static final class Done {
        public long upserted;
        public long deleted;
    }

    public Done repair(RangeDiff d) throws InterruptedException {
        KeyRange r = d.range;
        Done done = new Done();
        if (d.targetDuplicates() > 0) {
            List<FieldData> all = source.query(r.database, r.collection, r.partition, r.filter(null), List.of("*"), 0);
            done.upserted += upsert(r, all, RowDigests.rows(all, r.primaryField));
        } else {
            List<String> write = new ArrayList<>(d.missing);
            write.addAll(d.differing);
            for (int from = 0; from < write.size(); from += CHUNK) {
                List<String> keys = write.subList(from, Math.min(write.size(), from + CHUNK));
                List<FieldData> rows = source.query(r.database, r.collection, r.partition, r.keysFilter(keys),
                        List.of("*"), MilvusQueryClient.MAX_QUERY_WINDOW);
                // A key the source deleted since the comparison is not written: the next check sees it extra.
                done.upserted += upsert(r, rows, RowDigests.rows(rows, r.primaryField));
            }
        }
        for (int from = 0; from < d.extra.size(); from += CHUNK) {
            List<String> keys = d.extra.subList(from, Math.min(d.extra.size(), from + CHUNK));
            IDs.Builder ids = IDs.newBuilder();
            if (r.stringKeys) {
                ids.setStrId(StringArray.newBuilder().addAllData(keys));
            } else {
                LongArray.Builder longs = LongArray.newBuilder();
                keys.forEach(k -> longs.addData(Long.parseLong(k)));
                ids.setIntId(longs);
            }
            apply(operation(r).setDelete(Delete.newBuilder().setPartitionName(partition(r))
                    .setPrimaryKeys(ids).setPrimaryField(r.primaryField)).build());
            done.deleted += keys.size();
        }
        return done;
    }

    private long upsert(KeyRange r, List<FieldData> columns, int rows) throws InterruptedException {
        if (rows == 0) {
            return 0;
        }
        Upsert.Builder u = Upsert.newBuilder().setPartitionName(partition(r)).setNumRows(rows).setPrimaryField(r.primaryField);
        columns.forEach(c -> u.addFieldsData(c.toByteString()));
        apply(operation(r).setUpsert(u).build());
        return rows;
    }

    /** Retries what the target refuses for now (an outage, its rate limit) for up to a minute. */
    private void apply(TargetOperation op) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        long backoff = 200;
        while (true) {
            try {
                target.apply(op);
                return;
            } catch (MilvusTargetException e) {
                if (!e.retriable() || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }

    private static TargetOperation.Builder operation(KeyRange r) {
        return TargetOperation.newBuilder().setDatabase(r.targetDatabase).setCollection(r.targetCollection);
    }

    private static String partition(KeyRange r) {
        return r.partition == null ? "" : r.partition;
    }
}
