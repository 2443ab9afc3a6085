package io.milvuscdc.testutils;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonObject;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.options.GetOption;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.collection.request.ReleaseCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Captures what a real source Milvus writes to etcd and to its queue (Kafka or Pulsar) for create
 * collection, index, load, insert, delete, upsert, release, time tick and drop collection, as the
 * test resources of the decoders. Arguments: stack.json, output file, {@code kafka|pulsar}.
 *
 * <p>Run against a stack started by hand: {@code scripts/capture-wire.sh}.
 */
public final class WireCapture {

    public static void main(String[] args) throws Exception {
        Path stackJson = Path.of(args[0]);
        Path out = Path.of(args[1]);
        MilvusStack stack = MilvusStack.read(stackJson);
        String queue = args.length > 2 ? args[2] : "kafka";
        MilvusStack.Milvus source = stack.source(queue.equals("pulsar") ? MilvusStack.Queue.PULSAR : MilvusStack.Queue.KAFKA);

        MilvusClientV2 milvus = new MilvusClientV2(ConnectConfig.builder().uri(source.uri()).build());
        Recorder recorder = queue.equals("pulsar") ? new PulsarRecorder(stack, source) : new KafkaRecorder(stack, source);

        String name = "wire_capture";
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().enableDynamicField(true).build();
        schema.addField(AddFieldReq.builder().fieldName("id").dataType(DataType.Int64).isPrimaryKey(true).autoID(false).build());
        schema.addField(AddFieldReq.builder().fieldName("title").dataType(DataType.VarChar).maxLength(64).build());
        schema.addField(AddFieldReq.builder().fieldName("score").dataType(DataType.Float).build());
        schema.addField(AddFieldReq.builder().fieldName("meta").dataType(DataType.JSON).build());
        schema.addField(AddFieldReq.builder().fieldName("vec").dataType(DataType.FloatVector).dimension(4).build());
        milvus.createCollection(CreateCollectionReq.builder().collectionName(name).collectionSchema(schema)
                .numShards(2).build());
        // Index, load and release go to the replicate channel.
        milvus.createIndex(CreateIndexReq.builder().collectionName(name).indexParams(List.of(IndexParam.builder()
                .fieldName("vec").indexType(IndexParam.IndexType.FLAT).metricType(IndexParam.MetricType.L2).build())).build());
        milvus.loadCollection(LoadCollectionReq.builder().collectionName(name).build());

        List<JsonObject> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rows.add(row(i, "row-" + i));
        }
        milvus.insert(InsertReq.builder().collectionName(name).data(rows).build());
        milvus.delete(DeleteReq.builder().collectionName(name).ids(List.of(1L)).build());
        milvus.upsert(UpsertReq.builder().collectionName(name).data(List.of(row(2, "upserted"))).build());
        milvus.releaseCollection(ReleaseCollectionReq.builder().collectionName(name).build());
        Thread.sleep(1000); // let a few time ticks pass so that each channel has one
        milvus.dropCollection(DropCollectionReq.builder().collectionName(name).build());
        Thread.sleep(1000); // a capture tool, not a test: let the drop reach every channel

        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("server", "milvus 2.3.5 standalone, mq " + (queue.equals("pulsar") ? "pulsar 3.0.7" : "kafka 3.4.0"));
        root.put("etcdRoot", source.etcdRootPath() + "/" + source.metaSubPath());
        root.put("channelPrefix", source.channelPrefix());

        // Every message the source wrote, but only two time ticks per topic: they are all alike.
        ArrayNode messages = root.putArray(queue);
        recorder.record(messages);
        recorder.close();

