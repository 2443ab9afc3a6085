package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.proto.ChangeEvent;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Events of one collection that wait: for the collection (the catalog and the rows come from two
 * sources with no order between them), for a partition, or behind earlier rows that wait. Rows
 * keep their order behind rows that wait; catalog and drop events need not.
 */
final class PendingEvents {

    /** Applies one event; false when it has to wait. */
    interface Applier {
        boolean apply(ChangeEvent event) throws Exception;
    }

    private final ListState<byte[]> events;
    private final ValueState<Integer> size;
    /** Told the current key's count whenever it changes (the operator's buffered gauges). */
    private final java.util.function.IntConsumer counted;

    PendingEvents(ListState<byte[]> events, ValueState<Integer> size) {
        this(events, size, n -> { });
    }

    PendingEvents(ListState<byte[]> events, ValueState<Integer> size, java.util.function.IntConsumer counted) {
        this.events = events;
        this.size = size;
        this.counted = counted;
    }

    static boolean isRows(ChangeEvent event) {
        return event.hasRowsInserted() || event.hasRowsDeleted();
    }

    int count() throws Exception {
        Integer n = size.value();
        return n == null ? 0 : n;
    }

    void add(byte[] event) throws Exception {
        events.add(event);
        int n = count() + 1;
        size.update(n);
        counted.accept(n);
    }

    void clear() {
        events.clear();
        size.clear();
        counted.accept(0);
    }

    /**
     * Applies what waits, in arrival order, until nothing more moves (an applied partition create
     * or drop can unblock earlier events); keeps what still has to wait. Stops, keeping nothing,
     * once {@code alive} turns false (the collection was dropped meanwhile).
     */
    void replay(Applier applier, BooleanSupplier alive) throws Exception {
        if (count() == 0) {
            return;
        }
        List<byte[]> queue = new ArrayList<>();
        events.get().forEach(queue::add);
        clear();
        boolean progress = true;
        while (progress && !queue.isEmpty()) {
            progress = false;
            boolean rowsBlocked = false;
            List<byte[]> still = new ArrayList<>();
            for (byte[] bytes : queue) {
                ChangeEvent event = ChangeEvent.parseFrom(bytes);
                boolean rows = isRows(event);
                if (!alive.getAsBoolean() || (rows && rowsBlocked) || !applier.apply(event)) {
                    still.add(bytes);
                    rowsBlocked |= rows;
                } else {
                    progress = true;
                }
            }
            queue = still;
        }
        if (alive.getAsBoolean()) {
            events.update(queue);
            size.update(queue.size());
            counted.accept(queue.size());
        }
    }
}
