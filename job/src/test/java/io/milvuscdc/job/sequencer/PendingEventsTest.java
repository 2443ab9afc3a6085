package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.PartitionCreated;
import io.milvuscdc.connectors.event.proto.RowsInserted;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Events waiting in keyed state on Flink's harness: replay order, rows behind rows, a dropped collection. */
class PendingEventsTest {

    /**
     * Input "rows:P" (rows for partition P), "part:P" (partition P announced), "replay", "replay
     * dropped" (the collection is gone meanwhile), "count". Rows apply once their partition is
     * known ("p0" is from the start); emits what it applied.
     */
    static final class Waiting extends KeyedProcessFunction<String, String, String> {
        private static final long serialVersionUID = 1L;
        private transient PendingEvents pending;
        private transient Set<String> partitions;

        @Override
        public void open(OpenContext context) {
            pending = new PendingEvents(getRuntimeContext().getListState(new ListStateDescriptor<>("pending",
                    PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)),
                    getRuntimeContext().getState(new ValueStateDescriptor<>("pending-size", Types.INT)));
            partitions = new HashSet<>(Set.of("p0"));
        }

        @Override
        public void processElement(String value, Context ctx, Collector<String> out) throws Exception {
            if (value.startsWith("replay")) {
                boolean alive = !value.endsWith("dropped");
                pending.replay(e -> {
                    if (e.hasPartitionCreated()) {
                        partitions.add(e.getPartitionCreated().getPartitionName());
                        out.collect("part:" + e.getPartitionCreated().getPartitionName());
                        return true;
                    }
                    if (!partitions.contains(e.getRowsInserted().getPartitionName())) {
                        return false;
                    }
                    out.collect("rows:" + e.getRowsInserted().getPartitionName());
                    return true;
                }, () -> alive);
            } else if (value.equals("count")) {
                out.collect("waiting " + pending.count());
            } else {
                String[] p = value.split(":");
                ChangeEvent.Builder e = ChangeEvent.newBuilder();
                if (p[0].equals("rows")) {
                    e.setRowsInserted(RowsInserted.newBuilder().setPartitionName(p[1]));
                } else {
                    e.setPartitionCreated(PartitionCreated.newBuilder().setPartitionName(p[1]));
                }
                pending.add(e.build().toByteArray());
            }
        }
    }

    @Test
    void rowsStayBehindRowsThatWaitWhileAnAnnouncementGoesAheadAndUnblocksThem() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.open();
            DropBarrierTest.feed(h, "rows:p1", "rows:p0", "part:p1", "replay", "count");
            assertEquals(List.of("part:p1", "rows:p1", "rows:p0", "waiting 0"), h.extractOutputValues());
        }
    }

    @Test
    void whatStillWaitsIsKeptInOrderAndSurvivesARestore() throws Exception {
        OperatorSubtaskState checkpoint;
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.open();
            DropBarrierTest.feed(h, "rows:p2", "rows:p0", "replay", "count");
            assertEquals(List.of("waiting 2"), h.extractOutputValues(), "p0's rows wait behind p2's");
            checkpoint = h.snapshot(1, 0);
        }
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.initializeState(checkpoint);
            h.open();
            DropBarrierTest.feed(h, "part:p2", "replay");
            assertEquals(List.of("part:p2", "rows:p2", "rows:p0"), h.extractOutputValues());
        }
    }

    @Test
    void nothingIsKeptForACollectionDroppedDuringTheReplay() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, String, String> h = harness()) {
            h.open();
            DropBarrierTest.feed(h, "rows:p2", "replay dropped", "count");
            assertEquals(List.of("waiting 0"), h.extractOutputValues());
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new Waiting()), v -> "c", Types.STRING);
    }
}
