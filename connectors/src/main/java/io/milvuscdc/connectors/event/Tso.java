package io.milvuscdc.connectors.event;

/** A source's hybrid timestamp: physical milliseconds shifted left by 18 logical bits. */
public final class Tso {

    private static final int LOGICAL_BITS = 18;

    private Tso() {}

    public static long toMillis(long tso) {
        return tso >>> LOGICAL_BITS;
    }

    public static long ofMillis(long millis) {
        return millis << LOGICAL_BITS;
    }
}
