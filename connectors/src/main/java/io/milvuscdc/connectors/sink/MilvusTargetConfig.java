package io.milvuscdc.connectors.sink;

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

    public MilvusTargetConfig(String uri, String token, Duration retryTimeout) {
        checkArgument(uri != null && !uri.isEmpty(), "the target Milvus uri is required");
        this.uri = uri;
        this.token = token;
        this.retryTimeout = retryTimeout;
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
        return "MilvusTargetConfig{uri=" + uri + (token == null ? "" : ", token=***") + ", retryTimeout=" + retryTimeout + '}';
    }
}
