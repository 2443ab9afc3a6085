package io.milvuscdc.connectors.query;

import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.MilvusChannels;
import io.milvuscdc.connectors.sink.internal.TargetMilvusClient;

import io.milvus.grpc.ConsistencyLevel;
import io.milvus.grpc.DescribeCollectionRequest;
import io.milvus.grpc.DescribeCollectionResponse;
import io.milvus.grpc.DescribeIndexRequest;
import io.milvus.grpc.DescribeIndexResponse;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.GetLoadStateRequest;
import io.milvus.grpc.GetLoadStateResponse;
import io.milvus.grpc.IndexDescription;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.ListDatabasesRequest;
import io.milvus.grpc.LoadState;
import io.milvus.grpc.MilvusServiceGrpc;
import io.milvus.grpc.QueryRequest;
import io.milvus.grpc.QueryResults;
import io.milvus.grpc.ShowCollectionsRequest;
import io.milvus.grpc.ShowCollectionsResponse;
import io.milvus.grpc.ShowPartitionsRequest;
import io.milvus.grpc.ShowPartitionsResponse;
import io.milvus.shaded.io.grpc.ManagedChannel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads a Milvus through its public gRPC API: its catalog, and rows by primary-key range with
 * every field, at strong consistency (a query sees every write acknowledged before it).
 */
public final class MilvusQueryClient implements AutoCloseable {

    /** Milvus's largest query window (offset + limit). */
    public static final int MAX_QUERY_WINDOW = 16_384;

    private final ManagedChannel channel;
    private final MilvusServiceGrpc.MilvusServiceBlockingStub stub;
    private final long requestTimeoutMs;

    public MilvusQueryClient(MilvusTargetConfig config) {
        this.channel = MilvusChannels.open(config);
        this.stub = MilvusServiceGrpc.newBlockingStub(channel).withMaxOutboundMessageSize(MilvusChannels.MAX_MESSAGE_BYTES);
        this.requestTimeoutMs = config.requestTimeout().toMillis();
    }

    private MilvusServiceGrpc.MilvusServiceBlockingStub stub() {
        return stub.withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS);
    }

    public List<String> databases() {
        var r = stub().listDatabases(ListDatabasesRequest.newBuilder().build());
        TargetMilvusClient.check("list databases", r.getStatus());
        return new ArrayList<>(r.getDbNamesList());
    }

    /** The collections of a database; none when the database does not exist. */
    public List<String> collections(String db) {
        ShowCollectionsResponse r = stub().showCollections(ShowCollectionsRequest.newBuilder().setDbName(db).build());
        if (r.getStatus().getReason().contains("database not found")) {
            return List.of();
        }
        TargetMilvusClient.check("list the collections of " + db, r.getStatus());
        return new ArrayList<>(r.getCollectionNamesList());
    }

    /** The collection's description, or null when it does not exist. */
    public DescribeCollectionResponse describe(String db, String name) {
        DescribeCollectionResponse r = stub().describeCollection(DescribeCollectionRequest.newBuilder()
                .setDbName(db).setCollectionName(name).build());
        String reason = r.getStatus().getReason().toLowerCase(java.util.Locale.ROOT);
        if (reason.contains("can't find collection") || reason.contains("collection not found")
                || reason.contains("database not found")) {
            return null;
        }
        TargetMilvusClient.check("describe " + db + "." + name, r.getStatus());
        return r;
    }

    public List<String> partitions(String db, String name) {
        ShowPartitionsResponse r = stub().showPartitions(ShowPartitionsRequest.newBuilder()
                .setDbName(db).setCollectionName(name).build());
        TargetMilvusClient.check("list the partitions of " + db + "." + name, r.getStatus());
        return new ArrayList<>(r.getPartitionNamesList());
    }

    /** The collection's indexes; none when it has none. */
    public List<IndexDescription> indexes(String db, String name) {
        DescribeIndexResponse r = stub().describeIndex(DescribeIndexRequest.newBuilder()
                .setDbName(db).setCollectionName(name).build());
        String reason = r.getStatus().getReason().toLowerCase(java.util.Locale.ROOT);
        if (reason.contains("index not found") || reason.contains("index doesn't exist")
                || reason.contains("index not exist")) {
            return List.of();
        }
        TargetMilvusClient.check("describe the indexes of " + db + "." + name, r.getStatus());
        return new ArrayList<>(r.getIndexDescriptionsList());
    }

    public LoadState loadState(String db, String name) {
        GetLoadStateResponse r = stub().getLoadState(GetLoadStateRequest.newBuilder()
                .setDbName(db).setCollectionName(name).build());
        TargetMilvusClient.check("get the load state of " + db + "." + name, r.getStatus());
        return r.getState();
    }

    /**
     * Rows matching {@code expr} in {@code partition} (null: all), the fields named (["*"]: all),
     * at most {@code limit} (0: every row). With a limit 2.3.5 answers in key order but may leave
     * out rows of growing segments below the last key it returns (seen: 2 of 6,863 rows skipped by
     * paging on the key): complete reads go without one.
     */
    public List<FieldData> query(String db, String name, String partition, String expr, List<String> fields, int limit) {
        QueryRequest.Builder q = QueryRequest.newBuilder().setDbName(db).setCollectionName(name).setExpr(expr)
                .addAllOutputFields(fields).setConsistencyLevel(ConsistencyLevel.Strong).setUseDefaultConsistency(false);
        if (limit > 0) {
            q.addQueryParams(KeyValuePair.newBuilder().setKey("limit").setValue(Integer.toString(limit)));
        }
        if (partition != null) {
            q.addPartitionNames(partition);
        }
        QueryResults r = stub().query(q.build());
        TargetMilvusClient.check("query " + db + "." + name, r.getStatus());
        return r.getFieldsDataList();
    }

    /**
     * Whether the server's proxy answers queries on {@code partition}. A 2.3.5 proxy checks
     * partition names against its own cache, which a partition made while the server's queue was
     * down can miss for good ("partition name p3 not found" for a partition ShowPartitions lists).
     */
    public boolean partitionQueryable(String db, String name, String partition) {
        QueryRequest q = QueryRequest.newBuilder().setDbName(db).setCollectionName(name).setExpr("")
                .addOutputFields("count(*)").addPartitionNames(partition).build();
        QueryResults r = stub().query(q);
        String reason = r.getStatus().getReason();
        if (reason.contains("partition name") && reason.contains("not found")) {
            return false;
        }
        TargetMilvusClient.check("count the rows of " + db + "." + name + " partition " + partition, r.getStatus());
        return true;
    }

    /** {@code count(*)} of the rows matching {@code expr} in {@code partition} (null: all). */
    public long count(String db, String name, String partition, String expr) {
        QueryRequest.Builder q = QueryRequest.newBuilder().setDbName(db).setCollectionName(name).setExpr(expr)
                .addOutputFields("count(*)").setConsistencyLevel(ConsistencyLevel.Strong).setUseDefaultConsistency(false);
        if (partition != null) {
            q.addPartitionNames(partition);
        }
        QueryResults r = stub().query(q.build());
        TargetMilvusClient.check("count the rows of " + db + "." + name, r.getStatus());
        return r.getFieldsData(0).getScalars().getLongData().getData(0);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdown().awaitTermination(10, TimeUnit.SECONDS);
    }
}
