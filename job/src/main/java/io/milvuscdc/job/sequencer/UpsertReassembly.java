package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.proto.InsertedKeys;

import org.apache.flink.api.common.state.MapState;

import io.milvus.grpc.IDs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An upsert arrives as an Insert then a Delete of the same keys at the same timestamp on the same
 * shard; on the target the Insert is an upsert already, so those keys leave the Delete. The keys
 * are kept per shard and timestamp, not just the shard's latest: another writer's insert may come
 * between an upsert's Insert and its Delete. They are forgotten once the watermark passes their
 * timestamp: the shard's Delete at that timestamp has come by then.
 */
final class UpsertReassembly {

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

    /** The keys a Delete really removes: without those inserted at its timestamp on its shard. */
    IDs deleted(String vchannel, long timestamp, IDs keys) throws Exception {
        byte[] at = inserted.get(vchannel + "@" + timestamp);
        return at == null ? keys : without(keys, InsertedKeys.parseFrom(at).getKeys());
    }

    void forgetUpTo(long watermark) throws Exception {
        List<String> done = new ArrayList<>();
        for (String at : inserted.keys()) {
            int sep = at.lastIndexOf('@');
            // Entries of earlier versions were keyed by shard alone: they are stale too.
            if (sep < 0 || Long.parseLong(at.substring(sep + 1)) <= watermark) {
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
