package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.Tso;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SourceLagMetricsTest {

    /** Gauges by their path of group names ("milvus.channel.ch0.tickLagMs"). */
    private final Map<String, Gauge<?>> gauges = new HashMap<>();
    private final AtomicLong now = new AtomicLong(1_000_000);

    private final class Capturing extends UnregisteredMetricsGroup {
        private final String path;

        Capturing(String path) {
            this.path = path;
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return new Capturing(path + key + "." + value + ".");
        }

        @Override
        public MetricGroup addGroup(String name) {
            return new Capturing(path + name + ".");
        }

        @Override
        public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
            gauges.put(path + name, gauge);
            return gauge;
        }
    }

    private long value(String path) {
        return ((Number) gauges.get(path).getValue()).longValue();
    }

    @Test
    void lagsAreWallClockMinusTheTsosPhysicalTime() {
        SourceLagMetrics metrics = new SourceLagMetrics(new Capturing(""), now::get);
        assertEquals(0, value("milvus.currentEmitEventTimeLag"), "nothing emitted yet");
        metrics.emitted("ch0", record(Tso.ofMillis(990_000), false));
        assertEquals(10_000, value("milvus.currentEmitEventTimeLag"));
        metrics.emitted("ch0", record(Tso.ofMillis(999_800), true));
        metrics.emitted("ch1", record(Tso.ofMillis(998_000), true));
        assertEquals(2_000, value("milvus.currentEmitEventTimeLag"), "the last record emitted");
        assertEquals(200, value("milvus.channel.ch0.tickLagMs"));
        assertEquals(999_800, value("milvus.channel.ch0.lastTickMs"));
        assertEquals(2_000, value("milvus.channel.ch1.tickLagMs"));
        now.addAndGet(5_000); // a channel that stops ticking shows it
        assertEquals(5_200, value("milvus.channel.ch0.tickLagMs"));
    }

    private static ChangeRecord record(long tso, boolean tick) {
        ChangeRecord r = new ChangeRecord();
        r.timestamp = tso;
        r.timeTick = tick;
        return r;
    }
}
