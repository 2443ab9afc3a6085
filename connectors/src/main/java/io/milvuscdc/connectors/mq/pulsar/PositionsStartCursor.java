package io.milvuscdc.connectors.mq.pulsar;

import org.apache.flink.connector.pulsar.source.enumerator.cursor.CursorPosition;
import org.apache.flink.connector.pulsar.source.enumerator.cursor.StartCursor;

import com.google.protobuf.CodedOutputStream;
import org.apache.pulsar.client.api.MessageId;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Given message ids for some channels (that message included: replaying it again converges); the
 * others from a publish time.
 */
final class PositionsStartCursor implements StartCursor {

    private static final long serialVersionUID = 1L;

    /** Channel (topic's local name): ledger, entry, partition, batch index. */
    private final TreeMap<String, long[]> ids;
    private final long othersFromPublishTimeMs;

    PositionsStartCursor(Map<String, long[]> ids, long othersFromPublishTimeMs) {
        this.ids = new TreeMap<>(ids);
        this.othersFromPublishTimeMs = othersFromPublishTimeMs;
    }

    @Override
    public CursorPosition position(String topic, int partitionId) {
        long[] id = ids.get(topic.substring(topic.lastIndexOf('/') + 1));
        return id == null ? new CursorPosition(othersFromPublishTimeMs) : new CursorPosition(messageId(id), true);
    }

    /** Pulsar's {@code MessageIdData} (ledgerId 1, entryId 2, partition 3, batch_index 4), read back by the client. */
    static MessageId messageId(long[] id) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.writeUInt64(1, id[0]);
            out.writeUInt64(2, id[1]);
            out.writeInt32(3, (int) id[2]);
            if (id[3] >= 0) {
                out.writeInt32(4, (int) id[3]);
            }
            out.flush();
            return MessageId.fromByteArray(bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
