package io.milvuscdc.job.verify;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.verify.RangeDiff;

import java.util.List;

/** Compares many key ranges (as a Flink batch job, or in this JVM). */
@FunctionalInterface
public interface RangeRunner {
    List<RangeDiff> compare(List<KeyRange> ranges) throws Exception;
}
