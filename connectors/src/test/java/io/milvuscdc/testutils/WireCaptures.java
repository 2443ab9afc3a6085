package io.milvuscdc.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The bytes a real Milvus wrote, as captured by {@link WireCapture} into test resources. */
public final class WireCaptures {

    public static final String MILVUS_2_3_5_KAFKA = "/wire/milvus-2.3.5-kafka.json";
    public static final String MILVUS_2_3_5_REPLICATE = "/wire/milvus-2.3.5-replicate-msg.json";
    public static final String MILVUS_2_3_5_PULSAR = "/wire/milvus-2.3.5-pulsar.json";

    private final JsonNode root;

    private WireCaptures(JsonNode root) {
        this.root = root;
    }

    public static WireCaptures load(String resource) {
        try (InputStream in = WireCaptures.class.getResourceAsStream(resource)) {
            return new WireCaptures(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String etcdRoot() {
        return root.get("etcdRoot").asText();
    }

    public String channelPrefix() {
        return root.get("channelPrefix").asText();
    }

    /** The messages in the order they were read: Kafka offsets or Pulsar message ids as positions. */
    public List<MqMessage> messages() {
        List<MqMessage> out = new ArrayList<>();
        if (root.has("pulsar")) {
            for (JsonNode m : root.get("pulsar")) {
                String topic = m.get("topic").asText();
                out.add(new MqMessage(topic.substring(topic.lastIndexOf('/') + 1), m.get("messageId").asText(),
                        Base64.getDecoder().decode(m.get("messageIdBytes").asText()),
                        Base64.getDecoder().decode(m.get("value").asText())));
            }
            return out;
        }
        for (JsonNode m : root.get("kafka")) {
            out.add(new MqMessage(m.get("topic").asText(), m.get("offset").asText(), null,
                    Base64.getDecoder().decode(m.get("value").asText())));
        }
        return out;
    }

    public List<EtcdEvent> etcdEvents() {
        List<EtcdEvent> out = new ArrayList<>();
        for (JsonNode e : root.get("etcd")) {
            out.add(new EtcdEvent(e.get("type").asText().equals("DELETE"), e.get("key").asText(),
                    e.get("modRevision").asLong(), Base64.getDecoder().decode(e.get("value").asText())));
        }
        return out;
    }

    /** One message of a channel. */
    public static final class MqMessage {
        public final String channel;
        /** A Kafka offset, or a Pulsar message id as text ({@code ledger:entry:partition}). */
        public final String position;
        /** A Pulsar message id's serialized form ({@code MessageId.toByteArray}); null for Kafka. */
        public final byte[] messageId;
        public final byte[] payload;

        MqMessage(String channel, String position, byte[] messageId, byte[] payload) {
            this.channel = channel;
            this.position = position;
            this.messageId = messageId;
            this.payload = payload;
        }

        public String origin() {
            return channel + "@" + position;
        }
    }

    /** One put or delete seen by an etcd watch. */
    public static final class EtcdEvent {
        public final boolean delete;
        public final String key;
        public final long revision;
        public final byte[] value;

        EtcdEvent(boolean delete, String key, long revision, byte[] value) {
            this.delete = delete;
            this.key = key;
            this.revision = revision;
            this.value = value;
        }
    }
}
