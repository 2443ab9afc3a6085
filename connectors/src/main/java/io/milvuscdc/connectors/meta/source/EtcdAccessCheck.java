package io.milvuscdc.connectors.meta.source;

import io.milvuscdc.connectors.tls.TlsHandshake;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads the source's etcd once, with the job's credentials, before the job is built: an
 * unreachable etcd, refused credentials, or a root path under which no Milvus ever wrote (the job
 * would replicate nothing, silently) stop {@code flink run} with a message saying which.
 */
public final class EtcdAccessCheck {

    /** Which setting is wrong. */
    public enum Problem { UNREACHABLE, CREDENTIALS, NO_MILVUS, TLS }

    /** What went wrong; the message never carries the password. */
    public static final class AccessException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final Problem problem;
        private final TlsHandshake.Problem tlsProblem;

        AccessException(String message, Problem problem) {
            this(message, problem, null);
        }

        AccessException(String message, Problem problem, TlsHandshake.Problem tlsProblem) {
            super(message);
            this.problem = problem;
            this.tlsProblem = tlsProblem;
        }

        public Problem problem() {
            return problem;
        }

        /** With {@link Problem#TLS}: which TLS setting. */
        public TlsHandshake.Problem tlsProblem() {
            return tlsProblem;
        }
    }

    private EtcdAccessCheck() {}

    public static void check(MetaSourceConfig config, Duration timeout) {
        long count;
        try (Client client = config.newClient()) {
            count = client.getKVClient().get(ByteSequence.from(config.metaPrefix(), StandardCharsets.UTF_8),
                            GetOption.builder().isPrefix(true).withCountOnly(true).build())
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).getCount();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String reason = cause.getClass().getSimpleName() + ": " + scrub(String.valueOf(cause.getMessage()), config.password());
            String lower = reason.toLowerCase(Locale.ROOT);
            if (lower.contains("auth") || lower.contains("permission denied") || lower.contains("user name")) {
                throw new AccessException("etcd at " + config.endpoints() + " refused the credentials (" + reason + ")",
                        Problem.CREDENTIALS);
            }
            checkTls(config, timeout);
            throw new AccessException("cannot read etcd at " + config.endpoints() + " (" + reason + ")", Problem.UNREACHABLE);
        } catch (TimeoutException e) {
            checkTls(config, timeout);
            throw new AccessException("no answer from etcd at " + config.endpoints() + " within " + timeout, Problem.UNREACHABLE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AccessException("interrupted while reading etcd", Problem.UNREACHABLE);
        }
        if (count == 0) {
            throw new AccessException("etcd at " + config.endpoints() + " holds no key under " + config.metaPrefix()
                    + ": no Milvus uses this root path", Problem.NO_MILVUS);
        }
    }

    /** The client retries a failed handshake until the timeout: one handshake of our own says why it failed. */
    private static void checkTls(MetaSourceConfig config, Duration timeout) {
        if (config.tls() == null) {
            return;
        }
        java.net.URI endpoint = java.net.URI.create(config.endpoints().get(0));
        TlsHandshake.Failure failure = TlsHandshake.failure(endpoint.getHost(), endpoint.getPort() > 0 ? endpoint.getPort() : 2379,
                config.tls(), Duration.ofMillis(Math.min(timeout.toMillis(), 5000)));
        if (failure != null && failure.problem() != TlsHandshake.Problem.OTHER) {
            throw new AccessException("TLS with etcd at " + endpoint + " failed: " + failure.reason(), Problem.TLS,
                    failure.problem());
        }
    }

    private static String scrub(String message, String password) {
        return password == null || password.isEmpty() ? message : message.replace(password, "***");
    }
}
