package io.milvuscdc.job.sequencer;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The drop barrier over a collection's two physical channels, in keyed state on Flink's harness. */
class DropBarrierTest {

    private static final Set<String> CHANNELS = Set.of("dml_0", "dml_1");

    /** Input "collection|what|channel"; emits "what complete" when the barrier completes. */
    static final class Drops extends KeyedProcessFunction<String, String, String> {
        private static final long serialVersionUID = 1L;
        private transient DropBarrier barrier;

        @Override
        public void open(OpenContext context) {
            barrier = new DropBarrier(getRuntimeContext().getMapState(
                    new MapStateDescriptor<>("drops", Types.STRING, Types.BOOLEAN)));
        }

        @Override
        public void processElement(String value, Context ctx, Collector<String> out) throws Exception {
            String[] p = value.split("\\|", -1);
            if (barrier.arrive(p[1], p[2], CHANNELS)) {
                out.collect((p[1].isEmpty() ? "collection" : "partition " + p[1]) + " complete");
            }
        }
    }

    @Test
    void aDropTakesEffectOnceEveryChannelDeliveredItCollectionAndPartitionsApart() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.open();
            feed(h, "c1||dml_0", "c1|7/|dml_0", "c1|7/|dml_0", "c2||dml_1");
            assertEquals(List.of(), out(h), "no drop has reached every channel yet (nor c1's on c2's key)");
            feed(h, "c1|7/|dml_1");
            assertEquals(List.of("partition 7/ complete"), out(h));
            feed(h, "c1||dml_1");
            assertEquals(List.of("partition 7/ complete", "collection complete"), out(h));
        }
    }

    @Test
    void whatAChannelDeliveredSurvivesARestore() throws Exception {
        OperatorSubtaskState checkpoint;
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.open();
            feed(h, "c1||dml_0");
            checkpoint = h.snapshot(1, 0);
        }
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.initializeState(checkpoint);
            h.open();
            feed(h, "c1||dml_1");
            assertEquals(List.of("collection complete"), out(h));
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new Drops()),
                v -> v.substring(0, v.indexOf('|')), Types.STRING);
    }

    static void feed(KeyedOneInputStreamOperatorTestHarness<String, String, String> h, String... values) throws Exception {
        for (String v : values) {
            h.processElement(new StreamRecord<>(v, 0));
        }
    }

    static List<String> out(KeyedOneInputStreamOperatorTestHarness<String, String, String> h) {
        return h.extractOutputValues().stream().collect(Collectors.toList());
    }
}
