package io.milvuscdc.connectors.verify;

import io.milvuscdc.connectors.query.KeyRange;

import java.util.ArrayList;
import java.util.List;

/** What the comparison of one key range found (a plain bean: the verifier's job ships it as JSON). */
public final class RangeDiff {

    public KeyRange range;
    /** Rows each side's query shows (a key stored twice shows once). */
    public long sourceRows;
    public long targetRows;
    /** What each side's {@code count(*)} answers for the range. */
    public long sourceCount;
    public long targetCount;
    /** Digest of the range's (key, row digest) pairs on each side. */
    public String sourceHash;
    public String targetHash;
    /** Keys (all of them, or the first when {@link #keepFirstKeys} cut them), and how many there are. */
    public List<String> missing = new ArrayList<>();
    public List<String> extra = new ArrayList<>();
    public List<String> differing = new ArrayList<>();
    public long missingCount;
    public long extraCount;
    public long differingCount;

    /** Whether the key lists hold every key (a repair needs all). */
    public boolean complete() {
        return missing.size() == missingCount && extra.size() == extraCount && differing.size() == differingCount;
    }

    /** Keeps the first {@code n} keys of each kind; the counts stay. */
    public void keepFirstKeys(int n) {
        missing = new ArrayList<>(missing.subList(0, Math.min(n, missing.size())));
        extra = new ArrayList<>(extra.subList(0, Math.min(n, extra.size())));
        differing = new ArrayList<>(differing.subList(0, Math.min(n, differing.size())));
    }

    public boolean equal() {
        return sourceHash.equals(targetHash) && sourceCount == sourceRows && targetCount == targetRows
                && sourceRows == targetRows;
    }

    /** Rows the target counts over those its query shows: keys stored more than once. */
    public long targetDuplicates() {
        return Math.max(0, targetCount - targetRows);
    }
}
