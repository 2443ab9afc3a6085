package io.milvuscdc.job.verify;

import io.milvuscdc.connectors.verify.RangeDiff;

import java.util.ArrayList;
import java.util.List;

/** What a verification found (and, with repair, did): per collection, then in total. Written as JSON. */
public final class VerifyReport {

    /** Keys of each kind shown per collection; the counts are complete. */
    static final int KEYS_SHOWN = 10;

    public String source;
    public String target;
    public String startedAt;
    public long durationMs;
    public boolean repair;
    public List<CollectionReport> collections = new ArrayList<>();

    public boolean equal() {
        return collections.stream().allMatch(CollectionReport::equal);
    }

    public long differingCollections() {
        return collections.stream().filter(c -> !c.equal()).count();
    }

    /** One source collection and its target copy. */
    public static final class CollectionReport {
        public String source;
        public String target;
        public boolean onSource;
        public boolean onTarget;
        /** Aspects other than rows that differ: "aspect: source X, target Y". */
        public List<String> shapeDifferences = new ArrayList<>();
        public String loadState;
        public String indexes;
        /** Why rows were not compared (null: they were). */
        public String rowsNotCompared;
        /** Something the reader should know about how rows were compared (null: nothing). */
        public String note;
        public long ranges;
        public long sourceRows;
        public long targetRows;
        public long sourceCount;
        public long targetCount;
        public long missing;
        public long extra;
        public long differing;
        /** Rows the target counts over those it shows: keys stored twice. */
        public long duplicated;
        public List<String> firstMissing = new ArrayList<>();
        public List<String> firstExtra = new ArrayList<>();
        public List<String> firstDiffering = new ArrayList<>();
        /** With --repair: what was done. */
        public List<String> repairs = new ArrayList<>();
        public long upserted;
        public long deleted;

        /** Rows not compared with the shapes equal: neither side is loaded, so neither can be queried. */
        public boolean equal() {
            return onSource == onTarget && shapeDifferences.isEmpty() && missing == 0
                    && extra == 0 && differing == 0 && duplicated == 0 && sourceRows == targetRows;
        }

        void resetRows() {
            ranges = sourceRows = targetRows = sourceCount = targetCount = missing = extra = differing = duplicated = 0;
            firstMissing.clear();
            firstExtra.clear();
            firstDiffering.clear();
        }

        void add(RangeDiff d) {
            ranges++;
            sourceRows += d.sourceRows;
            targetRows += d.targetRows;
            sourceCount += d.sourceCount;
            targetCount += d.targetCount;
            missing += d.missingCount;
            extra += d.extraCount;
            differing += d.differingCount;
            duplicated += d.targetDuplicates();
            addShown(firstMissing, d.missing);
            addShown(firstExtra, d.extra);
            addShown(firstDiffering, d.differing);
        }

        private static void addShown(List<String> shown, List<String> keys) {
            for (String k : keys) {
                if (shown.size() >= KEYS_SHOWN) {
                    return;
                }
                shown.add(k);
            }
        }

        public String text() {
            StringBuilder b = new StringBuilder();
            b.append(!equal() ? "DIFFERENT " : rowsNotCompared != null ? "UNLOADED  " : "EQUAL     ").append(source);
            if (!target.equals(source)) {
                b.append(" -> ").append(target);
            }
            if (!onSource || !onTarget) {
                b.append(": ").append(onSource ? "missing on the target" : "only on the target");
            } else if (rowsNotCompared != null) {
                b.append(": rows not compared (").append(rowsNotCompared).append(")");
            } else {
                b.append(": rows source ").append(sourceRows).append(", target ").append(targetRows)
                        .append(" (count(*) ").append(sourceCount).append(" / ").append(targetCount).append(")")
                        .append("; missing ").append(missing).append(", extra ").append(extra).append(", differing ")
                        .append(differing).append(", stored twice ").append(duplicated)
                        .append("; index ").append(indexes).append(", ").append(loadState);
            }
            if (note != null) {
                b.append("\n    note: ").append(note);
            }
            shapeDifferences.forEach(d -> b.append("\n    ").append(d));
            if (missing > 0) {
                b.append("\n    missing keys: ").append(firstMissing).append(missing > KEYS_SHOWN ? " …" : "");
            }
            if (extra > 0) {
                b.append("\n    extra keys: ").append(firstExtra).append(extra > KEYS_SHOWN ? " …" : "");
            }
            if (differing > 0) {
                b.append("\n    differing keys: ").append(firstDiffering).append(differing > KEYS_SHOWN ? " …" : "");
            }
            repairs.forEach(r -> b.append("\n    repaired: ").append(r));
            return b.toString();
        }
    }

    public String text() {
        StringBuilder b = new StringBuilder("Milvus CDC verify: source ").append(source).append(", target ").append(target)
                .append('\n');
        collections.forEach(c -> b.append(c.text()).append('\n'));
        b.append(equal() ? "EQUAL: " : "DIFFERENT: ").append(collections.size() - differingCollections()).append(" of ")
                .append(collections.size()).append(" collections equal")
                .append(repair ? " after repair" : "").append(" (").append(durationMs / 1000.0).append(" s)");
        return b.toString();
    }
}
