package io.milvuscdc.job.sequencer;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

import io.milvus.grpc.IDs;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Upsert reassembly in keyed state on Flink's harness: which keys a Delete really removes. */
class UpsertReassemblyTest {

    /**
     * Input "insert|shard|ts|keys" or "delete|shard|ts|keys" (keys comma-separated); a delete emits
     * the keys it removes. Inserts register a timer a window past their timestamp, which forgets them.
     */
    static final class Upserts extends KeyedProcessFunction<String, String, String> {
        private static final long serialVersionUID = 1L;
        private transient UpsertReassembly upserts;

        @Override
        public void open(OpenContext context) {
            upserts = new UpsertReassembly(getRuntimeContext().getMapState(
                    new MapStateDescriptor<>("inserted", Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)));
        }

        @Override
        public void processElement(String value, Context ctx, Collector<String> out) throws Exception {
            String[] p = value.split("\\|");
            long ts = Long.parseLong(p[2]);
            IDs.Builder keys = IDs.newBuilder();
            for (String k : p[3].split(",")) {
                keys.getIntIdBuilder().addData(Long.parseLong(k));
            }
            if (p[0].equals("insert")) {
                upserts.inserted(p[1], ts, keys.build());
                ctx.timerService().registerEventTimeTimer(ts + UpsertReassembly.LATE_WINDOW_TSO);
            } else {
                out.collect(upserts.deleted(p[1], ts, keys.build()).getIntId().getDataList().toString());
            }
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
            upserts.forgetUpTo(ctx.timerService().currentWatermark());
        }
    }

    @Test
    void aDeleteLeavesTheKeysItsUpsertInsertedAtItsTimestampOnItsShard() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.open();
            feed(h, "insert|v0|100|1,2", "insert|v0|101|3", "insert|v1|100|4",
                    "delete|v0|100|1,2,9", // the upsert's Delete, with a key of another row (9) it removes
                    "delete|v0|101|1",     // another timestamp: a delete of its own
                    "delete|v0|100|4");    // another shard's insert: a delete of its own
            assertEquals(List.of("[9]", "[1]", "[4]"), h.extractOutputValues());
        }
    }

    /** A late Delete still keeps its upsert's rows within the window; once the watermark is past it, the keys are gone. */
    @Test
    void insertedKeysAreForgottenOnceTheWatermarkIsAWindowPastThem() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.open();
            feed(h, "insert|v0|100|1", "insert|v0|200|2");
            h.processWatermark(150 + UpsertReassembly.LATE_WINDOW_TSO);
            feed(h, "delete|v0|200|2", "delete|v0|100|1");
            assertEquals(List.of("[]", "[1]"), h.extractOutputValues());
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new Upserts()), v -> "c", Types.STRING);
    }

    private static void feed(KeyedOneInputStreamOperatorTestHarness<String, String, String> h, String... values) throws Exception {
        DropBarrierTest.feed(h, values);
    }
}