        // The etcd history under root-coord: every put and delete, in revision order, as a
        // watch from revision 1 sees it (the meta source's own view).
        ArrayNode etcd = root.putArray("etcd");
        try (Client client = Client.builder().endpoints(stack.etcdEndpoint()).build()) {
            ByteSequence prefix = bytes(source.etcdRootPath() + "/" + source.metaSubPath() + "/root-coord/");
            long current = client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
                    .get().getHeader().getRevision();
            List<WatchEvent> events = new ArrayList<>();
            CountDownLatch caughtUp = new CountDownLatch(1);
            try (Watch.Watcher watcher = client.getWatchClient().watch(prefix,
                    WatchOption.builder().isPrefix(true).withRevision(1).build(), response -> {
                        synchronized (events) {
                            events.addAll(response.getEvents());
                        }
                        if (response.getHeader().getRevision() >= current) {
                            caughtUp.countDown();
                        }
                    })) {
                caughtUp.await(30, TimeUnit.SECONDS);
            }
            for (WatchEvent event : events) {
                KeyValue kv = event.getKeyValue();
                String key = kv.getKey().toString(StandardCharsets.UTF_8);
                if (key.contains("/credential/")) {
                    continue;
                }
                ObjectNode e = etcd.addObject();
                e.put("type", event.getEventType().name());
                e.put("key", key);
                e.put("modRevision", kv.getModRevision());
                e.put("value", Base64.getEncoder().encodeToString(kv.getValue().getBytes()));
            }
        }
        milvus.close();
        Files.createDirectories(out.getParent());
        mapper.writeValue(out.toFile(), root);
        System.out.println("wrote " + messages.size() + " messages and " + etcd.size() + " etcd events to " + out);
    }

    private static boolean isTimeTick(byte[] payload) {
        try {
            return payload.length < 64 && milvus.proto.msg.Msg.TimeTickMsg.parseFrom(payload).getBase().getMsgType()
                    == io.milvus.grpc.MsgType.TimeTick;
        } catch (Exception e) {
            return false;
        }
    }

    /** Reads every channel of the source from the start, subscribed before the operations run. */
    private interface Recorder extends AutoCloseable {
        /** Appends every message until the channels have been quiet for 5 s. */
        void record(ArrayNode out) throws Exception;
    }

    private static final class KafkaRecorder implements Recorder {
        private final KafkaConsumer<byte[], byte[]> consumer;

        KafkaRecorder(MilvusStack stack, MilvusStack.Milvus source) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "wire-capture-" + System.nanoTime());
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "500");
            consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(Pattern.compile(Pattern.quote(source.channelPrefix()) + "-.*"));
        }

        @Override
        public void record(ArrayNode out) {
            Set<String> topicsWithTick = new HashSet<>();
            long idle = System.currentTimeMillis();
            while (System.currentTimeMillis() - idle < 5000) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    idle = System.currentTimeMillis();
                    if (isTimeTick(r.value()) && !topicsWithTick.add(r.topic() + (r.offset() % 2))) {
                        continue;
                    }
                    ObjectNode m = out.addObject();
                    m.put("topic", r.topic());
                    m.put("partition", r.partition());
                    m.put("offset", r.offset());
                    ObjectNode headers = m.putObject("headers");
                    for (Header h : r.headers()) {
                        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    }
                    m.put("value", Base64.getEncoder().encodeToString(r.value()));
                }
            }
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** Keeps each message's id as the connector's per-topic consumers see it, bytes and text. */
    private static final class PulsarRecorder implements Recorder {
        private final PulsarClient client;
        private final Consumer<byte[]> consumer;

        PulsarRecorder(MilvusStack stack, MilvusStack.Milvus source) throws PulsarClientException {
            MilvusStack.Pulsar pulsar = stack.pulsar();
            client = PulsarClient.builder().serviceUrl(pulsar.serviceUrl()).build();
            consumer = client.newConsumer()
                    .topicsPattern(Pattern.compile("persistent://" + pulsar.tenant() + "/" + pulsar.namespace() + "/"
                            + Pattern.quote(source.channelPrefix()) + "-.*"))
                    .subscriptionName("wire-capture-" + System.nanoTime())
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                    .patternAutoDiscoveryPeriod(1, TimeUnit.SECONDS)
                    .subscribe();
        }

        @Override
        public void record(ArrayNode out) throws Exception {
            Set<String> topicsWithTick = new HashSet<>();
            long idle = System.currentTimeMillis();
            while (System.currentTimeMillis() - idle < 5000) {
                Message<byte[]> message = consumer.receive(500, TimeUnit.MILLISECONDS);
                if (message == null) {
                    continue;
                }
                idle = System.currentTimeMillis();
                // A multi-topic consumer wraps the id; its bytes are the topic's own id.
                MessageId id = MessageId.fromByteArray(message.getMessageId().toByteArray());
                if (isTimeTick(message.getData()) && !topicsWithTick.add(message.getTopicName() + id.hashCode() % 2)) {
                    continue;
                }
                ObjectNode m = out.addObject();
                m.put("topic", message.getTopicName());
                m.put("messageId", id.toString());
                m.put("messageIdBytes", Base64.getEncoder().encodeToString(id.toByteArray()));
                m.put("publishTime", message.getPublishTime());
                ObjectNode properties = m.putObject("properties");
                message.getProperties().forEach(properties::put);
                m.put("value", Base64.getEncoder().encodeToString(message.getData()));
            }
        }

        @Override
        public void close() throws PulsarClientException {
            consumer.close();
            client.close();
        }
    }

    private static JsonObject row(long id, String title) {
        JsonObject row = new JsonObject();
        row.addProperty("id", id);
        row.addProperty("title", title);
        row.addProperty("score", id * 0.5f);
        JsonObject meta = new JsonObject();
        meta.addProperty("n", id);
        row.add("meta", meta);
        com.google.gson.JsonArray vec = new com.google.gson.JsonArray();
        for (int d = 0; d < 4; d++) {
            vec.add(id + d / 10.0f);
        }
        row.add("vec", vec);
        row.addProperty("extra", "dyn-" + id);
        return row;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
