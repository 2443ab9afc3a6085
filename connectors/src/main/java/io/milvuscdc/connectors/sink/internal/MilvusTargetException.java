package io.milvuscdc.connectors.sink.internal;

/** The target refused an operation; {@link #retriable()} says whether trying again may help. */
public final class MilvusTargetException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean retriable;

    public MilvusTargetException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    public boolean retriable() {
        return retriable;
    }
}
