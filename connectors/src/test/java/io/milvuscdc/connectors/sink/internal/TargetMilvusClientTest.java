package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;

import io.milvus.grpc.AlterCollectionRequest;
import io.milvus.grpc.BoolResponse;
import io.milvus.grpc.DescribeCollectionRequest;
import io.milvus.grpc.DescribeCollectionResponse;
import io.milvus.grpc.ErrorCode;
import io.milvus.grpc.HasPartitionRequest;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.MilvusServiceGrpc;
import io.milvus.grpc.MutationResult;
import io.milvus.grpc.Status;
import io.milvus.grpc.UpsertRequest;
import io.milvus.shaded.io.grpc.Server;
import io.milvus.shaded.io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.milvus.shaded.io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The client against a stand-in for the target's proxy on a local port, answering as the real
 * 2.3.5 proxy did (its log: {@code proxy/task_upsert.go "Failed to get partition id" … partition
 * not found[partition=p3]}, status MetaFailed, code 200) right after the target restarted.
 */
class TargetMilvusClientTest {

    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    /** A proxy that refuses upserts into p3, whose root coordinator has (or has not) p3. */
    private TargetMilvusClient clientOf(boolean coordinatorHasPartition, List<String> altered) throws Exception {
        return clientOf(coordinatorHasPartition, altered, null);
    }

    /** {@code p3DroppedAt}: the source time this job recorded dropping p3 at (null: never). */
    @SuppressWarnings("deprecation") // 2.3.5 still answers with the legacy error code beside the code
    private TargetMilvusClient clientOf(boolean coordinatorHasPartition, List<String> altered, Long p3DroppedAt)
            throws Exception {
        MilvusServiceGrpc.MilvusServiceImplBase proxy = new MilvusServiceGrpc.MilvusServiceImplBase() {
            @Override
            public void upsert(UpsertRequest request, StreamObserver<MutationResult> response) {
                response.onNext(MutationResult.newBuilder().setStatus(Status.newBuilder()
                        .setErrorCode(ErrorCode.MetaFailed).setCode(200)
                        .setReason("partition not found[partition=" + request.getPartitionName() + "]")).build());
                response.onCompleted();
            }

            @Override
            public void hasPartition(HasPartitionRequest request, StreamObserver<BoolResponse> response) {
                response.onNext(BoolResponse.newBuilder().setStatus(Status.newBuilder()).setValue(coordinatorHasPartition).build());
                response.onCompleted();
            }

            @Override
            public void describeCollection(DescribeCollectionRequest request,
                                           StreamObserver<DescribeCollectionResponse> response) {
                DescribeCollectionResponse.Builder d = DescribeCollectionResponse.newBuilder().setStatus(Status.newBuilder())
                        .addProperties(KeyValuePair.newBuilder().setKey(TargetMilvusClient.INCARNATION_PROPERTY).setValue("7"));
                if (p3DroppedAt != null) {
                    d.addProperties(KeyValuePair.newBuilder().setKey(TargetMilvusClient.PARTITION_DROPPED_PROPERTY + "p3")
                            .setValue(p3DroppedAt.toString()));
                }
                response.onNext(d.build());
                response.onCompleted();
            }

            @Override
            public void alterCollection(AlterCollectionRequest request, StreamObserver<Status> response) {
                altered.add(request.getCollectionName() + " " + request.getProperties(0).getKey() + "="
                        + request.getProperties(0).getValue());
                response.onNext(Status.newBuilder().build());
                response.onCompleted();
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(proxy).build().start();
        return new TargetMilvusClient(new MilvusTargetConfig("http://127.0.0.1:" + server.getPort(), null,
                Duration.ofSeconds(1), Duration.ofSeconds(5)));
    }

    private static TargetOperation upsertIntoP3() {
        return TargetOperation.newBuilder().setDatabase("default").setCollection("c").setTimestamp(1)
                .setUpsert(Upsert.newBuilder().setPartitionName("p3").setNumRows(1)).build();
    }

    @Test
    void aPartitionTheProxyHasNotSeenYetIsTransientAndItsCacheIsExpired() throws Exception {
        List<String> altered = new ArrayList<>();
        try (TargetMilvusClient client = clientOf(true, altered)) {
            MilvusTargetException e = assertThrows(MilvusTargetException.class, () -> client.apply(upsertIntoP3()));
            assertEquals(MilvusTargetException.Kind.TRANSIENT, e.kind(), e.getMessage());
            assertEquals(List.of("c " + TargetMilvusClient.INCARNATION_PROPERTY + "=7"), altered,
                    "the collection is altered to the property it has: the proxies' cache of it expires");
        }
    }

    @Test
    void aPartitionTheTargetDoesNotHaveIsRefused() throws Exception {
        List<String> altered = new ArrayList<>();
        try (TargetMilvusClient client = clientOf(false, altered)) {
            MilvusTargetException e = assertThrows(MilvusTargetException.class, () -> client.apply(upsertIntoP3()));
            assertEquals(MilvusTargetException.Kind.REFUSED, e.kind(), e.getMessage());
            assertEquals(List.of(), altered);
        }
    }

    /** A write at source time 1 into a partition dropped at 1 (or before) is not a replay of an earlier write. */
    @Test
    void aPartitionDroppedNoLaterThanTheWriteIsRefused() throws Exception {
        try (TargetMilvusClient client = clientOf(false, new ArrayList<>(), 1L)) {
            MilvusTargetException e = assertThrows(MilvusTargetException.class, () -> client.apply(upsertIntoP3()));
            assertEquals(MilvusTargetException.Kind.REFUSED, e.kind(), e.getMessage());
        }
    }
}
