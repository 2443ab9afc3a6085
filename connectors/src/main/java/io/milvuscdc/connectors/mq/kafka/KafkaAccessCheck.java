package io.milvuscdc.connectors.mq.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Lists the source's Kafka topics once before the job is built: an unreachable broker stops
 * {@code flink run} with a message saying so; whether any channel of the source exists yet is
 * returned (a source Milvus creates a channel's topic with its first collection on it, so none
 * is normal for an empty source, and a hint of a wrong channel prefix otherwise).
 */
public final class KafkaAccessCheck {

    /** The broker could not be reached. */
    public static final class AccessException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AccessException(String message) {
            super(message);
        }
    }

    private KafkaAccessCheck() {}

    /**
     * {@code properties}: the client settings the job uses (security), without the bootstrap
     * servers; {@code channels}: the source's channel names (see {@link MilvusKafkaSourceBuilder#topicPattern()}).
     */
    public static boolean check(String bootstrapServers, Map<String, String> properties, Pattern channels, Duration timeout) {
        Properties props = new Properties();
        props.putAll(properties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        Set<String> topics;
        try (Admin admin = Admin.create(props)) {
            topics = admin.listTopics().names().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new AccessException("cannot reach Kafka at " + bootstrapServers + " (" + cause.getClass().getSimpleName()
                    + ": " + cause.getMessage() + ")");
        } catch (TimeoutException e) {
            throw new AccessException("no answer from Kafka at " + bootstrapServers + " within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AccessException("interrupted while listing Kafka topics");
        }
        return topics.stream().anyMatch(t -> channels.matcher(t).matches());
    }
}
