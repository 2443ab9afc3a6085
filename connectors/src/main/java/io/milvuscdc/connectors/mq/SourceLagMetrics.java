package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.Tso;

import org.apache.flink.metrics.MetricGroup;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The source reader's lag in wall-clock terms. Flink's own {@code currentEmitEventTimeLag} of
 * these sources subtracts the records' event time, which here is a source TSO (a 64-bit hybrid
 * timestamp, not milliseconds): meaningless. These gauges take the TSO's physical milliseconds
 * instead, in the reader's group {@code milvus}: {@code currentEmitEventTimeLag} (now minus the
 * source time of the last record the reader emitted; the connectors deserialize as they emit,
 * so the fetch time is not observable apart from it), and per channel (variable {@code channel})
 * {@code lastTickMs} (source time of its last time tick) and {@code tickLagMs} (now minus it: a
 * channel the reader keeps up with reads about Milvus's tick interval, 200 ms).
 */
public final class SourceLagMetrics {

    /** The per-channel gauges' names (dashboards and tests refer to these). */
    public static final String EMIT_LAG = "currentEmitEventTimeLag";
    public static final String LAST_TICK = "lastTickMs";
    public static final String TICK_LAG = "tickLagMs";

    private final MetricGroup group;
    private final LongSupplier clock;
    private final Map<String, long[]> lastTick = new ConcurrentHashMap<>();
    private volatile long lastEmittedMs;

    public SourceLagMetrics(MetricGroup readerGroup) {
        this(readerGroup, System::currentTimeMillis);
    }

    SourceLagMetrics(MetricGroup readerGroup, LongSupplier clock) {
        this.group = readerGroup.addGroup("milvus");
        this.clock = clock;
        group.gauge(EMIT_LAG, () -> lastEmittedMs == 0 ? 0L : Math.max(0, clock.getAsLong() - lastEmittedMs));
    }

    /** A record the reader emits from {@code channel}. */
    public void emitted(String channel, ChangeRecord record) {
        if (record.timestamp <= 0) {
            return;
        }
        long ms = Tso.toMillis(record.timestamp);
        lastEmittedMs = ms;
        if (record.timeTick) {
            lastTick.computeIfAbsent(channel, c -> {
                long[] holder = new long[1];
                MetricGroup g = group.addGroup("channel", c);
                g.gauge(LAST_TICK, () -> holder[0]);
                g.gauge(TICK_LAG, () -> holder[0] == 0 ? 0L : Math.max(0, clock.getAsLong() - holder[0]));
                return holder;
            })[0] = ms;
        }
    }
}
