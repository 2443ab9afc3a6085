package io.milvuscdc.job;

import io.milvuscdc.job.chaos.FlinkCluster;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.deadletter.DeadLetterReader;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.vector.request.InsertReq;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job run on a real cluster with every logger at DEBUG and distinctive secrets: a target token,
 * a Pulsar token (a job reading the stack's token-protected broker, its dead letters written
 * there too), an etcd password (refused at submission: the stack's etcd has no users), a Kafka SASL
 * password in the Kafka properties every Kafka client of the job gets. None of
 * them appears in any log line, the client's output, the REST API the web UI shows (job config,
 * plan, exceptions, cluster config), any metric, or the dead letters.
 */
@ExtendWith(MilvusStackExtension.class)
class SecretsITCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void noSecretAppearsInLogsRestMetricsOrDeadLetters(MilvusStack stack) throws Exception {
        String run = Long.toString(System.currentTimeMillis() % 100_000);
        String targetToken = "root:TgtS3cret" + run;
        String etcdPassword = "EtcdS3cret" + run;
        String pulsarToken = stack.pulsarWithToken().token();
        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("target token", "TgtS3cret" + run);
        secrets.put("target token (base64, as sent)", java.util.Base64.getEncoder().encodeToString(
                targetToken.getBytes(StandardCharsets.UTF_8)));
        secrets.put("etcd password", etcdPassword);
        // Passed to every Kafka client of the job (the stack's broker is plain: the setting rides along unused).
        String kafkaPassword = "KafkaS3cret" + run;
        secrets.put("Kafka SASL password", kafkaPassword);
        // A JWT's signature is its secret part; its header and claims are not.
        secrets.put("Pulsar token", pulsarToken.substring(pulsarToken.lastIndexOf('.') + 1));

