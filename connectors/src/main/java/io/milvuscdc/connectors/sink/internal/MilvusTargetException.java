package io.milvuscdc.connectors.sink.internal;

/** The target did not apply an operation; {@link #kind()} says what the job does about it. */
public final class MilvusTargetException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What a failed target call means for the operation. */
    public enum Kind {
        /** Unavailable, rate limited, over quota, not ready, timed out: the same call may pass later. */
        TRANSIENT,
        /** The target cannot take this job's writes at all (replicate mode, credentials): stop, with the fix. */
        TARGET_CANNOT_WRITE,
        /** This operation is refused for good (schema, data): per the refusal policy. */
        REFUSED,
        /** The request is over the target's message size limit: sent again in smaller parts, never as is. */
        TOO_LARGE
    }

    private final Kind kind;

    public MilvusTargetException(String message, Kind kind, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public boolean retriable() {
        return kind == Kind.TRANSIENT;
    }

    /**
     * The TLS failure behind this exception, or null: a certificate the client does not trust, a
     * server name the certificate does not carry, a client certificate the server refuses, or an
     * {@code https://} URI for a target that does not speak TLS.
     */
    public String tlsFailure() {
        return tlsFailure(getCause());
    }

    static String tlsFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException || t.getClass().getSimpleName().equals("NotSslRecordException")) {
                return t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        return null;
    }
}
