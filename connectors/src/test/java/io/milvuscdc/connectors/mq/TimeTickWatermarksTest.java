package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.proto.ChangeEvent;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.clock.ManualClock;
import org.apache.flink.util.clock.RelativeClock;

import io.milvuscdc.testutils.WireCaptures;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A channel's watermark: its ticks, and idle once silent, so that a channel whose last
 * collection was dropped (the source stops ticking it) does not hold back every later
 * replicate-channel command.
 */
class TimeTickWatermarksTest {

    /** A time tick as the real server wrote it (the Kafka capture), re-stamped at {@code later} ms after it if not 0. */
    private static ChangeRecord capturedTick(long laterMs) throws Exception {
        for (WireCaptures.MqMessage m : WireCaptures.load(WireCaptures.MILVUS_2_3_5_KAFKA).messages()) {
            if (MilvusMessageDecoder.typeOf(m.payload) == io.milvus.grpc.MsgType.TimeTick) {
                milvus.proto.msg.Msg.TimeTickMsg.Builder tick = milvus.proto.msg.Msg.TimeTickMsg.parseFrom(m.payload).toBuilder();
                // Hybrid timestamps: physical milliseconds above 18 logical bits.
                tick.getBaseBuilder().setTimestamp(tick.getBase().getTimestamp() + (laterMs << 18));
                return ChangeRecord.of(new MilvusMessageDecoder().decode(tick.build().toByteArray(), m.origin()).get(0));
            }
        }
        throw new AssertionError("no time tick in the capture");
    }

    /** The first replicate-channel command of the Kafka capture (a database or collection command). */
    private static ChangeRecord capturedCommand() throws Exception {
        for (WireCaptures.MqMessage m : WireCaptures.load(WireCaptures.MILVUS_2_3_5_KAFKA).messages()) {
            io.milvus.grpc.MsgType type = MilvusMessageDecoder.typeOf(m.payload);
            if (type == io.milvus.grpc.MsgType.CreateIndex || type == io.milvus.grpc.MsgType.CreateDatabase) {
                return ChangeRecord.of(new MilvusMessageDecoder().decode(m.payload, m.origin()).get(0));
            }
        }
        throw new AssertionError("no replicate-channel command in the capture");
    }

    private static WatermarkGenerator<ChangeRecord> channel(ManualClock clock) {
        return TimeTickWatermarks.fromTimeTicks().createWatermarkGenerator(new WatermarkGeneratorSupplier.Context() {
            @Override
            public MetricGroup getMetricGroup() {
                return new UnregisteredMetricsGroup();
            }

            @Override
            public RelativeClock getInputActivityClock() {
                return clock;
            }
        });
    }

    private static void advance(ManualClock clock, java.time.Duration by) {
        clock.advanceTime(by.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * Right after a start or a restore no channel has been read yet: one taken as idle before its
     * first poll let the other channels' ticks (and the catalog's) release an index command before
     * the old collection's drop on that channel, so it went to the collection about to be dropped
     * (the randomized kill test's "index missing" failure).
     */
    @Test
    void aChannelNotReadYetHoldsTheWatermarkUntilItsFirstTick() throws Exception {
        ManualClock clock = new ManualClock();
        WatermarkGenerator<ChangeRecord> channel = channel(clock);
        Recorded out = new Recorded();
        channel.onPeriodicEmit(out);
        advance(clock, TimeTickWatermarks.IDLE_AFTER.plusSeconds(1));
        channel.onPeriodicEmit(out);
        assertEquals(List.of(), out.events, "neither idle nor a watermark before the channel's first tick");

        ChangeRecord tick = capturedTick(0);
        channel.onEvent(tick, tick.timestamp, out);
        channel.onPeriodicEmit(out);
        assertEquals(List.of("wm " + tick.timestamp), out.events);
    }

    /** A channel no collection uses (never ticked since the job opened it) stops holding the watermark. */
    @Test
    void aChannelThatNeverTicksGoesIdleOnceItsFirstTickIsLongOverdue() {
        ManualClock clock = new ManualClock();
        WatermarkGenerator<ChangeRecord> channel = channel(clock);
        Recorded out = new Recorded();
        advance(clock, TimeTickWatermarks.FIRST_TICK_WITHIN.plusMillis(1));
        channel.onPeriodicEmit(out);
        assertEquals(List.of("idle"), out.events);
    }

    /** The replicate channel never ticks; its commands wait downstream for the DML channels' watermark. */
    @Test
    void theReplicateChannelIsIdleFromItsFirstCommand() throws Exception {
        ManualClock clock = new ManualClock();
        WatermarkGenerator<ChangeRecord> channel = channel(clock);
        Recorded out = new Recorded();
        ChangeRecord command = capturedCommand();
        channel.onEvent(command, command.timestamp, out);
        channel.onPeriodicEmit(out);
        assertEquals(List.of("idle"), out.events);
    }

    @Test
    void aChannelThatStopsTickingGoesIdleAndComesBackWithItsNextMessage() throws Exception {
        ManualClock clock = new ManualClock();
        WatermarkGenerator<ChangeRecord> channel = channel(clock);
        ChangeRecord first = capturedTick(0);
        ChangeRecord later = capturedTick(60_000);
        Recorded out = new Recorded();
        channel.onEvent(first, first.timestamp, out);
        channel.onPeriodicEmit(out);
        assertEquals(List.of("wm " + first.timestamp), out.events);

        // The last collection on this channel is dropped: no more ticks, no messages at all.
        clock.advanceTime(TimeTickWatermarks.IDLE_AFTER.toNanos() / 2, java.util.concurrent.TimeUnit.NANOSECONDS);
        channel.onPeriodicEmit(out);
        assertEquals("wm " + first.timestamp, out.last(), "still live within the idle timeout");
        clock.advanceTime(TimeTickWatermarks.IDLE_AFTER.toNanos() + 1, java.util.concurrent.TimeUnit.NANOSECONDS);
        channel.onPeriodicEmit(out);
        assertEquals("idle", out.last(), "silent past the timeout: it no longer holds the job's watermark");

        channel.onEvent(later, later.timestamp, out);
        channel.onPeriodicEmit(out);
        assertEquals("wm " + later.timestamp, out.last());
    }

    private static final class Recorded implements WatermarkOutput {
        final List<String> events = new ArrayList<>();

        @Override
        public void emitWatermark(Watermark watermark) {
            events.add("wm " + watermark.getTimestamp());
        }

        @Override
        public void markIdle() {
            events.add("idle");
        }

        @Override
        public void markActive() {}

        String last() {
            return events.get(events.size() - 1);
        }
    }
}
