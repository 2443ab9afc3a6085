package io.milvuscdc.connectors.deadletter;

import io.milvuscdc.connectors.event.proto.TargetOperation;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * What the job could not replicate, kept whole so that a user can inspect it and replay it: a
 * source message it could not decode ({@link Kind#MESSAGE}: its channel, position and bytes) or an
 * operation the target refused for good ({@link Kind#OPERATION}: the {@link TargetOperation} with
 * its rows). A POJO, so that Flink serializes it without Kryo. Never holds configuration, so never
 * a secret.
 */
public class DeadLetter {

    /** What was dead-lettered. */
    public enum Kind { MESSAGE, OPERATION }

    public Kind kind;
    /** The source channel (a message); empty for an operation. */
    public String channel = "";
    /** The message's position in its channel: a Kafka offset or a Pulsar message id. */
    public String position = "";
    /** Target database and collection (an operation). */
    public String database = "";
    public String collection = "";
    /** The operation's kind, e.g. upsert (an operation). */
    public String operation = "";
    /** The source TSO of the operation; 0 for a message. */
    public long sourceTimestamp;
    /** Why it was not replicated. */
    public String reason = "";
    /** The message's bytes as the source wrote them, or the encoded {@link TargetOperation}. */
    public byte[] payload = new byte[0];
    /** Wall-clock time it was dead-lettered, epoch ms. */
    public long deadLetteredAt;

    public DeadLetter() {}

    /**
     * A source message: {@code origin} is {@code channel@position} as the deserializers write it.
     */
    public static DeadLetter message(String origin, String reason, byte[] payload) {
        DeadLetter d = new DeadLetter();
        d.kind = Kind.MESSAGE;
        int at = origin.lastIndexOf('@');
        d.channel = at < 0 ? origin : origin.substring(0, at);
        d.position = at < 0 ? "" : origin.substring(at + 1);
        d.reason = reason;
        d.payload = payload;
        d.deadLetteredAt = System.currentTimeMillis();
        return d;
    }

    /** An operation the target refused. */
    public static DeadLetter operation(TargetOperation op, String reason) {
        DeadLetter d = new DeadLetter();
        d.kind = Kind.OPERATION;
        d.database = op.getDatabase();
        d.collection = op.getCollection();
        d.operation = op.getKindCase().name().toLowerCase(Locale.ROOT);
        d.sourceTimestamp = op.getTimestamp();
        d.reason = reason;
        d.payload = op.toByteArray();
        d.deadLetteredAt = System.currentTimeMillis();
        return d;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DeadLetter)) {
            return false;
        }
        DeadLetter d = (DeadLetter) o;
        return kind == d.kind && channel.equals(d.channel) && position.equals(d.position) && database.equals(d.database)
                && collection.equals(d.collection) && operation.equals(d.operation)
                && sourceTimestamp == d.sourceTimestamp && reason.equals(d.reason) && Arrays.equals(payload, d.payload)
                && deadLetteredAt == d.deadLetteredAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, channel, position, collection, sourceTimestamp, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return kind == Kind.MESSAGE
                ? "DeadLetter{message " + channel + "@" + position + ": " + reason + ", " + payload.length + " bytes}"
                : "DeadLetter{" + operation + " on " + database + "." + collection + " at " + sourceTimestamp + ": " + reason + "}";
    }
}
