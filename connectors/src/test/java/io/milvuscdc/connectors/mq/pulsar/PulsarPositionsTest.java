package io.milvuscdc.connectors.mq.pulsar;

import io.milvuscdc.testutils.WireCaptures;

import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The positions a real Milvus 2.3.5 gets from Pulsar 3.0, as captured: what the connector keeps
 * in its split state, and the topic names the source's pattern must find.
 */
class PulsarPositionsTest {

    private final WireCaptures capture = WireCaptures.load(WireCaptures.MILVUS_2_3_5_PULSAR);
    private final List<WireCaptures.MqMessage> messages = capture.messages();

    @Test
    void messageIdsSurviveTheirSerializedForm() throws IOException {
        for (WireCaptures.MqMessage m : messages) {
            MessageId id = MessageId.fromByteArray(m.messageId);
            assertEquals(m.position, id.toString());
            assertArrayEquals(m.messageId, id.toByteArray());
        }
    }

    /**
     * Milvus's Go producer sends synchronously, so every entry is a batch of one message. A
     * checkpoint therefore never falls inside a multi-message batch, where the connector's
     * restore would skip the batch's remainder (FLINK-36180).
     */
    @Test
    void everyMilvusMessageIsABatchOfOne() throws IOException {
        for (WireCaptures.MqMessage m : messages) {
            MessageIdAdv id = (MessageIdAdv) MessageId.fromByteArray(m.messageId);
            assertEquals(1, id.getBatchSize(), m.origin());
            assertEquals(0, id.getBatchIndex(), m.origin());
        }
    }

    @Test
    void positionsGrowWithinEachChannel() throws IOException {
        for (String channel : messages.stream().map(m -> m.channel).distinct().collect(Collectors.toList())) {
            MessageId previous = null;
            for (WireCaptures.MqMessage m : messages) {
                if (m.channel.equals(channel)) {
                    MessageId id = MessageId.fromByteArray(m.messageId);
                    assertTrue(previous == null || previous.compareTo(id) < 0, m.origin());
                    previous = id;
                }
            }
        }
    }

    @Test
    void theSourcePatternFindsEveryChannelTheServerWrote() {
        Pattern pattern = new MilvusPulsarSourceBuilder()
                .setChannelPrefix(capture.channelPrefix())
                .topicPattern();
        List<String> channels = messages.stream().map(m -> m.channel).distinct().sorted().collect(Collectors.toList());
        assertEquals(List.of(capture.channelPrefix() + "-replicate-msg", capture.channelPrefix() + "-rootcoord-dml_0",
                capture.channelPrefix() + "-rootcoord-dml_1"), channels);
        for (String channel : channels) {
            assertTrue(pattern.matcher("persistent://public/default/" + channel).matches(), channel);
        }
        assertTrue(!pattern.matcher("persistent://public/default/" + capture.channelPrefix() + "-rootcoord-dml_0x").matches());
        assertTrue(!pattern.matcher("persistent://other/default/" + capture.channelPrefix() + "-replicate-msg").matches());
        assertEquals(capture.channelPrefix() + "-rootcoord-dml_1",
                MilvusPulsarDeserializer.channelOf("persistent://public/default/" + capture.channelPrefix() + "-rootcoord-dml_1"));
    }
}
