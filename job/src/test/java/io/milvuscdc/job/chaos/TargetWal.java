package io.milvuscdc.job.chaos;

import com.google.protobuf.InvalidProtocolBufferException;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.IDs;
import io.milvus.grpc.MsgBase;
import milvus.proto.msg.Msg;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * What the target Milvus wrote to its own write-ahead log (its DML topics on Kafka) for each key:
 * the state of the key's last write there. A key whose state on the target differs from the source
 * while this log holds the source's state was written by the job, acknowledged by the target and
 * then lost by the target (seen after its {@code kill -9}): the target's loss, not the job's.
 */
public final class TargetWal {

    /** A key's state in the log: a fingerprint ({@link Workload#fingerprint}) or {@link Workload#DELETED}. */
    private static final class Last {
        long timestamp;
        Object state;
        /** Of a row: the partition it is in (a drop of the partition deletes it). */
        long partition;
    }

    /** Collection id → key (as text) → last write. */
    private final Map<Long, Map<String, Last>> keys = new HashMap<>();

    private TargetWal() {
    }

    /**
     * Reads the DML topics of the Milvus whose channel prefix is {@code prefix} on {@code bootstrap},
     * from {@code sinceMillis} (broker time) to their current ends.
     */
    public static TargetWal read(String bootstrap, String prefix, long sinceMillis) {
        TargetWal wal = new TargetWal();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        Pattern dml = Pattern.compile(Pattern.quote(prefix) + "-rootcoord-dml_\\d+");
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (Map.Entry<String, List<PartitionInfo>> topic : consumer.listTopics().entrySet()) {
                if (dml.matcher(topic.getKey()).matches()) {
                    topic.getValue().forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
                }
            }
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
