package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.ChangeRecord;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time of the job: the source's hybrid timestamps (TSO). Each DML channel's time ticks
 * promise that nothing at or before them follows on that channel, so a channel's watermark is
 * its latest tick. A channel that has shown no tick (the replicate channel never does) is
 * idle, so it does not hold the job's watermark back.
 */
public final class TimeTickWatermarks {

    private TimeTickWatermarks() {}

    /** For a message-queue source: one generator per channel (split). */
    public static WatermarkStrategy<ChangeRecord> fromTimeTicks() {
        return WatermarkStrategy.<ChangeRecord>forGenerator(ctx -> new TickGenerator())
                .withTimestampAssigner((record, recordTimestamp) -> record.timestamp);
    }

    /** For the catalog source (etcd), which has no time ticks: always idle. */
    public static WatermarkStrategy<ChangeRecord> idle() {
        return WatermarkStrategy.<ChangeRecord>forGenerator(ctx -> new IdleGenerator())
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

    private static final class IdleGenerator implements WatermarkGenerator<ChangeRecord> {
        @Override
        public void onEvent(ChangeRecord record, long eventTimestamp, WatermarkOutput output) {}

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            output.markIdle();
        }
    }
}