        Path root = MilvusStack.projectRoot();
        Path dir = root.resolve("job/target/secrets-run");
        Path jar = root.resolve("job/target/milvus-cdc-job.jar");
        Files.createDirectories(dir);
        String collection = "secrets_" + run;
        Path deadLetters = Files.createTempDirectory(dir, "dead-letters");
        MilvusClientV2 source = MilvusTables.connect(stack.source());
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        List<String> scanned = new ArrayList<>();
        // Two jobs of parallelism 2: two TaskManagers of two slots.
        try (FlinkCluster flink = FlinkCluster.start(dir.resolve("flink"), 2, "DEBUG")) {
            Path kafkaYaml = FlinkCluster.cdcYaml(stack, dir,
                    "  token: '" + targetToken + "'",
                    "selection: {include: ['default." + collection + "']}",
                    "checkpointInterval: 1s",
                    "deadLetter: {output: file, path: '" + deadLetters.toUri() + "'}");
            Files.writeString(kafkaYaml, Files.readString(kafkaYaml).replace("    address: " + stack.kafkaBootstrap() + "\n",
                    "    address: " + stack.kafkaBootstrap() + "\n    properties:\n      sasl.mechanism: PLAIN\n"
                            + "      sasl.jaas.config: 'org.apache.kafka.common.security.plain.PlainLoginModule required "
                            + "username=\"cdc\" password=\"" + kafkaPassword + "\";'\n"));
            String kafkaJob = flink.submit(jar, "--config", kafkaYaml.toString());

            Path pulsarDir = Files.createDirectories(dir.resolve("pulsar"));
            MilvusStack.Pulsar broker = stack.pulsarWithToken();
            Path pulsarYaml = pulsarDir.resolve("cdc.yaml");
            Files.writeString(pulsarYaml, String.join("\n",
                    "sourceConfig:",
                    "  etcd: {address: ['" + stack.etcdEndpoint() + "'], rootPath: " + stack.source().etcdRootPath() + "}",
                    "  replicateChan: secrets" + run + "-replicate-msg",
                    "  pulsar:",
                    "    address: " + broker.serviceUrl(),
                    "    webAddress: " + broker.webUrl(),
                    "    authPlugin: token",
                    "    authParams: 'token:" + pulsarToken + "'",
                    "targetConfig: {uri: '" + stack.target().uri() + "', token: '" + targetToken + "'}",
                    // It reads the Kafka source's catalog: replicating none of it, it leaves the target to the other job.
                    "selection: {include: ['none.none']}",
                    "checkpointInterval: 1s", ""));
            String pulsarJob = flink.submit(jar, "--config", pulsarYaml.toString());

            Path etcdDir = Files.createDirectories(dir.resolve("etcd"));
            Path etcdYaml = FlinkCluster.cdcYaml(stack, etcdDir);
            Files.writeString(etcdYaml, Files.readString(etcdYaml).replace("  etcd:\n",
                    "  etcd:\n    enableAuth: true\n    username: cdc\n    password: '" + etcdPassword + "'\n"));
            String refused = flink.submitExpectingFailure(jar, "--config", etcdYaml.toString());
            assertTrue(refused.contains("Invalid configuration at 'sourceConfig.etcd.password'"), refused);
            scan("flink run output", refused, secrets);
            scanned.add("client output");

            ReplicationHarness.waitUntil("both jobs run", () -> running(flink, kafkaJob) && running(flink, pulsarJob));
            create(source, collection);
            insert(source, collection, 20);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafkaProps(stack), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(stack.source().channelPrefix() + "-rootcoord-dml_0",
                        new byte[] {(byte) 0xff, 0x01})).get();
            }
            ReplicationHarness.waitUntil("the rows are on the target", () -> MilvusTables.count(target, collection) == 20);
            CdcConfig kafkaConfig = CdcConfig.load(kafkaYaml);
            List<String> letters = new ArrayList<>();
            ReplicationHarness.waitUntil("a dead letter is written", () -> {
                letters.clear();
                try {
                    DeadLetterReader.read(kafkaConfig, letters::add);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return !letters.isEmpty();
            });
            assertEquals(1, letters.size(), "the one garbage message: " + letters);
            scan("dead letters", String.join("\n", letters), secrets);
            // The documented way to read them: the same jar, a subcommand that runs no job.
            String read = flink.cli("run", jar.toString(), "dead-letters", "--config", kafkaYaml.toString());
            assertTrue(read.contains(letters.get(0)), read);
            scan("flink run … dead-letters", read, secrets);
            scanned.add(letters.size() + " dead letters");

            for (String job : List.of(kafkaJob, pulsarJob)) {
                for (String path : List.of("", "/config", "/plan", "/exceptions", "/checkpoints/config", "/accumulators")) {
                    scan("REST /jobs/" + job + path, flink.restText("/jobs/" + job + path), secrets);
                    scanned.add("/jobs/<id>" + path);
                }
                int metrics = 0;
                for (JsonNode vertex : JSON.readTree(flink.restText("/jobs/" + job)).get("vertices")) {
                    String base = "/jobs/" + job + "/vertices/" + vertex.get("id").asText() + "/metrics";
                    List<String> names = new ArrayList<>();
                    JSON.readTree(flink.restText(base)).forEach(m -> names.add(m.get("id").asText()));
                    scan("metric names of " + vertex.get("name").asText(), String.join("\n", names), secrets);
                    for (int i = 0; i < names.size(); i += 50) {
                        String get = names.subList(i, Math.min(names.size(), i + 50)).stream()
                                .map(n -> java.net.URLEncoder.encode(n, StandardCharsets.UTF_8)).collect(Collectors.joining(","));
                        scan("metric values of " + vertex.get("name").asText(), flink.restText(base + "?get=" + get), secrets);
                    }
                    metrics += names.size();
                }
                assertTrue(metrics > 100, "metrics were read: " + metrics);
                scanned.add(metrics + " metrics");
            }
            for (String path : List.of("/jobmanager/config", "/jobmanager/environment", "/taskmanagers")) {
                scan("REST " + path, flink.restText(path), secrets);
                scanned.add(path);
            }
            for (JsonNode tm : JSON.readTree(flink.restText("/taskmanagers")).get("taskmanagers")) {
                scan("REST taskmanager", flink.restText("/taskmanagers/" + tm.get("id").asText()), secrets);
            }
            flink.cancel(kafkaJob);
            flink.cancel(pulsarJob);
            // The cancelled tasks delete their RocksDB directories (with RocksDB's own LOG files):
            // scan once they are gone, and skip a file removed between listing and reading.
            ReplicationHarness.waitUntil("both jobs are cancelled", () -> {
                try {
                    return "CANCELED".equals(flink.jobState(kafkaJob)) && "CANCELED".equals(flink.jobState(pulsarJob));
                } catch (IOException e) {
                    return false;
                }
            });

            long debugLines = 0;
            for (Path file : logFiles(dir.resolve("flink"))) {
                String text;
                try {
                    text = Files.readString(file, StandardCharsets.ISO_8859_1);
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue;
                }
                scan(file.toString(), text, secrets);
                debugLines += text.lines().filter(l -> l.contains(" DEBUG ")).count();
                scanned.add(file.getFileName().toString());
            }
            assertTrue(debugLines > 1000, "the logs were at DEBUG: " + debugLines + " DEBUG lines");
            System.out.println("Scanned for " + secrets.keySet() + ": " + scanned + "; " + debugLines + " DEBUG log lines");
        } finally {
            source.close();
            target.close();
        }
    }

    /** The log files below {@code dir}; listed again if a directory vanished during the walk. */
    private static List<Path> logFiles(Path dir) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (Stream<Path> files = Files.walk(dir)) {
                return files.filter(Files::isRegularFile).filter(SecretsITCase::isLog).collect(Collectors.toList());
            } catch (java.io.UncheckedIOException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private static boolean isLog(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith(".log") || name.endsWith(".out") || name.startsWith("LOG") || name.contains(".log.");
    }

    private static void scan(String where, String text, Map<String, String> secrets) {
        for (Map.Entry<String, String> s : secrets.entrySet()) {
            int at = text.indexOf(s.getValue());
            assertEquals(-1, at, () -> "the " + s.getKey() + " appears in " + where + ": …"
                    + text.substring(Math.max(0, at - 200), Math.min(text.length(), at + 50)).replace(s.getValue(), "<SECRET>") + "…");
        }
    }

    private static boolean running(FlinkCluster flink, String job) {
        try {
            return "RUNNING".equals(flink.jobState(job)) && flink.runningTasks(job);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static Properties kafkaProps(MilvusStack stack) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
        return props;
    }

    private static void create(MilvusClientV2 client, String name) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(2).build());
        client.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).build());
        client.createIndex(io.milvus.v2.service.index.request.CreateIndexReq.builder().collectionName(name)
                .indexParams(List.of(io.milvus.v2.common.IndexParam.builder().fieldName("vec")
                        .indexType(io.milvus.v2.common.IndexParam.IndexType.FLAT)
                        .metricType(io.milvus.v2.common.IndexParam.MetricType.L2).build())).build());
        client.loadCollection(io.milvus.v2.service.collection.request.LoadCollectionReq.builder().collectionName(name).build());
    }

    private static void insert(MilvusClientV2 source, String name, int count) {
        List<JsonObject> rows = new ArrayList<>();
        for (long k = 0; k < count; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            JsonArray vec = new JsonArray();
            vec.add(k);
            vec.add(-k);
            row.add("vec", vec);
            rows.add(row);
        }
        source.insert(InsertReq.builder().collectionName(name).data(rows).build());
    }
}
