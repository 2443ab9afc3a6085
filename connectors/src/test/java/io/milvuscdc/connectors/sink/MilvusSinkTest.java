package io.milvuscdc.connectors.sink;

import io.milvuscdc.connectors.event.OperationRecord;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the sink sits in a job graph. */
class MilvusSinkTest {

    @Test
    void theSinkIsChainedToTheOperatorThatForwardsItsStream() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<OperationRecord> sequenced = env.fromData(new OperationRecord("db.c", new byte[] {1}))
                .keyBy(r -> r.target)
                .map((MapFunction<OperationRecord, OperationRecord>) r -> r)
                .name("Sequencer");
        MilvusSink.builder().setUri("http://127.0.0.1:1").build()
                .addTo(DataStreamUtils.reinterpretAsKeyedStream(sequenced, r -> r.target, Types.STRING))
                .name("Target Milvus");

        JobGraph graph = env.getStreamGraph().getJobGraph();
        List<String> vertices = new ArrayList<>();
        for (JobVertex vertex : graph.getVertices()) {
            vertices.add(vertex.getName());
        }
        // Apart, every row would cross one more exchange: serialized, copied and read back.
        assertTrue(vertices.stream().anyMatch(name -> name.contains("Sequencer") && name.contains("Target Milvus")),
                "the sink is not chained to the sequencer: " + vertices);
    }
}
