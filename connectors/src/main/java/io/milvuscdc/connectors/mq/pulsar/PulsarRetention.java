package io.milvuscdc.connectors.mq.pulsar;

import com.google.protobuf.CodedInputStream;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Checks start positions (Pulsar message ids) against what each channel still retains: Pulsar
 * deletes whole ledgers once retention passes, so a position older than a channel's first
 * retained message means the messages between were deleted and a start there would skip them.
 */
public final class PulsarRetention {

    /** A channel's first retained message. */
    public record FirstRetained(long ledger, long entry, long publishTimeMs) {}

    /** The outcome for a set of positions. */
    public record Checked(Map<String, long[]> startIds, List<String> lost, List<String> empty) {}

    private PulsarRetention() {}

    /**
     * For each channel of {@code ids} (ledger, entry, partition, batch index): kept when it is at or
     * after the channel's first retained message; otherwise reported in {@code lost} (naming the
     * channel, both positions and the first one's publish time) and moved to that first message.
     * A channel holding no message at all is reported in {@code empty}.
     */
    public static Checked check(PulsarClient client, String namespaceTopicPrefix, Map<String, long[]> ids,
                                Duration timeout) {
        Map<String, long[]> start = new TreeMap<>();
        List<String> lost = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        for (Map.Entry<String, long[]> e : new TreeMap<>(ids).entrySet()) {
            long[] id = e.getValue();
            FirstRetained first = firstRetained(client, namespaceTopicPrefix + e.getKey(), timeout);
            if (first == null) {
                empty.add(e.getKey());
                start.put(e.getKey(), id);
            } else if (id[0] < first.ledger || (id[0] == first.ledger && id[1] < first.entry)) {
                lost.add("channel " + e.getKey() + ": position " + id[0] + ":" + id[1] + " deleted, the earliest retained ("
                        + first.ledger + ":" + first.entry + ") published at " + Instant.ofEpochMilli(first.publishTimeMs));
                start.put(e.getKey(), new long[] {first.ledger, first.entry, id[2], -1});
            } else {
                start.put(e.getKey(), id);
            }
        }
        return new Checked(start, lost, empty);
    }

    /** The topic's first retained message, or null when it holds none. */
    public static FirstRetained firstRetained(PulsarClient client, String topic, Duration timeout) {
        try (Reader<byte[]> reader = client.newReader(Schema.BYTES).topic(topic).startMessageId(MessageId.earliest)
                .startMessageIdInclusive().readerName("milvus-cdc-retention-check").create()) {
            if (!reader.hasMessageAvailable()) {
                return null;
            }
            Message<byte[]> first = reader.readNext((int) timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (first == null) {
                return null;
            }
            long[] id = ledgerAndEntry(first.getMessageId());
            return new FirstRetained(id[0], id[1], first.getPublishTime());
        } catch (PulsarClientException e) {
            throw new IllegalStateException("cannot read the first retained message of " + topic + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ledger and entry of a message id, read from its {@code MessageIdData} bytes (fields 1 and 2). */
    static long[] ledgerAndEntry(MessageId id) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(id.toByteArray());
        long[] out = new long[2];
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag >>> 3) {
                case 1 -> out[0] = in.readUInt64();
                case 2 -> out[1] = in.readUInt64();
                default -> in.skipField(tag);
            }
        }
        return out;
    }
}
