package io.milvuscdc.connectors.sink.internal;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.slf4j.Logger;

import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * Warns when the TaskManager runs G1 with regions too small for Milvus's messages. A message or a
 * column of a few MB is a humongous object for regions under twice its size, and each humongous
 * allocation may start a concurrent marking cycle: with 1 MB regions (G1's choice for a 2 GB
 * TaskManager) half of the job's CPU went to them (benchmark, README).
 */
public final class HeapRegionCheck {

    /** Objects under half a region are ordinary; Milvus messages and columns reach a few MB. */
    static final long ADVISED_REGION_BYTES = 16L << 20;

    private static final java.util.concurrent.atomic.AtomicBoolean CHECKED = new java.util.concurrent.atomic.AtomicBoolean();

    private HeapRegionCheck() {}

    /** The advice, or empty when G1 is not in use or its regions are large enough. */
    static Optional<String> advice(boolean g1, long regionBytes) {
        if (!g1 || regionBytes >= ADVISED_REGION_BYTES) {
            return Optional.empty();
        }
        return Optional.of("The TaskManager's G1 heap regions are " + (regionBytes >> 20) + " MB: Milvus messages"
                + " of a few MB are humongous objects for them and cost much CPU in garbage collection. Set"
                + " env.java.opts.taskmanager: -XX:G1HeapRegionSize=16m in the Flink configuration"
                + " (flink-conf/config.yaml of this project does).");
    }

    /** Once per JVM (every subtask of the sink opens in the same TaskManager). */
    public static void warnIfSmall(Logger log) {
        if (!CHECKED.compareAndSet(false, true)) {
            return;
        }
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            boolean g1 = Boolean.parseBoolean(hotspot.getVMOption("UseG1GC").getValue());
            long region = Long.parseLong(hotspot.getVMOption("G1HeapRegionSize").getValue());
            advice(g1, region).ifPresent(log::warn);
        } catch (RuntimeException e) {
            // Not a HotSpot JVM: nothing to advise.
        }
    }
}
