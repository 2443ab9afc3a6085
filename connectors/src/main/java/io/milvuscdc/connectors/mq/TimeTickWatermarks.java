package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.ChangeRecord;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

import java.time.Duration;

/**
 * Event time of the job: the source's hybrid timestamps (TSO). Each DML channel's time ticks
 * promise that nothing at or before them follows on that channel, so a channel's watermark is
 * its latest tick. A channel that has shown no tick (the replicate channel never does) is
 * idle, so it does not hold the job's watermark back; so is a channel that has been silent for
 * {@link #IDLE_AFTER}: the source stops ticking a channel once no collection uses it, and a
 * source reader without any channel has nothing to tick at all. A channel comes back the
 * moment it carries a message again.
 */
public final class TimeTickWatermarks {

    /** Many times Milvus's tick interval (200 ms): only a channel nobody writes to stays silent this long. */
    public static final Duration IDLE_AFTER = Duration.ofSeconds(3);

    private TimeTickWatermarks() {}

    /** For a message-queue source: one generator per channel (split). */
    public static WatermarkStrategy<ChangeRecord> fromTimeTicks() {
        return WatermarkStrategy.<ChangeRecord>forGenerator(ctx -> new TickGenerator())
                .withTimestampAssigner((record, recordTimestamp) -> record.timestamp)
                .withIdleness(IDLE_AFTER);
    }

    /**
     * For the catalog source (etcd): its reader emits the watermarks itself (the catalog is complete
     * up to a moment ago whenever the watch's events are all out); nothing to add here.
     */
    public static WatermarkStrategy<ChangeRecord> fromCatalogReader() {
        return WatermarkStrategy.<ChangeRecord>noWatermarks()
                .withTimestampAssigner((record, recordTimestamp) -> record.timestamp);
    }

    private static final class TickGenerator implements WatermarkGenerator<ChangeRecord> {
        private long latestTick = Long.MIN_VALUE;

        @Override
        public void onEvent(ChangeRecord record, long eventTimestamp, WatermarkOutput output) {
            if (record.timeTick && record.timestamp > latestTick) {
                latestTick = record.timestamp;
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            if (latestTick == Long.MIN_VALUE) {
                output.markIdle();
            } else {
                output.emitWatermark(new Watermark(latestTick));
            }
        }
    }
}
