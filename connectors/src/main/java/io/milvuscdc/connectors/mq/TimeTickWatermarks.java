package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.ChangeRecord;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.util.clock.RelativeClock;

import java.time.Duration;

/**
 * Event time of the job: the source's hybrid timestamps (TSO). Each DML channel's time ticks
 * promise that nothing at or before them follows on that channel, so a channel's watermark is
 * its latest tick.
 *
 * <p>The replicate channel never ticks: it is idle from its first command on (its commands wait
 * downstream for the DML channels' watermark, so its own position need not hold it). A DML channel
 * can fall silent for good: the source stops ticking a channel once no collection uses it. Such a
 * channel is idle, so that it does not hold the job's watermark back, once it has shown
 * nothing for {@link #IDLE_AFTER} (after a tick) or {@link #FIRST_TICK_WITHIN} (since it was
 * opened). Until then a channel that has not ticked yet holds the watermark: right after a start
 * or a restore, every channel still has to be read from its position, and a channel taken as idle
 * before its first read would let the others' ticks release commands ahead of its rows and drops.
 * Silence is measured on Flink's input-activity clock, which stands still while the job is
 * back-pressured. A channel comes back the moment it carries a message again.
 */
public final class TimeTickWatermarks {

    /** Many times Milvus's tick interval (200 ms): only a channel nobody writes to stays silent this long. */
    public static final Duration IDLE_AFTER = Duration.ofSeconds(3);

    /** Room for a freshly opened channel's first fetch (connection, seek, first poll) on a busy machine. */
    public static final Duration FIRST_TICK_WITHIN = Duration.ofSeconds(10);

    private TimeTickWatermarks() {}

    /** For a message-queue source: one generator per channel (split). */
    public static WatermarkStrategy<ChangeRecord> fromTimeTicks() {
        return WatermarkStrategy.<ChangeRecord>forGenerator(ctx -> new TickGenerator(ctx.getInputActivityClock()))
                .withTimestampAssigner((record, recordTimestamp) -> record.timestamp);
    }

    /**
     * For the catalog source (etcd): its reader emits the watermarks itself (the catalog is complete
     * up to a moment ago whenever the watch's events are all out); nothing to add here.
     */
    public static WatermarkStrategy<ChangeRecord> fromCatalogReader() {
        return WatermarkStrategy.<ChangeRecord>noWatermarks()
                .withTimestampAssigner((record, recordTimestamp) -> record.timestamp);
    }

    /**
     * For the initial snapshot: its rows carry the moment the stream starts from, and the
     * watermark stays just below it until the copy ends (then the source finishes and leaves it
     * to the others): nothing the watermark orders overtakes the copy.
     */
    public static WatermarkStrategy<ChangeRecord> heldBelow(long tso) {
        return WatermarkStrategy.<ChangeRecord>forGenerator(ctx -> new WatermarkGenerator<>() {
            @Override
            public void onEvent(ChangeRecord event, long eventTimestamp, WatermarkOutput output) {
            }

            @Override
            public void onPeriodicEmit(WatermarkOutput output) {
                output.emitWatermark(new org.apache.flink.api.common.eventtime.Watermark(tso - 1));
            }
        }).withTimestampAssigner((record, recordTimestamp) -> record.timestamp);
    }

    static final class TickGenerator implements WatermarkGenerator<ChangeRecord> {
        private final RelativeClock clock;
        private long latestTick = Long.MIN_VALUE;
        private long lastActivityNanos;
        /** Carried a database or collection command (no collection id) before any tick: the replicate channel. */
        private boolean commandsOnly;

        TickGenerator(RelativeClock clock) {
            this.clock = clock;
            this.lastActivityNanos = clock.relativeTimeNanos();
        }

        @Override
        public void onEvent(ChangeRecord record, long eventTimestamp, WatermarkOutput output) {
            lastActivityNanos = clock.relativeTimeNanos();
            if (record.timeTick && record.timestamp > latestTick) {
                latestTick = record.timestamp;
            } else if (!record.timeTick && record.collectionId == 0 && latestTick == Long.MIN_VALUE) {
                commandsOnly = true;
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            Duration silentFor = Duration.ofNanos(clock.relativeTimeNanos() - lastActivityNanos);
            Duration idleAfter = latestTick == Long.MIN_VALUE ? FIRST_TICK_WITHIN : IDLE_AFTER;
            if ((commandsOnly && latestTick == Long.MIN_VALUE) || silentFor.compareTo(idleAfter) > 0) {
                output.markIdle();
            } else if (latestTick != Long.MIN_VALUE) {
                output.emitWatermark(new Watermark(latestTick));
            }
            // Not ticked yet and not silent for long: no watermark, which holds the job's back.
        }
    }
}
