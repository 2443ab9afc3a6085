package io.milvuscdc.job.sequencer;

import org.apache.flink.api.common.state.MapState;

import java.util.Set;

/**
 * A drop (of a collection, or of one of its partitions) takes effect once every physical channel
 * of the collection has delivered it: no earlier row of any shard can follow it then. 2.3 writes
 * one DropCollection or DropPartition message per physical channel.
 */
final class DropBarrier {

    /** "{what}{channel}" of every drop seen and not yet complete. */
    private final MapState<String, Boolean> arrived;

    DropBarrier(MapState<String, Boolean> arrived) {
        this.arrived = arrived;
    }

    /**
     * Records that {@code channel} delivered the drop of {@code what} ("" for the collection, a
     * partition id and "/" for a partition); true once all of {@code channels} have, and then the
     * barrier forgets it.
     */
    boolean arrive(String what, String channel, Set<String> channels) throws Exception {
        arrived.put(what + channel, true);
        for (String c : channels) {
            if (!arrived.contains(what + c)) {
                return false;
            }
        }
        for (String c : channels) {
            arrived.remove(what + c);
        }
        return true;
    }

    void clear() {
        arrived.clear();
    }
}
