package io.milvuscdc.job.verify;

/** The target differs from the source: {@code flink run … verify} ends with it, and a non-zero exit code. */
public final class VerificationFailedException extends Exception {

    private static final long serialVersionUID = 1L;

    public VerificationFailedException(String message) {
        super(message);
    }
}
