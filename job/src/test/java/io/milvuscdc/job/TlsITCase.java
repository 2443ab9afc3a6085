package io.milvuscdc.job;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import com.google.gson.JsonObject;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * TLS to the source's etcd (its https port requires a client certificate) and to a target Milvus
 * that takes only two-way TLS (tlsMode 2) under a certificate naming only {@code milvus-cdc-test},
 * with certificates the stack makes: the job replicates over both; each missing piece (CA, server
 * name, client certificate, scheme) stops the submission naming the key to set.
 */
@ExtendWith(MilvusStackExtension.class)
class TlsITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = ReplicationHarness.miniCluster();

    private static MilvusStack stack;
    private static MilvusStack.Milvus tlsTarget;

    @BeforeAll
    static void setUp(MilvusStack running) throws Exception {
        stack = running;
        tlsTarget = running.startTlsTarget();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.stopServer("tlsTargetMilvus", true); // throw-away data; SIGTERM takes Milvus 20 s
        }
    }

    /** The stack's source on Kafka, its etcd over TLS, the TLS target; {@code change} alters one key. */
    private static CdcConfig config(java.util.function.UnaryOperator<String> change) {
        MilvusStack.Milvus source = stack.source(Queue.KAFKA);
        String yaml = String.join("\n",
                "sourceConfig:",
                "  etcd:",
                "    address: [" + stack.etcdTlsEndpoint() + "]",
                "    rootPath: " + source.etcdRootPath(),
                "    metaSubPath: " + source.metaSubPath(),
                "    enableTLS: true",
                "    tlsCACertPath: " + stack.tlsFile("ca"),
                "    tlsCertPath: " + stack.tlsFile("clientCert"),
                "    tlsKeyPath: " + stack.tlsFile("clientKey"),
                "    tlsMinVersion: 1.3",
                "  replicateChan: " + source.channelPrefix() + "-replicate-msg",
                "  kafka:",
                "    address: " + stack.kafkaBootstrap(),
                "targetConfig:",
                "  uri: " + tlsTarget.uri(),
                "  dialConfig:",
                "    serverName: milvus-cdc-test",
                "    caPemPath: " + stack.tlsFile("ca"),
                "    clientPemPath: " + stack.tlsFile("clientCert"),
                "    clientKeyPath: " + stack.tlsFile("clientKey"),
                "checkpointInterval: 1s",
                "checkpointDir: " + ReplicationHarness.CHECKPOINTS.toUri());
        return CdcConfig.parse(change.apply(yaml));
    }

    private static MilvusClientV2 tlsTargetClient() {
        return new MilvusClientV2(ConnectConfig.builder().uri(tlsTarget.uri()).secure(true)
                .serverName("milvus-cdc-test").caPemPath(stack.tlsFile("ca").toString())
                .clientPemPath(stack.tlsFile("clientCert").toString()).clientKeyPath(stack.tlsFile("clientKey").toString())
                .rpcDeadlineMs(120_000).build());
    }

    @Test
    void replicatesOverTlsFromEtcdToTheTarget() throws Exception {
        String name = "tls_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        JobClient job = ReplicationHarness.start(config(y -> y), "tls");
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = tlsTargetClient();
        try {
            CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
            schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
            schema.addField(AddFieldReq.builder().fieldName("tag").dataType(DataType.VarChar).maxLength(64).build());
            schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(8).build());
            source.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).build());
            // Inserts, upserts of the same keys twice (the later value must win) and deletes.
            source.insert(InsertReq.builder().collectionName(name).data(rows(0, 300, "v1")).build());
            source.upsert(UpsertReq.builder().collectionName(name).data(rows(100, 150, "v2")).build());
            source.upsert(UpsertReq.builder().collectionName(name).data(rows(120, 130, "v3")).build());
            source.delete(DeleteReq.builder().collectionName(name)
                    .ids(new ArrayList<>(LongStream.range(280, 300).boxed().collect(Collectors.toList()))).build());
            // Index and load travel too: both sides are then queryable.
            source.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                    .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build()))
                    .build());
            source.loadCollection(LoadCollectionReq.builder().collectionName(name).timeout(120_000L).build());
            List<Long> keys = LongStream.range(0, 300).boxed().collect(Collectors.toList());
            List<String> fields = List.of("id", "tag", "vec");
            Map<Long, Map<String, Object>> expected = MilvusTables.rowsByKey(source, name, "id", keys, fields);
            assertEquals(280, expected.size());
            ReplicationHarness.waitUntil("the TLS target holds the source's rows", () ->
                    MilvusTables.rowsByKey(target, name, "id", keys, fields).equals(expected)
                            && MilvusTables.count(target, name) == 280);
            assertEquals("v3-125", MilvusTables.rowsByKey(target, name, "id", List.of(125L), fields).get(125L).get("tag"),
                    "the later of two upserts of a key wins");
        } finally {
            job.cancel().get();
            source.close();
            target.close();
        }
    }

    private static List<JsonObject> rows(int from, int to, String tag) {
        Random random = new Random(from * 31L + tag.hashCode());
        List<JsonObject> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", (long) i);
            row.addProperty("tag", tag + "-" + i);
            com.google.gson.JsonArray vec = new com.google.gson.JsonArray();
            for (int d = 0; d < 8; d++) {
                vec.add(random.nextFloat());
            }
            row.add("vec", vec);
            rows.add(row);
        }
        return rows;
    }

    static Stream<Arguments> missingPieces() {
        return Stream.of(
                Arguments.of("target without the CA", (java.util.function.UnaryOperator<String>)
                        y -> y.replaceAll("(?m)^    caPemPath: .*\n", ""), "targetConfig.dialConfig.caPemPath"),
                Arguments.of("target without the server name", (java.util.function.UnaryOperator<String>)
                        y -> y.replace("    serverName: milvus-cdc-test\n", ""), "targetConfig.dialConfig.serverName"),
                Arguments.of("target without a client certificate", (java.util.function.UnaryOperator<String>)
                        y -> y.replaceAll("(?m)^    client(Pem|Key)Path: .*\n", ""), "targetConfig.dialConfig.clientPemPath"),
                Arguments.of("plain http to the TLS target", (java.util.function.UnaryOperator<String>)
                        y -> y.replace("uri: https://", "uri: http://").replaceAll("(?s)  dialConfig:.*?clientKeyPath: [^\n]*\n", ""),
                        "targetConfig.uri"),
                Arguments.of("etcd without a client certificate", (java.util.function.UnaryOperator<String>)
                        y -> y.replaceAll("(?m)^    tls(Cert|Key)Path: .*\n", ""), "sourceConfig.etcd.tlsCertPath"),
                Arguments.of("etcd without the CA", (java.util.function.UnaryOperator<String>)
                        y -> y.replaceAll("(?m)^    tlsCACertPath: .*\n", ""), "sourceConfig.etcd.tlsCACertPath"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("missingPieces")
    void aMissingTlsPieceStopsTheSubmissionNamingTheKey(String what, java.util.function.UnaryOperator<String> change,
                                                        String key) {
        ReplicationHarness.assertSubmissionRefused(config(change), what, key);
    }
}
