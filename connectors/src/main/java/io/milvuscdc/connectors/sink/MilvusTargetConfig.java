package io.milvuscdc.connectors.sink;

import io.milvuscdc.connectors.tls.TlsSettings;

import java.io.Serializable;
import java.net.URI;
import java.time.Duration;

import static org.apache.flink.util.Preconditions.checkArgument;

/** How to reach the target Milvus. The token is kept out of {@link #toString()}. */
public final class MilvusTargetConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String uri;
    private final String token;
    private final Duration retryTimeout;
    private final Duration requestTimeout;
    private final TlsSettings tlsSettings;

    public MilvusTargetConfig(String uri, String token, Duration retryTimeout) {
        this(uri, token, retryTimeout, DEFAULT_REQUEST_TIMEOUT);
    }

    public MilvusTargetConfig(String uri, String token, Duration retryTimeout, Duration requestTimeout) {
        this(uri, token, retryTimeout, requestTimeout, null);
    }

    private MilvusTargetConfig(String uri, String token, Duration retryTimeout, Duration requestTimeout,
                               TlsSettings tlsSettings) {
        checkArgument(uri != null && !uri.isEmpty(), "the target Milvus uri is required");
        this.uri = uri;
        this.token = token;
        this.retryTimeout = retryTimeout;
        this.requestTimeout = requestTimeout;
        this.tlsSettings = tlsSettings;
    }

    /** The same target reached over TLS ({@code https://} URI) with these certificates and server name. */
    public MilvusTargetConfig withTls(TlsSettings tls) {
        return new MilvusTargetConfig(uri, token, retryTimeout, requestTimeout, tls);
    }

    /** Certificates and server name for an {@code https://} target; null: the JVM's trust store, the URI's host. */
    public TlsSettings tlsSettings() {
        return tlsSettings;
    }

    /** Deadline of one call to the target. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public String uri() {
        return uri;
    }

    public String host() {
        return URI.create(uri).getHost();
    }

    public int port() {
        int port = URI.create(uri).getPort();
        return port > 0 ? port : 19530;
    }

    public boolean tls() {
        return uri.startsWith("https://");
    }

    /** {@code user:password} or an API key; null without authentication. */
    public String token() {
        return token;
    }

    /** How long an operation is retried against an unavailable target before the job fails over. */
    public Duration retryTimeout() {
        return retryTimeout;
    }

    @Override
    public String toString() {
        return "MilvusTargetConfig{uri=" + uri + (token == null ? "" : ", token=***") + ", retryTimeout=" + retryTimeout
                + ", requestTimeout=" + requestTimeout + (tlsSettings == null ? "" : ", " + tlsSettings) + '}';
    }
}
