package io.milvuscdc.job.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.IDs;
import io.milvus.grpc.MsgBase;
import io.milvuscdc.testutils.MilvusStack;
import milvus.proto.msg.Msg;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What a Milvus wrote to its own write-ahead log (its DML topics on Kafka or Pulsar) for each key:
 * the state of the key's last write there. Of the target: a key whose state on the target differs
 * from the source while this log holds the source's state was written by the job, acknowledged by
 * the target and then lost by the target (seen after its {@code kill -9}). Of the source: a key the
 * target shows as this log last has it while the source shows otherwise was lost by the source
 * (seen after its broker was restarted). Either is that server's loss, not the job's.
 */
public final class MilvusWal {

    /** A key's state in the log: a fingerprint ({@link Workload#fingerprint}) or {@link Workload#DELETED}. */
    private static final class Last {
        long timestamp;
        Object state;
        /** Of a row: the partition it is in (a drop of the partition deletes it). */
        long partition;
    }

    /** Collection id → key (as text) → last write. */
    private final Map<Long, Map<String, Last>> keys = new HashMap<>();
    /** db.collection → {timestamp of its last load or release, 1 for a load}. */
    private final Map<String, long[]> loads = new HashMap<>();

    private MilvusWal() {
    }

    /**
     * How many messages the Kafka topics of each Milvus (by channel prefix) hold so far: the sum of
     * their end offsets, per prefix.
     */
    public static Map<String, Long> kafkaMessages(String bootstrap, List<String> prefixes) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            Map<String, Long> counts = new HashMap<>();
            for (String prefix : prefixes) {
                counts.put(prefix, consumer.endOffsets(partitions(consumer, t -> t.startsWith(prefix))).values()
                        .stream().mapToLong(Long::longValue).sum());
            }
            return counts;
        }
    }

    /** The partitions of the topics whose names {@code topics} accepts. */
    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, java.util.function.Predicate<String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (Map.Entry<String, List<PartitionInfo>> topic : consumer.listTopics().entrySet()) {
            if (topics.test(topic.getKey())) {
                topic.getValue().forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
            }
        }
        return partitions;
    }

    /**
     * Reads the DML and replicate topics of the Milvus whose channel prefix is {@code prefix} on {@code bootstrap},
     * from {@code sinceMillis} (broker time) to their current ends.
     */
    public static MilvusWal readKafka(String bootstrap, String prefix, long sinceMillis) {
        MilvusWal wal = new MilvusWal();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        Pattern topics = loggedTopics(prefix);
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitions(consumer, t -> topics.matcher(t).matches());
            consumer.assign(partitions);
            Map<TopicPartition, Long> since = new HashMap<>();
            partitions.forEach(tp -> since.put(tp, sinceMillis));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(since);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp start = starts.get(tp);
                consumer.seek(tp, start == null ? ends.get(tp) : start.offset());
            }
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(2))) {
                    wal.add(record.value());
                }
            }
        }
        return wal;
    }

    /**
     * Reads the DML and replicate topics of the Milvus whose channel prefix is {@code prefix} on the Pulsar
     * {@code broker}, from {@code sinceMillis} (publish time) to their current ends.
     */
    public static MilvusWal readPulsar(MilvusStack.Pulsar broker, String prefix, long sinceMillis) {
        MilvusWal wal = new MilvusWal();
        Pattern topics = loggedTopics(prefix);
        try (PulsarClient client = PulsarClient.builder().serviceUrl(broker.serviceUrl()).build()) {
            for (String topic : pulsarTopics(broker)) {
                if (!topics.matcher(topic.substring(topic.lastIndexOf('/') + 1)).matches()) {
                    continue;
                }
                try (Reader<byte[]> reader = client.newReader().topic(topic).startMessageId(MessageId.earliest)
                        .create()) {
                    reader.seek(sinceMillis);
                    while (reader.hasMessageAvailable()) {
                        Message<byte[]> m = reader.readNext(10, TimeUnit.SECONDS);
                        if (m == null) {
                            break;
                        }
                        wal.add(m.getValue());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the write-ahead log on " + broker.serviceUrl(), e);
        }
        return wal;
    }

    /** The persistent topics of the broker's namespace, from its admin API. */
    private static List<String> pulsarTopics(MilvusStack.Pulsar broker) throws IOException {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(broker.webUrl() + "/admin/v2/persistent/"
                + broker.tenant() + "/" + broker.namespace())).timeout(Duration.ofSeconds(30)).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("listing topics: HTTP " + response.statusCode() + " " + response.body());
            }
            List<String> topics = new ArrayList<>();
            new ObjectMapper().readTree(response.body()).forEach(t -> topics.add(t.asText()));
            return topics;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while listing topics", e);
        }
    }

    /** Its DML channels and its replicate channel (loads and releases). */
    private static Pattern loggedTopics(String prefix) {
        return Pattern.compile(Pattern.quote(prefix) + "-(rootcoord-dml_\\d+|replicate-msg)");
    }

    /**
     * Whether the log's last load or release of {@code db.name} published at or after
     * {@code sinceMillis} (the collection's creation) is a load; null when it has neither.
     */
    public Boolean loadedPerLog(String db, String name, long sinceMillis) {
        long[] last = loads.get(db + "." + name);
        return last == null || (last[0] >> 18) < sinceMillis ? null : last[1] == 1;
    }

    /** The key's last state in the log of collection {@code collectionId}, or null if the log has no write of it. */
    public Object lastState(long collectionId, String key) {
        Last last = keys.getOrDefault(collectionId, Map.of()).get(key);
        return last == null ? null : last.state;
    }

    private void add(byte[] payload) {
        try {
            MsgBase base = Msg.TimeTickMsg.parseFrom(payload).getBase();
            switch (base.getMsgType()) {
                case Insert: {
                    Msg.InsertRequest insert = Msg.InsertRequest.parseFrom(payload);
                    FieldData pk = null;
                    FieldData vec = null;
                    for (FieldData f : insert.getFieldsDataList()) {
                        if (f.getFieldName().equals("vec")) {
                            vec = f;
                        } else if (f.getFieldName().equals("id") || f.getFieldName().equals("pk")) {
                            pk = f;
                        }
                    }
                    if (pk == null || vec == null) {
                        return;
                    }
                    int dim = (int) vec.getVectors().getDim();
                    List<String> ids = pk.getScalars().hasStringData()
                            ? pk.getScalars().getStringData().getDataList()
                            : pk.getScalars().getLongData().getDataList().stream().map(String::valueOf).toList();
                    for (int i = 0; i < ids.size(); i++) {
                        // An upsert is an insert and a delete of one timestamp: the insert wins.
                        put(insert.getCollectionID(), ids.get(i), insert.getTimestamps(i),
                                vec.getVectors().getFloatVector().getData(i * dim), insert.getPartitionID());
                    }
                    break;
                }
                case Delete: {
                    Msg.DeleteRequest delete = Msg.DeleteRequest.parseFrom(payload);
                    IDs pks = delete.getPrimaryKeys();
                    List<String> ids = pks.hasStrId() ? pks.getStrId().getDataList()
                            : pks.getIntId().getDataList().stream().map(String::valueOf).toList();
                    for (int i = 0; i < ids.size(); i++) {
                        put(delete.getCollectionID(), ids.get(i), delete.getTimestamps(i), Workload.DELETED, 0);
                    }
                    break;
                }
                case LoadCollection:
                case ReleaseCollection: {
                    // Both requests have base, db_name and collection_name as fields 1 to 3.
                    io.milvus.grpc.ReleaseCollectionRequest r = io.milvus.grpc.ReleaseCollectionRequest.parseFrom(payload);
                    String id = (r.getDbName().isEmpty() ? "default" : r.getDbName()) + "." + r.getCollectionName();
                    long[] last = loads.get(id);
                    if (last == null || base.getTimestamp() >= last[0]) {
                        loads.put(id, new long[] {base.getTimestamp(), base.getMsgType() == io.milvus.grpc.MsgType.LoadCollection ? 1 : 0});
                    }
                    break;
                }
                case DropPartition: {
                    // Published once per channel: the rows of the partition are gone (a job that
                    // dropped a partition the source kept must not pass as the target's loss).
                    Msg.DropPartitionRequest drop = Msg.DropPartitionRequest.parseFrom(payload);
                    for (Last last : keys.getOrDefault(drop.getCollectionID(), Map.of()).values()) {
                        if (last.state != Workload.DELETED && last.partition == drop.getPartitionID()
                                && last.timestamp < base.getTimestamp()) {
                            last.timestamp = base.getTimestamp();
                            last.state = Workload.DELETED;
                        }
                    }
                    break;
                }
                default:
            }
        } catch (InvalidProtocolBufferException e) {
            // Not a message of this log's writer: nothing of the job's.
        }
    }

    /** {@code partition}: the row's, or 0 for a delete. */
    private void put(long collection, String key, long timestamp, Object state, long partition) {
        Last last = keys.computeIfAbsent(collection, c -> new HashMap<>()).computeIfAbsent(key, k -> new Last());
        if (timestamp > last.timestamp || (timestamp == last.timestamp && partition != 0)) {
            last.timestamp = timestamp;
            last.state = state;
            last.partition = partition;
        }
    }
}
