package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.Tso;
import io.milvuscdc.connectors.event.proto.TargetOperation;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CollectionMetricsTest {

    private final AtomicLong now = new AtomicLong(100_000);
    private final CollectionMetrics metrics = new CollectionMetrics(new UnregisteredMetricsGroup(), now::get);

    @Test
    void countsRowsPerTargetCollection() {
        metrics.applied(upsert("db1", "a", 3, 10_000));
        metrics.applied(upsert("db1", "a", 2, 11_000));
        metrics.applied(upsert("db2", "a", 7, 12_000));
        assertEquals(5, metrics.of(upsert("db1", "a", 0, 0)).rowsUpserted());
        assertEquals(7, metrics.of(upsert("db2", "a", 0, 0)).rowsUpserted());
    }

    @Test
    void lagIsTheAgeOfTheLastAppliedChangeUntilATimeTickCatchesItUp() {
        TargetOperation op = upsert("db", "c", 1, 40_000);
        assertEquals(-1, metrics.lagMs(0), "nothing applied, no tick: unknown");
        metrics.applied(op);
        assertEquals(60_000, metrics.lagMs(Tso.ofMillis(40_000)));
        // Idle and caught up: the tick, not the last write, is how far the target is.
        metrics.caughtUpTo(Tso.ofMillis(99_800));
        assertEquals(200, metrics.lagMs(Tso.ofMillis(40_000)));
        metrics.caughtUpTo(Tso.ofMillis(50_000)); // an older tick never moves it back
        assertEquals(200, metrics.lagMs(Tso.ofMillis(40_000)));
        now.set(99_000); // a clock behind the source's: never negative
        assertEquals(0, metrics.lagMs(Tso.ofMillis(40_000)));
    }

    private static TargetOperation upsert(String db, String collection, int rows, long millis) {
        return TargetOperation.newBuilder().setDatabase(db).setCollection(collection).setTimestamp(Tso.ofMillis(millis))
                .setUpsert(io.milvuscdc.connectors.event.proto.Upsert.newBuilder().setNumRows(rows)
)
                .build();
    }
}
