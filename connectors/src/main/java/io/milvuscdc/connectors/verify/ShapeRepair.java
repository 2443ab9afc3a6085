package io.milvuscdc.connectors.verify;

import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.sink.internal.TargetClient;

import io.milvus.grpc.CreateIndexRequest;
import io.milvus.grpc.IndexDescription;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.LoadCollectionRequest;
import io.milvus.grpc.LoadState;
import io.milvus.grpc.ReleaseCollectionRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Gives a target collection the source's indexes and load state: an index the target lacks is
 * created with the source's parameters, then the collection loaded (waiting until it is) or
 * released as the source's is. Fields, shards and partitions are not repaired: a collection of
 * another schema is dropped and replicated anew by the user.
 */
public final class ShapeRepair {

    private static final List<String> INDEX_PARAMS = List.of("index_type", "metric_type", "params");

    private ShapeRepair() {}

    /** What was done, one line each; waits up to {@code loadWaitMs} for a load. */
    public static List<String> repair(CollectionShape source, CollectionShape target, String db, String name,
                                      TargetClient client, MilvusQueryClient targetQueries, long loadWaitMs)
            throws InterruptedException {
        List<String> done = new ArrayList<>();
        Set<String> present = target.indexes.stream().map(IndexDescription::getIndexName).collect(Collectors.toSet());
        for (IndexDescription index : source.indexes) {
            if (present.contains(index.getIndexName())) {
                continue;
            }
            client.apply(TargetOperation.newBuilder().setDatabase(db).setCollection(name)
                    .setCollectionCommand(createIndex(db, name, index)).build());
            done.add("created index " + index.getIndexName() + " on " + index.getFieldName());
        }
        if (source.loaded() && !target.loaded()) {
            apply(client, db, name, load(db, name));
            long deadline = System.currentTimeMillis() + loadWaitMs;
            while (targetQueries.loadState(db, name) != LoadState.LoadStateLoaded) {
                if (System.currentTimeMillis() > deadline) {
                    done.add("load requested; not loaded after " + loadWaitMs / 1000 + " s");
                    return done;
                }
                Thread.sleep(500);
            }
            done.add("loaded");
        } else if (!source.loaded() && source.loadState != LoadState.LoadStateLoading && target.loaded()) {
            apply(client, db, name, CollectionCommand.newBuilder().setDbName(db).setCollectionName(name)
                    .setReleaseCollection(ReleaseCollectionRequest.newBuilder().setDbName(db).setCollectionName(name)).build());
            done.add("released");
        }
        return done;
    }

    /** Creates {@code index} (as a source describes it) on the collection {@code db.name}. */
    public static CollectionCommand createIndex(String db, String name, IndexDescription index) {
        CreateIndexRequest.Builder create = CreateIndexRequest.newBuilder().setDbName(db).setCollectionName(name)
                .setFieldName(index.getFieldName()).setIndexName(index.getIndexName());
        for (KeyValuePair p : index.getParamsList()) {
            if (INDEX_PARAMS.contains(p.getKey())) {
                create.addExtraParams(p);
            }
        }
        return CollectionCommand.newBuilder().setDbName(db).setCollectionName(name).setCreateIndex(create).build();
    }

    public static CollectionCommand load(String db, String name) {
        return CollectionCommand.newBuilder().setDbName(db).setCollectionName(name)
                .setLoadCollection(LoadCollectionRequest.newBuilder().setDbName(db).setCollectionName(name)).build();
    }

    private static void apply(TargetClient client, String db, String name, CollectionCommand command) {
        client.apply(TargetOperation.newBuilder().setDatabase(db).setCollection(name).setCollectionCommand(command).build());
    }
}
