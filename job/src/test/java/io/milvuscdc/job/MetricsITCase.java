package io.milvuscdc.job;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.vector.request.InsertReq;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-collection metrics as a reporter sees them (Flink's in-memory reporter): labelled with
 * the variables {@code database} and {@code collection}; rows counted as they reach the target;
 * the replication lag moves while rows flow and settles near the checkpoint interval once the
 * source is idle (time ticks advance it), instead of growing with the time since the last write.
 */
@ExtendWith(MilvusStackExtension.class)
class MetricsITCase {

    private static final InMemoryReporter REPORTER = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @Test
    void perCollectionRowsAndLagMoveWithTheRowsAndSettleWhenIdle(MilvusStack stack) throws Exception {
        String name = "metrics_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        JobClient job = null;
        try {
            CdcConfig config = ReplicationHarness.config(stack, MilvusStack.Queue.KAFKA,
                    "selection:", "  include: [default." + name + "]");
            job = ReplicationHarness.start(config, "metrics test");
            // Created after the job's start (latest: from its submission on): its index and load reach the target too.
            SmallCollections.create(source, name, true);
            ReplicationHarness.waitUntil("the collection on the target", () -> target.hasCollection(
                    io.milvus.v2.service.collection.request.HasCollectionReq.builder().collectionName(name).build()));
            long maxLagWhileFlowing = -1;
            long maxBuffered = -1;
            for (int batch = 0; batch < 5; batch++) {
                source.insert(InsertReq.builder().collectionName(name)
                        .data(SmallCollections.rows(batch * 200L, batch * 200L + 200)).build());
                Thread.sleep(700); // a steady writer, not a wait for a condition
                maxLagWhileFlowing = Math.max(maxLagWhileFlowing, gauge(name, "replicationLagMs"));
                maxBuffered = Math.max(maxBuffered, gauge(name, "operationsBuffered"));
            }
            assertTrue(maxBuffered >= 0, "the sequencer reports default." + name + "'s buffered operations");
            ReplicationHarness.waitUntil("the reporter counts the 1,000 rows upserted into default." + name,
                    () -> counter(name, "rowsUpserted") == 1_000);
            ReplicationHarness.waitUntil("the target holds the 1,000 rows", () -> MilvusTables.count(target, name) == 1_000);
            assertTrue(maxLagWhileFlowing > 0, "a lag while rows flow: " + maxLagWhileFlowing);

            // Idle: the lag settles near its floor — the watermark's hold behind the catalog (2 s), the
            // checkpoint interval (1 s) and the commit — and stays there; were it the age of the last
            // write, it would pass 8 s within the idle stretch below.
            ReplicationHarness.waitUntil("the lag settles once the source is idle", () -> {
                long lag = gauge(name, "replicationLagMs");
                return lag >= 0 && lag < 5_000;
            });
            long idleSince = System.currentTimeMillis();
            long maxIdleLag = 0;
            while (System.currentTimeMillis() - idleSince < 8_000) {
                maxIdleLag = Math.max(maxIdleLag, gauge(name, "replicationLagMs"));
                Thread.sleep(250); // sampling a gauge over a stretch of idle time
            }
            System.out.printf("replicationLagMs of default.%s: up to %d ms while rows flowed, up to %d ms over 8 s idle%n",
                    name, maxLagWhileFlowing, maxIdleLag);
            assertTrue(maxIdleLag < 5_000, "the lag of an idle, caught-up collection stays low: " + maxIdleLag);
            assertTrue(gauge(name, "operationsBuffered") == 0, "nothing waits once idle");

            // The source reader, in wall-clock terms (Flink's own event-time lags subtract a TSO): the
            // time ticks of the collection's channel keep its emitted records and its last tick fresh.
            long emitLag = readerGauge("currentEmitEventTimeLag");
            long freshestTick = REPORTER.getMetricsByGroup().entrySet().stream()
                    .filter(e -> e.getKey().getAllVariables().containsKey("<channel>") && e.getValue().containsKey("tickLagMs"))
                    .mapToLong(e -> ((Number) ((Gauge<?>) e.getValue().get("tickLagMs")).getValue()).longValue())
                    .min().orElse(-1);
            System.out.printf("source reader: currentEmitEventTimeLag %d ms, freshest channel tick %d ms ago%n",
                    emitLag, freshestTick);
            assertTrue(emitLag >= 0 && emitLag < 3_000, "the reader keeps up with the ticks: " + emitLag);
            assertTrue(freshestTick >= 0 && freshestTick < 3_000, "a ticking channel's tickLagMs: " + freshestTick);
        } finally {
            if (job != null) {
                job.cancel().get();
            }
            for (MilvusClientV2 side : List.of(source, target)) {
                side.dropCollection(DropCollectionReq.builder().collectionName(name).build());
                side.close();
            }
        }
    }

    /** The named metric of the group labelled database=default, collection={@code name}. */
    private static Metric metric(String name, String metric) {
        Map<String, Metric> found = new HashMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> e : REPORTER.getMetricsByGroup().entrySet()) {
            Map<String, String> vars = e.getKey().getAllVariables();
            if (name.equals(vars.get("<collection>")) && "default".equals(vars.get("<database>"))
                    && e.getValue().containsKey(metric)) {
                found.put(e.getKey().getMetricIdentifier(metric), e.getValue().get(metric));
            }
        }
        assertTrue(found.size() <= 1, "one " + metric + " for default." + name + ": " + found.keySet());
        return found.values().stream().findFirst().orElse(null);
    }

    /** The source reader's gauge in its {@code milvus} group. */
    private static long readerGauge(String metric) {
        for (Map.Entry<MetricGroup, Map<String, Metric>> e : REPORTER.getMetricsByGroup().entrySet()) {
            if (e.getKey().getMetricIdentifier(metric).contains(".milvus." + metric) && e.getValue().containsKey(metric)) {
                return ((Number) ((Gauge<?>) e.getValue().get(metric)).getValue()).longValue();
            }
        }
        return -1;
    }

    private static long counter(String name, String metric) {
        Metric m = metric(name, metric);
        return m == null ? -1 : ((Counter) m).getCount();
    }

    private static long gauge(String name, String metric) {
        Metric m = metric(name, metric);
        return m == null ? -1 : ((Number) ((Gauge<?>) m).getValue()).longValue();
    }
}
