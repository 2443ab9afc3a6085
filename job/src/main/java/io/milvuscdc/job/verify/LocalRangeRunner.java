package io.milvuscdc.job.verify;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.verify.RangeComparer;
import io.milvuscdc.connectors.verify.RangeDiff;

import java.util.ArrayList;
import java.util.List;

/** Compares key ranges one after the other in this JVM: the second look and the check after a repair. */
final class LocalRangeRunner implements RangeRunner {

    private final RangeComparer comparer;

    LocalRangeRunner(RangeComparer comparer) {
        this.comparer = comparer;
    }

    @Override
    public List<RangeDiff> compare(List<KeyRange> ranges) {
        List<RangeDiff> out = new ArrayList<>(ranges.size());
        for (KeyRange r : ranges) {
            out.add(comparer.compare(r));
        }
        return out;
    }
}
