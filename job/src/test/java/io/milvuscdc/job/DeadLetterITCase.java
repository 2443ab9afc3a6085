package io.milvuscdc.job;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.RawColumns;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.deadletter.DeadLetterJson;
import io.milvuscdc.job.deadletter.DeadLetterReader;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusStackExtension;
import io.milvuscdc.testutils.MilvusTables;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.milvus.grpc.MsgBase;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.vector.request.InsertReq;
import milvus.proto.msg.Msg;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input on the real source's topics and a target collection altered by hand: garbage bytes
 * on a DML channel and on the replicate channel, and a well-formed message of a type no Milvus
 * knows, each end up in the durable dead-letter output (a topic on the source's queue, or files)
 * with channel, position, reason and payload; an upsert the altered collection refuses goes
 * there whole ({@code onRefused: dead-letter}); counters rise; everything else is replicated; and
 * the dead letters read back with {@code dead-letters --config}.
 */
@ExtendWith(MilvusStackExtension.class)
class DeadLetterITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(METRICS.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final byte[] GARBAGE = {(byte) 0xff, (byte) 0xfe, 0x00, 0x42, 0x13, 0x37};

    @ParameterizedTest(name = "{0} source, {1} output")
    @CsvSource({"KAFKA, queue", "KAFKA, file", "PULSAR, queue"})
    void badInputIsDeadLetteredDurablyAndTheRestReplicates(Queue queue, String output, MilvusStack stack) throws Exception {
        String run = queue.name().toLowerCase() + "_" + output + "_" + System.currentTimeMillis() % 100_000;
        String kept = "dl_kept_" + run;
        String altered = "dl_altered_" + run;
        String deadLetterYaml = output.equals("file")
                ? "deadLetter: {output: file, path: '" + Files.createTempDirectory("dead-letters").toUri() + "'}"
                : "deadLetter: {output: queue, topic: 'dead-letters-" + run.replace('_', '-') + "'}";
        CdcConfig config = ReplicationHarness.config(stack, queue,
                "selection:", "  include: ['default.dl_*_" + run + "']", deadLetterYaml);
        config.onRefused = io.milvuscdc.connectors.sink.MilvusSink.OnRefused.DEAD_LETTER;
        MilvusStack.Milvus sourceMilvus = stack.source(queue);
        MilvusClientV2 source = MilvusTables.connect(sourceMilvus);
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        JobClient job = ReplicationHarness.start(config, "dead letters " + run);
        try {
            create(source, kept, 4);
            create(source, altered, 4);
            insert(source, kept, 0, 10);
            insert(source, altered, 0, 10);
            ReplicationHarness.waitUntil("both collections are on the target", () ->
                    MilvusTables.count(target, kept) == 10 && MilvusTables.count(target, altered) == 10);

            // The target collection re-made by hand with another vector size: the next upsert is refused for good.
            target.dropCollection(DropCollectionReq.builder().collectionName(altered).build());
            create(target, altered, 8);
            String dml0 = sourceMilvus.channelPrefix() + "-rootcoord-dml_0";
            String replicate = sourceMilvus.channelPrefix() + "-replicate-msg";
            byte[] unknownType = Msg.TimeTickMsg.newBuilder()
                    .setBase(MsgBase.newBuilder().setMsgTypeValue(9_999).setTimestamp(1L << 40)).build().toByteArray();
            List<String> positions = publish(stack, queue, List.of(dml0, replicate, dml0),
                    List.of(GARBAGE, GARBAGE, unknownType));
            insert(source, altered, 100, 5);
            insert(source, kept, 100, 5);

            ReplicationHarness.waitUntil("rows after the bad input are replicated", () -> MilvusTables.count(target, kept) == 15);
            // The refused upsert may come as one operation per shard (and per checkpoint): all of its rows, each once.
            List<DeadLetter> letters = new ArrayList<>();
            List<Long> refusedKeys = new ArrayList<>();
            ReplicationHarness.waitUntil("the three messages and the five refused rows can be read back", () -> {
                letters.clear();
                refusedKeys.clear();
                try {
                    DeadLetterReader.read(config, line -> letters.add(DeadLetterJson.fromJson(line)));
                    for (DeadLetter d : letters) {
                        if (d.kind == DeadLetter.Kind.OPERATION) {
                            refusedKeys.addAll(RawColumns.find(TargetOperation.parseFrom(d.payload).getUpsert()
                                    .getFieldsDataList(), "id").getScalars().getLongData().getDataList());
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return letters.size() - letters.stream().filter(d -> d.kind == DeadLetter.Kind.OPERATION).count() >= 3
                        && refusedKeys.size() >= 5;
            });
            java.util.Collections.sort(refusedKeys);
            assertEquals(List.of(100L, 101L, 102L, 103L, 104L), refusedKeys, "the whole operation, rows included, once");

            List<DeadLetter> messages = letters.stream().filter(d -> d.kind == DeadLetter.Kind.MESSAGE)
                    .collect(Collectors.toList());
            assertEquals(3, messages.size(), letters.toString());
            for (int i = 0; i < 3; i++) {
                String channel = i == 1 ? replicate : dml0;
                String position = positions.get(i);
                // A Pulsar reader may add the batch index to the producer's id (ledger:entry:partition[:batch]).
                DeadLetter d = messages.stream().filter(m -> m.channel.equals(channel)
                                && (m.position.equals(position) || m.position.startsWith(position + ":")))
                        .findFirst().orElseThrow(() -> new AssertionError("no dead letter at " + channel + "@" + position
                                + " in " + letters));
                assertTrue(Arrays.equals(i == 2 ? unknownType : GARBAGE, d.payload), d.toString());
                assertTrue(d.reason.contains(i == 2 ? "unknown message type 9999" : "not a Milvus message"), d.reason);
            }
            for (DeadLetter refused : letters.stream().filter(d -> d.kind == DeadLetter.Kind.OPERATION)
                    .collect(Collectors.toList())) {
                assertEquals(altered, refused.collection);
                assertEquals("upsert", refused.operation);
                // The target names the other dimension, or (when the rows' floats divide by its
                // dimension) the row count it derives from them: which depends on the batch.
                assertTrue(refused.reason.toLowerCase().contains("dim") || refused.reason.contains("num_rows"),
                        refused.reason);
            }

            assertEquals(3, counter(job, "deadLettered"), "the sequencer's counter");
            assertEquals(letters.size() - 3, counter(job, "operationsDeadLettered"), "the sink's counter");
            assertEquals(letters.size() - 3, collectionCounter(job, altered, "operationsDeadLettered"),
                    "the sink's counter of " + altered);
            assertEquals(0, MilvusTables.count(target, altered), "the refused rows are in the dead letters, not the target");
        } finally {
            job.cancel().get();
            // The hand-altered collection must not outlive the test: a later job that replicates
            // every collection (OperationsITCase) would be refused on it and stop.
            for (MilvusClientV2 side : List.of(source, target)) {
                if (side.hasCollection(io.milvus.v2.service.collection.request.HasCollectionReq.builder()
                        .collectionName(altered).build())) {
                    side.dropCollection(DropCollectionReq.builder().collectionName(altered).build());
                }
            }
            source.close();
            target.close();
        }
    }

    /** Writes each payload to its channel's topic; returns the positions as the job names them. */
    private static List<String> publish(MilvusStack stack, Queue queue, List<String> channels, List<byte[]> payloads)
            throws Exception {
        List<String> positions = new ArrayList<>();
        if (queue == Queue.KAFKA) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                for (int i = 0; i < channels.size(); i++) {
                    positions.add(Long.toString(producer.send(new ProducerRecord<>(channels.get(i), payloads.get(i)))
                            .get().offset()));
                }
            }
        } else {
            MilvusStack.Pulsar broker = stack.pulsar();
            try (PulsarClient client = PulsarClient.builder().serviceUrl(broker.serviceUrl()).build()) {
                for (int i = 0; i < channels.size(); i++) {
                    try (Producer<byte[]> producer = client.newProducer().enableBatching(false).topic("persistent://"
                            + broker.tenant() + "/" + broker.namespace() + "/" + channels.get(i)).create()) {
                        positions.add(producer.send(payloads.get(i)).toString());
                    }
                }
            }
        }
        return positions;
    }

    /** The operators' counter {@code name}, summed over subtasks (the per-collection groups' left out). */
    private static long counter(JobClient job, String name) {
        long sum = 0;
        for (Map.Entry<String, Metric> m : METRICS.findMetrics(job.getJobID(), name).entrySet()) {
            if (!m.getKey().contains(".collection.")) {
                sum += ((Counter) m.getValue()).getCount();
            }
        }
        return sum;
    }

    /** The counter {@code name} of the per-collection group of {@code collection}. */
    private static long collectionCounter(JobClient job, String collection, String name) {
        long sum = 0;
        for (Metric m : METRICS.findMetrics(job.getJobID(), ".collection." + collection + "." + name).values()) {
            sum += ((Counter) m).getCount();
        }
        return sum;
    }

    private static void create(MilvusClientV2 client, String name, int dim) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(dim).build());
        client.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema).numShards(2).build());
        client.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build())).build());
        client.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    }

    private static void insert(MilvusClientV2 source, String name, long from, int count) {
        List<JsonObject> rows = new ArrayList<>();
        for (long k = from; k < from + count; k++) {
            JsonObject row = new JsonObject();
            row.addProperty("id", k);
            JsonArray vec = new JsonArray();
            for (int i = 0; i < 4; i++) {
                vec.add(k * 0.1f + i);
            }
            row.add("vec", vec);
            rows.add(row);
        }
        source.insert(InsertReq.builder().collectionName(name).data(rows).build());
    }
}
