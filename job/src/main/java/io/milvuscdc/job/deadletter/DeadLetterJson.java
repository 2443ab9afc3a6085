package io.milvuscdc.job.deadletter;

import io.milvuscdc.connectors.deadletter.DeadLetter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * One dead letter as one line of JSON, the form it takes in a topic or a file and on the reader's
 * output: {@code kind, channel, position, database, collection, operation, sourceTimestamp,
 * reason, deadLetteredAt} and the {@code payload} in base64 (the message as the source wrote it,
 * or the encoded operation with its rows).
 */
public final class DeadLetterJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DeadLetterJson() {}

    public static String toJson(DeadLetter d) {
        ObjectNode node = JSON.createObjectNode();
        node.put("kind", d.kind.name().toLowerCase(java.util.Locale.ROOT));
        if (d.kind == DeadLetter.Kind.MESSAGE) {
            node.put("channel", d.channel);
            node.put("position", d.position);
        } else {
            node.put("database", d.database);
            node.put("collection", d.collection);
            node.put("operation", d.operation);
            node.put("sourceTimestamp", d.sourceTimestamp);
        }
        node.put("reason", d.reason);
        node.put("deadLetteredAt", d.deadLetteredAt);
        node.put("payload", Base64.getEncoder().encodeToString(d.payload));
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static DeadLetter fromJson(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a dead letter: " + e.getOriginalMessage(), e);
        }
        DeadLetter d = new DeadLetter();
        d.kind = DeadLetter.Kind.valueOf(node.path("kind").asText().toUpperCase(java.util.Locale.ROOT));
        d.channel = node.path("channel").asText("");
        d.position = node.path("position").asText("");
        d.database = node.path("database").asText("");
        d.collection = node.path("collection").asText("");
        d.operation = node.path("operation").asText("");
        d.sourceTimestamp = node.path("sourceTimestamp").asLong();
        d.reason = node.path("reason").asText("");
        d.deadLetteredAt = node.path("deadLetteredAt").asLong();
        d.payload = Base64.getDecoder().decode(node.path("payload").asText(""));
        return d;
    }
}
