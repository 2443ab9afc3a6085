package io.milvuscdc.connectors.mq.pulsar;

import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Connects to the source's Pulsar once, with the job's credentials, before the job is built: a
 * refused token or an unreachable broker then stops {@code flink run} with a message that says
 * which, instead of a job that restarts forever on an exception deep in a split reader.
 */
public final class PulsarAccessCheck {

    /** What went wrong; the message never carries the credentials. */
    public static final class AccessException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean authentication;

        AccessException(String message, boolean authentication) {
            super(message);
            this.authentication = authentication;
        }

        /** True when the broker refused the credentials, false when it could not be reached. */
        public boolean isAuthentication() {
            return authentication;
        }
    }

    private PulsarAccessCheck() {}

    /** Looks up {@code topic} as the job's readers will; throws {@link AccessException} if that fails. */
    public static void check(String serviceUrl, String authPlugin, String authParams, String tlsTrustCertsFilePath,
                             String topic, Duration timeout) {
        try (PulsarClient client = connect(serviceUrl, authPlugin, authParams, tlsTrustCertsFilePath, timeout)) {
            client.getPartitionsForTopic(topic).get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw classify(e.getCause() != null ? e.getCause() : e, serviceUrl, authParams);
        } catch (PulsarClientException e) {
            throw classify(e, serviceUrl, authParams);
        } catch (TimeoutException e) {
            throw new AccessException("no answer from the Pulsar broker at " + serviceUrl + " within " + timeout, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AccessException("interrupted while connecting to " + serviceUrl, false);
        }
    }

    /** A client with the job's credentials and trust, its operations bounded by {@code timeout}. */
    public static PulsarClient connect(String serviceUrl, String authPlugin, String authParams,
                                       String tlsTrustCertsFilePath, Duration timeout) throws PulsarClientException {
        var builder = PulsarClient.builder()
                .serviceUrl(serviceUrl)
                .operationTimeout((int) timeout.toMillis(), TimeUnit.MILLISECONDS)
                .connectionTimeout((int) timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (tlsTrustCertsFilePath != null) {
            builder.tlsTrustCertsFilePath(tlsTrustCertsFilePath);
        }
        if (authPlugin != null && !authPlugin.isEmpty()) {
            builder.authentication(authPlugin, authParams == null ? "" : authParams);
        }
        return builder.build();
    }

    private static AccessException classify(Throwable e, String serviceUrl, String authParams) {
        String reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + scrub(e.getMessage(), authParams));
        if (e instanceof PulsarClientException.AuthenticationException
                || e instanceof PulsarClientException.UnsupportedAuthenticationException
                || e instanceof PulsarClientException.AuthorizationException) {
            return new AccessException("the Pulsar broker at " + serviceUrl + " refused the credentials ("
                    + reason + ")", true);
        }
        return new AccessException("cannot reach the Pulsar broker at " + serviceUrl + " (" + reason + ")", false);
    }

    /** Broker reasons name no secret, but a client-side one may echo the parameters: cut them out. */
    private static String scrub(String message, String authParams) {
        if (authParams == null || authParams.isEmpty()) {
            return message;
        }
        String out = message.replace(authParams, "***");
        int colon = authParams.indexOf(':');
        return colon >= 0 && colon + 1 < authParams.length() ? out.replace(authParams.substring(colon + 1), "***") : out;
    }
}
