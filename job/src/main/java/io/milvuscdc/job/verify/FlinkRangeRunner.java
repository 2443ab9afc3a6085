package io.milvuscdc.job.verify;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.verify.RangeComparer;
import io.milvuscdc.connectors.verify.RangeDiff;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.accumulators.ListAccumulator;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import java.util.ArrayList;
import java.util.List;

/**
 * The comparison of key ranges as a bounded Flink job in batch mode: the ranges are spread over
 * the cluster's slots, each compared by a task with its own clients, the results collected back.
 */
public final class FlinkRangeRunner implements RangeRunner {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Keys of each kind a range's result carries back (its counts are complete). */
    static final int KEYS_KEPT = 100;

    private final StreamExecutionEnvironment env;
    private final MilvusTargetConfig source;
    private final MilvusTargetConfig target;
    private final String jobName;

    public FlinkRangeRunner(StreamExecutionEnvironment env, MilvusTargetConfig source, MilvusTargetConfig target,
                            String jobName) {
        this.env = env;
        this.source = source;
        this.target = target;
        this.jobName = jobName;
    }

    @Override
    public List<RangeDiff> compare(List<KeyRange> ranges) throws Exception {
        if (ranges.isEmpty()) {
            return List.of();
        }
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        // Ranges travel as JSON text: no serializer of this project's classes in the job graph.
        List<String> input = new ArrayList<>(ranges.size());
        for (KeyRange r : ranges) {
            input.add(JSON.writeValueAsString(r));
        }
        // Results come back as an accumulator, not through a collect sink: no coordinator for the
        // client to poll (whose "not initialized" warnings filled the client's output in batch mode).
        env.fromData(input).name("key ranges").uid("verify-ranges")
                .rebalance()
                .map(new CompareRanges(source, target)).name("compare source and target").uid("verify-compare")
                .sinkTo(new DiscardingSink<>()).name("done").uid("verify-done");
        JobExecutionResult result = env.execute(jobName);
        List<String> diffs = result.getAccumulatorResult(CompareRanges.ACCUMULATOR);
        List<RangeDiff> out = new ArrayList<>(ranges.size());
        for (String d : diffs == null ? List.<String>of() : diffs) {
            out.add(JSON.readValue(d, RangeDiff.class));
        }
        if (out.size() != ranges.size()) {
            throw new IllegalStateException("compared " + out.size() + " of " + ranges.size() + " key ranges");
        }
        return out;
    }

    /** One key range in, what its comparison found out (both as JSON). */
    static final class CompareRanges extends RichMapFunction<String, String> {

        private static final long serialVersionUID = 1L;
        static final String ACCUMULATOR = "rangeDiffs";
        private final ListAccumulator<String> results = new ListAccumulator<>();

        private final MilvusTargetConfig source;
        private final MilvusTargetConfig target;
        private transient MilvusQueryClient sourceClient;
        private transient MilvusQueryClient targetClient;
        private transient RangeComparer comparer;

        CompareRanges(MilvusTargetConfig source, MilvusTargetConfig target) {
            this.source = source;
            this.target = target;
        }

        @Override
        public void open(OpenContext context) {
            sourceClient = new MilvusQueryClient(source);
            targetClient = new MilvusQueryClient(target);
            comparer = new RangeComparer(sourceClient, targetClient);
            getRuntimeContext().addAccumulator(ACCUMULATOR, results);
        }

        @Override
        public String map(String range) throws Exception {
            RangeDiff d = comparer.compare(JSON.readValue(range, KeyRange.class));
            d.keepFirstKeys(KEYS_KEPT); // the counts stay whole; a repair compares the range again
            String json = JSON.writeValueAsString(d);
            results.add(json);
            return json;
        }

        @Override
        public void close() throws Exception {
            if (sourceClient != null) {
                sourceClient.close();
            }
            if (targetClient != null) {
                targetClient.close();
            }
        }
    }
}
