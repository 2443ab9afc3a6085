package io.milvuscdc.job.snapshot;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.snapshot.source.SnapshotCollection;
import io.milvuscdc.connectors.verify.CollectionShape;
import io.milvuscdc.connectors.verify.ShapeRepair;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.ConfigException;

import io.milvus.grpc.DescribeCollectionResponse;
import io.milvus.grpc.IndexDescription;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code startup.mode: initial} copies, decided at submission: every selected collection of
 * every database, the moment the stream starts from (taken before the copy begins, so that
 * nothing written meanwhile is missed), and what each collection gets once its rows are copied
 * (its indexes, then its load).
 */
public final class InitialSnapshotPlan implements Serializable {

    private static final long serialVersionUID = 1L;

    /** How far before the submission the stream starts: a margin for the queue's clock (replaying more converges). */
    static final long START_MARGIN_MS = 10_000;

    public final long startMillis;
    public final List<SnapshotCollection> collections;
    /** Source collection id → encoded CollectionCommands (target names) applied when its copy is done. */
    public final Map<Long, List<byte[]>> afterCopy;
    /** Source collection id → its rows when planned ({@code count(*)}): the progress lines' total. */
    public final Map<Long, Long> rows;

    private InitialSnapshotPlan(long startMillis, List<SnapshotCollection> collections, Map<Long, List<byte[]>> afterCopy,
                                Map<Long, Long> rows) {
        this.startMillis = startMillis;
        this.collections = collections;
        this.afterCopy = afterCopy;
        this.rows = rows;
    }

    /** Nothing to copy (a job restored from a savepoint continues the copy its state holds). */
    public static InitialSnapshotPlan none(long startMillis) {
        return new InitialSnapshotPlan(startMillis, List.of(), Map.of(), Map.of());
    }

    public static InitialSnapshotPlan make(CdcConfig config, long nowMillis) throws InterruptedException {
        long start = nowMillis - START_MARGIN_MS;
        List<SnapshotCollection> collections = new ArrayList<>();
        Map<Long, List<byte[]>> afterCopy = new LinkedHashMap<>();
        Map<Long, Long> rows = new LinkedHashMap<>();
        try (MilvusQueryClient source = new MilvusQueryClient(config.sourceMilvus("startup.mode: initial"))) {
            for (String db : source.databases()) {
                if (!config.selection.includesDatabase(db)) {
                    continue;
                }
                for (String name : source.collections(db)) {
                    if (!config.selection.includesCollection(db, name)) {
                        continue;
                    }
                    DescribeCollectionResponse d = source.describe(db, name);
                    CollectionShape shape = CollectionShape.of(source, db, name);
                    if (d == null || shape == null) {
                        continue; // dropped meanwhile
                    }
                    if (!shape.loaded()) {
                        throw new ConfigException("startup.mode", db + "." + name + " is not loaded on the source ("
                                + shape.loadState + "): its rows cannot be read through the API",
                                "Load it on the source for the copy, or leave it out with selection.exclude");
                    }
                    String targetDb = config.selection.targetDatabase(db);
                    String targetName = config.selection.targetCollection(db, name);
                    List<KeyRange> parts = new ArrayList<>();
                    for (String partition : shape.partitionKey ? java.util.Collections.<String>singletonList(null)
                            : shape.partitions) {
                        parts.add(new KeyRange(db, name, targetDb, targetName, partition, shape.primaryField,
                                shape.stringKeys, null, null));
                    }
                    collections.add(new SnapshotCollection(d.getCollectionID(), parts));
                    List<byte[]> commands = new ArrayList<>();
                    for (IndexDescription index : shape.indexes) {
                        commands.add(ShapeRepair.createIndex(targetDb, targetName, index).toByteArray());
                    }
                    commands.add(ShapeRepair.load(targetDb, targetName).toByteArray());
                    afterCopy.put(d.getCollectionID(), commands);
                    rows.put(d.getCollectionID(), source.count(db, name, null, ""));
                }
            }
        }
        return new InitialSnapshotPlan(start, collections, afterCopy, rows);
    }
}
