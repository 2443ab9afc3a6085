package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.proto.InsertedKeys;

import org.apache.flink.api.common.state.MapState;

import io.milvus.grpc.IDs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Delete at timestamp T removes, on the source, only the rows of its keys written before T: an
 * upsert arrives as an Insert then a Delete of the same keys at the same timestamp on the same
 * shard, and the upsert's rows stay; a row another writer wrote after T stays too. On the target a
 * delete removes whatever is there, so the keys written on the shard at T or later leave the
 * Delete. Normally the Delete follows its Insert at once, but not always: another writer's insert
 * may come between, and after a broker outage the source's producer may deliver a Delete well
 * after later messages and time ticks (seen: three keys of an upsert deleted on the target, kept
 * on the source). So the inserted keys are kept per shard and timestamp for {@link #LATE_WINDOW_MS}
 * of source time past the watermark, then forgotten.
 */
final class UpsertReassembly {

    /** How long past the watermark a late Delete is still checked against the inserts after it. */
    static final long LATE_WINDOW_MS = 300_000;
    static final long LATE_WINDOW_TSO = io.milvuscdc.connectors.event.Tso.ofMillis(LATE_WINDOW_MS);

    /** Keys written by Inserts, per "{vchannel}@{timestamp}". */
    private final MapState<String, byte[]> inserted;

    UpsertReassembly(MapState<String, byte[]> inserted) {
        this.inserted = inserted;
    }

    void inserted(String vchannel, long timestamp, IDs keys) throws Exception {
        String at = vchannel + "@" + timestamp;
        byte[] previous = inserted.get(at);
        IDs all = previous == null ? keys : InsertedKeys.parseFrom(previous).getKeys().toBuilder().mergeFrom(keys).build();
        inserted.put(at, InsertedKeys.newBuilder().setTimestamp(timestamp).setKeys(all).build().toByteArray());
    }

    /** The keys a Delete really removes: without those inserted at its timestamp or later on its shard. */
    IDs deleted(String vchannel, long timestamp, IDs keys) throws Exception {
        String prefix = vchannel + "@";
        IDs.Builder kept = null;
        for (String at : inserted.keys()) {
            if (at.startsWith(prefix) && Long.parseLong(at.substring(prefix.length())) >= timestamp) {
                IDs written = InsertedKeys.parseFrom(inserted.get(at)).getKeys();
                kept = kept == null ? written.toBuilder() : kept.mergeFrom(written);
            }
        }
        return kept == null ? keys : without(keys, kept.build());
    }

    /** Forgets the inserts more than {@link #LATE_WINDOW_MS} of source time before the watermark. */
    void forgetUpTo(long watermark) throws Exception {
        List<String> done = new ArrayList<>();
        for (String at : inserted.keys()) {
            int sep = at.lastIndexOf('@');
            // Entries of earlier versions were keyed by shard alone: they are stale too.
            if (sep < 0 || Long.parseLong(at.substring(sep + 1)) <= watermark - LATE_WINDOW_TSO) {
                done.add(at);
            }
        }
        for (String at : done) {
            inserted.remove(at);
        }
    }

    void clear() {
        inserted.clear();
    }

    static boolean isEmpty(IDs keys) {
        return keys.getIntId().getDataCount() == 0 && keys.getStrId().getDataCount() == 0;
    }

    static IDs without(IDs keys, IDs remove) {
        if (keys.hasStrId()) {
            Set<String> gone = new HashSet<>(remove.getStrId().getDataList());
            List<String> left = new ArrayList<>();
            keys.getStrId().getDataList().stream().filter(k -> !gone.contains(k)).forEach(left::add);
            IDs.Builder ids = IDs.newBuilder();
            ids.getStrIdBuilder().addAllData(left);
            return ids.build();
        }
        Set<Long> gone = new HashSet<>(remove.getIntId().getDataList());
        List<Long> left = new ArrayList<>();
        keys.getIntId().getDataList().stream().filter(k -> !gone.contains(k)).forEach(left::add);
        IDs.Builder ids = IDs.newBuilder();
        ids.getIntIdBuilder().addAllData(left);
        return ids.build();
    }
}
