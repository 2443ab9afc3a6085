package io.milvuscdc.connectors.mq;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import milvus.proto.msg.Msg.MsgPosition;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where each of a source's channels starts, as a user gives them: per channel, the position
 * milvus-backup and the Go Milvus-CDC record — a base64 {@code msgpb.MsgPosition} (what a source
 * keeps in etcd under {@code datacoord-meta/channel-cp/}), or a base64 message id alone — or a
 * Kafka offset ({@code 1234}) or Pulsar message id ({@code ledger:entry[:partition[:batch]]}) in
 * plain text. A channel is a physical one ({@code by-dev-rootcoord-dml_0}) or a collection's
 * virtual one on it ({@code by-dev-rootcoord-dml_0_447..v0}); several on one physical channel
 * start it at the earliest of them, so nothing of any is skipped (replaying the rest again
 * converges: the sink's writes are idempotent). Channels given none start at
 * {@link #fallbackTimestampMs()}: the earliest time among the positions, or none (-1).
 */
public final class ChannelPositions implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Pattern VIRTUAL = Pattern.compile("(.+)_\\d+v\\d+");
    private static final Pattern PULSAR_TEXT = Pattern.compile("(\\d+):(\\d+)(?::(-?\\d+))?(?::(-?\\d+))?");

    /** A position that cannot be read; the message names the channel. */
    public static final class InvalidPositionException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidPositionException(String message) {
            super(message);
        }
    }

    /** The queue a position is read for. */
    public enum Queue { KAFKA, PULSAR }

    private final Queue queue;
    /** Physical channel: Kafka offset. */
    private final Map<String, Long> offsets = new TreeMap<>();
    /** Physical channel: Pulsar message id (its serialized form), compared as ledger, entry, batch. */
    private final Map<String, long[]> messageIds = new TreeMap<>();
    private long fallbackTimestampMs = -1;

    private ChannelPositions(Queue queue) {
        this.queue = queue;
    }

    /**
     * Reads {@code given} (channel to position); every channel must be one of this source's DML
     * channels ({@code dmlChannelPrefix} then a number), or {@link InvalidPositionException} names it.
     */
    public static ChannelPositions parse(Map<String, String> given, Queue queue, String dmlChannelPrefix) {
        ChannelPositions positions = new ChannelPositions(queue);
        for (Map.Entry<String, String> e : given.entrySet()) {
            String channel = e.getKey().trim();
            Matcher virtual = VIRTUAL.matcher(channel);
            String physical = virtual.matches() ? virtual.group(1) : channel;
            if (!physical.startsWith(dmlChannelPrefix) || !physical.substring(dmlChannelPrefix.length()).matches("\\d+")) {
                throw new InvalidPositionException("channel " + channel + " is not a DML channel of this source (its "
                        + "channels are " + dmlChannelPrefix + "N, or a collection's " + dmlChannelPrefix + "N_<id>vN)");
            }
            positions.add(channel, physical, e.getValue() == null ? "" : e.getValue().trim());
        }
        return positions;
    }

    private void add(String channel, String physical, String value) {
        if (value.isEmpty()) {
            throw new InvalidPositionException("channel " + channel + " has an empty position");
        }
        byte[] id;
        Matcher pulsarText = PULSAR_TEXT.matcher(value);
        if (value.matches("\\d+") && queue == Queue.KAFKA) {
            id = kafkaId(Long.parseLong(value));
        } else if (queue == Queue.PULSAR && pulsarText.matches()) {
            addPulsar(physical, new long[] {Long.parseLong(pulsarText.group(1)), Long.parseLong(pulsarText.group(2)),
                    pulsarText.group(3) == null ? -1 : Long.parseLong(pulsarText.group(3)),
                    pulsarText.group(4) == null ? -1 : Long.parseLong(pulsarText.group(4))});
            return;
        } else {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(value);
            } catch (IllegalArgumentException notBase64) {
                throw new InvalidPositionException("channel " + channel + ": '" + value + "' is neither base64 nor a "
                        + (queue == Queue.KAFKA ? "Kafka offset" : "Pulsar message id (ledger:entry[:partition[:batch]])"));
            }
            id = bytes;
            try {
                MsgPosition position = MsgPosition.parseFrom(bytes);
                if (!position.getMsgID().isEmpty()) {
                    id = position.getMsgID().toByteArray();
                    if (position.getTimestamp() > 0) {
                        long millis = io.milvuscdc.connectors.event.Tso.toMillis(position.getTimestamp());
                        fallbackTimestampMs = fallbackTimestampMs < 0 ? millis : Math.min(fallbackTimestampMs, millis);
                    }
                }
            } catch (InvalidProtocolBufferException notAPosition) {
                // A message id alone.
            }
        }
        if (queue == Queue.KAFKA) {
            if (id.length != Long.BYTES) {
                throw new InvalidPositionException("channel " + channel + ": a Kafka message id is 8 bytes, this one "
                        + id.length);
            }
            long offset = ByteBuffer.wrap(id).order(ByteOrder.LITTLE_ENDIAN).getLong();
            offsets.merge(physical, offset, Math::min);
        } else {
            addPulsar(physical, pulsarId(channel, id));
        }
    }

    /** Milvus writes a Kafka message id as the offset's 8 bytes, little-endian. */
    static byte[] kafkaId(long offset) {
        return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(offset).array();
    }

    /** Pulsar's {@code MessageIdData}: ledgerId 1, entryId 2, partition 3, batch_index 4 (varints). */
    private static long[] pulsarId(String channel, byte[] bytes) {
        long[] id = {-1, -1, -1, -1};
        try {
            com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = tag >>> 3;
                if (field >= 1 && field <= 4 && (tag & 7) == 0) {
                    id[field - 1] = field <= 2 ? in.readUInt64() : in.readInt32();
                } else {
                    in.skipField(tag);
                }
            }
        } catch (java.io.IOException e) {
            throw new InvalidPositionException("channel " + channel + ": not a Pulsar message id (" + e.getMessage() + ")");
        }
        if (id[0] < 0 || id[1] < 0) {
            throw new InvalidPositionException("channel " + channel + ": not a Pulsar message id (no ledger or entry)");
        }
        return id;
    }

    private void addPulsar(String physical, long[] id) {
        messageIds.merge(physical, id, (a, b) -> compare(a, b) <= 0 ? a : b);
    }

    private static int compare(long[] a, long[] b) {
        int c = Long.compare(a[0], b[0]);
        if (c == 0) {
            c = Long.compare(a[1], b[1]);
        }
        return c != 0 ? c : Long.compare(a[3], b[3]);
    }

    /** Physical channel to the Kafka offset it starts at (that message included). */
    public Map<String, Long> kafkaOffsets() {
        return Collections.unmodifiableMap(offsets);
    }

    /** Physical channel to the Pulsar message id it starts at: ledger, entry, partition, batch index. */
    public Map<String, long[]> pulsarMessageIds() {
        return Collections.unmodifiableMap(messageIds);
    }

    /** Where a channel without a position starts: epoch ms, or -1 for the job's submission. */
    public long fallbackTimestampMs() {
        return fallbackTimestampMs;
    }

    /** For logs: channel and position, no secret in them. */
    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>();
        offsets.forEach((c, o) -> shown.put(c, Long.toString(o)));
        messageIds.forEach((c, id) -> shown.put(c, id[0] + ":" + id[1] + ":" + id[2] + ":" + id[3]));
        return shown + (fallbackTimestampMs >= 0 ? ", others from " + java.time.Instant.ofEpochMilli(fallbackTimestampMs) : "");
    }

    /** A base64 {@code MsgPosition} as the source writes it, for tests and tools. */
    public static String encode(String channel, byte[] messageId, long tso) {
        return Base64.getEncoder().encodeToString(MsgPosition.newBuilder().setChannelName(channel)
                .setMsgID(ByteString.copyFrom(messageId)).setTimestamp(tso).build().toByteArray());
    }
}
