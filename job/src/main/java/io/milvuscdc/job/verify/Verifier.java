package io.milvuscdc.job.verify;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.query.KeyRangePlanner;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.TargetClient;
import io.milvuscdc.connectors.sink.internal.TargetMilvusClient;
import io.milvuscdc.connectors.verify.CollectionShape;
import io.milvuscdc.connectors.verify.RangeComparer;
import io.milvuscdc.connectors.verify.RangeDiff;
import io.milvuscdc.connectors.verify.RangeRepair;
import io.milvuscdc.connectors.verify.ShapeRepair;
import io.milvuscdc.job.config.Selection;
import io.milvuscdc.job.verify.VerifyReport.CollectionReport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Compares every selected collection of the source with its target copy: its shape (fields,
 * shards, partitions, properties, indexes, load state), then its rows, key range by key range
 * (a range's digest first, row by row where it differs). What differs is looked at again after
 * {@link VerifyOptions#recheckAfter}, so that changes still on their way through a running job are
 * not reported; with {@link VerifyOptions#repair}, the target is then made to match and checked again.
 */
public final class Verifier {

    private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);

    private final MilvusTargetConfig sourceConfig;
    private final MilvusTargetConfig targetConfig;
    private final Selection selection;
    private final VerifyOptions options;
    /** Builds the runner of the first comparison from the two clients' configurations. */
    private final RangeRunner runner;
    private final Function<MilvusTargetConfig, TargetClient> targetWriter;

    public Verifier(MilvusTargetConfig source, MilvusTargetConfig target, Selection selection, VerifyOptions options,
                    RangeRunner runner) {
        this(source, target, selection, options, runner, TargetMilvusClient::new);
    }

    Verifier(MilvusTargetConfig source, MilvusTargetConfig target, Selection selection, VerifyOptions options,
             RangeRunner runner, Function<MilvusTargetConfig, TargetClient> targetWriter) {
        this.sourceConfig = source;
        this.targetConfig = target;
        this.selection = selection;
        this.options = options;
        this.runner = runner;
        this.targetWriter = targetWriter;
    }

    /** A verifier that compares the key ranges one after the other in this JVM (no Flink job). */
    public static Verifier inThisJvm(MilvusTargetConfig source, MilvusTargetConfig target, Selection selection,
                                     VerifyOptions options) {
        return new Verifier(source, target, selection, options, ranges -> {
            try (MilvusQueryClient s = new MilvusQueryClient(source); MilvusQueryClient t = new MilvusQueryClient(target)) {
                return new LocalRangeRunner(new RangeComparer(s, t)).compare(ranges);
            }
        });
    }

    /** One collection under check. */
    private static final class Check {
        final CollectionReport report = new CollectionReport();
        final String db;
        final String name;
        final String targetDb;
        final String targetName;
        CollectionShape sourceShape;
        CollectionShape targetShape;
        /** Rows compared across partitions: a proxy does not answer queries on one of them. */
        boolean acrossPartitions;
        List<RangeDiff> diffs = new ArrayList<>();

        Check(String db, String name, String targetDb, String targetName) {
            this.db = db;
            this.name = name;
            this.targetDb = targetDb;
            this.targetName = targetName;
            report.source = db + "." + name;
            report.target = targetDb + "." + targetName;
        }

        boolean rowsComparable() {
            return sourceShape != null && targetShape != null && sourceShape.rowsComparable(targetShape);
        }
    }

    public VerifyReport run() throws Exception {
        long start = System.currentTimeMillis();
        VerifyReport report = new VerifyReport();
        report.source = sourceConfig.uri();
        report.target = targetConfig.uri();
        report.startedAt = Instant.ofEpochMilli(start).toString();
        report.repair = options.repair;
        try (MilvusQueryClient source = new MilvusQueryClient(sourceConfig);
             MilvusQueryClient target = new MilvusQueryClient(targetConfig)) {
            RangeComparer comparer = new RangeComparer(source, target);
            LocalRangeRunner local = new LocalRangeRunner(comparer);
            List<Check> checks = select(source, target);
            for (Check c : checks) {
                inspect(c, source, target);
            }
            compareRows(checks, source, runner);
            List<Check> differing = differing(checks);
            if (!differing.isEmpty() && !options.recheckAfter.isZero()) {
                LOG.info("{} collections differ; looking again in {}", differing.size(), options.recheckAfter);
                System.out.println(differing.size() + " collection(s) differ; looking again in "
                        + options.recheckAfter.toSeconds() + " s (changes still on their way are not differences)");
                Thread.sleep(options.recheckAfter.toMillis());
                recheck(differing, source, target, local);
            }
            if (options.repair) {
                differing = differing(checks);
                if (!differing.isEmpty()) {
                    try (TargetClient writer = targetWriter.apply(targetConfig)) {
                        repair(differing, source, target, writer);
                    }
                    recheck(differing, source, target, local);
                }
            }
            for (Check c : checks) {
                report.collections.add(c.report);
            }
        }
        report.durationMs = System.currentTimeMillis() - start;
        return report;
    }

    /** The selected collections of the source, and those of the target its names map to that the source lacks. */
    private List<Check> select(MilvusQueryClient source, MilvusQueryClient target) {
        List<Check> out = new ArrayList<>();
        Set<String> mapped = new LinkedHashSet<>();
        Map<String, String> targetDbs = new LinkedHashMap<>();
        for (String db : source.databases()) {
            if (!selection.includesDatabase(db)) {
                continue;
            }
            targetDbs.put(selection.targetDatabase(db), db);
            for (String name : source.collections(db)) {
                if (selection.includesCollection(db, name)) {
                    Check c = new Check(db, name, selection.targetDatabase(db), selection.targetCollection(db, name));
                    mapped.add(c.report.target);
                    out.add(c);
                }
            }
        }
        for (Map.Entry<String, String> db : targetDbs.entrySet()) {
            for (String name : target.collections(db.getKey())) {
                if (!mapped.contains(db.getKey() + "." + name) && selection.includesCollection(db.getValue(), name)
                        && selection.targetCollection(db.getValue(), name).equals(name)) {
                    out.add(new Check(db.getValue(), name, db.getKey(), name)); // dropped on the source, kept on the target
                }
            }
        }
        return out;
    }

    private void inspect(Check c, MilvusQueryClient source, MilvusQueryClient target) {
        c.sourceShape = CollectionShape.of(source, c.db, c.name);
        c.targetShape = CollectionShape.of(target, c.targetDb, c.targetName);
        CollectionReport r = c.report;
        r.onSource = c.sourceShape != null;
        r.onTarget = c.targetShape != null;
        r.shapeDifferences.clear();
        r.rowsNotCompared = null;
        if (c.sourceShape != null) {
            r.loadState = c.sourceShape.loadState.name();
            r.indexes = c.sourceShape.aspects.get("indexes");
        }
        if (r.onSource && r.onTarget) {
            r.shapeDifferences.addAll(c.sourceShape.differences(c.targetShape));
            if (!c.rowsComparable()) {
                r.rowsNotCompared = !c.sourceShape.loaded() || !c.targetShape.loaded()
                        ? "a collection not loaded cannot be queried" : "fields or partitions differ";
            } else if (!c.sourceShape.partitionKey) {
                c.acrossPartitions = false;
                r.note = null;
                for (String p : c.sourceShape.partitions) {
                    boolean onSource = source.partitionQueryable(c.db, c.name, p);
                    if (!onSource || !target.partitionQueryable(c.targetDb, c.targetName, p)) {
                        c.acrossPartitions = true;
                        r.note = "the " + (onSource ? "target" : "source") + " lists partition " + p
                                + " but does not answer queries on it: rows compared across partitions";
                        LOG.warn("{}: {}", r.source, r.note);
                    }
                }
            }
        }
    }

    /** Plans the key ranges of every comparable collection and compares them with {@code with}. */
    private void compareRows(List<Check> checks, MilvusQueryClient source, RangeRunner with) throws Exception {
        List<KeyRange> ranges = new ArrayList<>();
        for (Check c : checks) {
            if (!c.rowsComparable()) {
                continue;
            }
            CollectionShape s = c.sourceShape;
            List<String> partitions = s.partitionKey || c.acrossPartitions
                    ? java.util.Collections.singletonList(null) : s.partitions;
            for (String partition : partitions) {
                KeyRange whole = new KeyRange(c.db, c.name, c.targetDb, c.targetName, partition, s.primaryField,
                        s.stringKeys, null, null);
                ranges.addAll(KeyRangePlanner.plan(source, whole, options.rangeRows));
            }
        }
        List<RangeDiff> diffs = new ArrayList<>(with.compare(ranges));
        // In key order, whatever order the tasks finished in: the report's first keys are the lowest.
        diffs.sort((a, b) -> {
            int byId = a.range.id().compareTo(b.range.id());
            if (byId != 0 || a.range.lo == null || b.range.lo == null) {
                return byId != 0 ? byId : a.range.lo == null ? (b.range.lo == null ? 0 : -1) : 1;
            }
            return a.range.compareKeys(a.range.lo, b.range.lo);
        });
        for (Check c : checks) {
            c.diffs.clear();
            c.report.resetRows();
        }
        for (RangeDiff d : diffs) {
            for (Check c : checks) {
                if (c.db.equals(d.range.database) && c.name.equals(d.range.collection)) {
                    c.diffs.add(d);
                    c.report.add(d);
                }
            }
        }
    }

    private static List<Check> differing(List<Check> checks) {
        List<Check> out = new ArrayList<>();
        for (Check c : checks) {
            if (!c.report.equal()) {
                out.add(c);
            }
        }
        return out;
    }

    /** Looks again at what differed: the collections' shapes, and their rows (every range of one whose shape changed). */
    private void recheck(List<Check> checks, MilvusQueryClient source, MilvusQueryClient target, RangeRunner local)
            throws Exception {
        List<Check> replan = new ArrayList<>();
        for (Check c : checks) {
            boolean wasComparable = c.rowsComparable();
            inspect(c, source, target);
            if (!c.rowsComparable()) {
                c.diffs.clear();
                c.report.resetRows();
            } else if (!wasComparable) {
                replan.add(c);
            } else {
                List<KeyRange> again = new ArrayList<>();
                List<RangeDiff> kept = new ArrayList<>();
                for (RangeDiff d : c.diffs) {
                    if (d.equal()) {
                        kept.add(d);
                    } else {
                        again.add(d.range);
                    }
                }
                c.diffs = kept;
                c.diffs.addAll(local.compare(again));
                c.report.resetRows();
                c.diffs.forEach(c.report::add);
            }
        }
        compareRows(replan, source, local);
    }

    private void repair(List<Check> checks, MilvusQueryClient source, MilvusQueryClient target, TargetClient writer)
            throws Exception {
        RangeRepair rows = new RangeRepair(source, writer);
        RangeComparer comparer = new RangeComparer(source, target);
        for (Check c : checks) {
            CollectionReport r = c.report;
            if (!r.onSource || !r.onTarget) {
                r.repairs.add("not repaired: the collection " + (r.onSource ? "is missing on the target" : "exists only on the target")
                        + " (the job creates and drops collections; restart it with startup.mode: initial to copy one)");
                continue;
            }
            if (!r.shapeDifferences.isEmpty()) {
                List<String> done = ShapeRepair.repair(c.sourceShape, c.targetShape, c.targetDb, c.targetName, writer,
                        target, 120_000);
                r.repairs.addAll(done);
                inspect(c, source, target);
                if (c.rowsComparable() && c.diffs.isEmpty()) {
                    compareRows(List.of(c), source, new LocalRangeRunner(comparer));
                }
            }
            if (!c.rowsComparable()) {
                continue;
            }
            if (c.acrossPartitions) {
                r.repairs.add("rows not repaired: compared across partitions, so which partition a row belongs in is unknown");
                continue;
            }
            for (RangeDiff d : c.diffs) {
                if (!d.equal()) {
                    RangeRepair.Done done = rows.repair(d.complete() ? d : comparer.compare(d.range));
                    r.upserted += done.upserted;
                    r.deleted += done.deleted;
                }
            }
            if (r.upserted + r.deleted > 0) {
                r.repairs.add("upserted " + r.upserted + " rows from the source, deleted " + r.deleted + " keys");
            }
        }
    }

    /** Writes the report as JSON to {@link VerifyOptions#report}. */
    public static void write(VerifyReport report, java.nio.file.Path file) throws java.io.IOException {
        java.nio.file.Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
    }
}
