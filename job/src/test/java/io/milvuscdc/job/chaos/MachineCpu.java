package io.milvuscdc.job.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machine's CPU over a phase, from {@code /proc}: how busy all its cores were and how many
 * cores each named process used. On a shared 2-core machine it tells whether a delay comes from
 * the job or from the cores being full (two Milvus servers, Kafka and the job side by side).
 */
final class MachineCpu {

    private final Map<String, Long> pids;
    private final long[] machine0;
    private final Map<String, Long> process0 = new LinkedHashMap<>();
    private final long t0 = System.nanoTime();

    private MachineCpu(Map<String, Long> pids) throws IOException {
        this.pids = pids;
        this.machine0 = machineTicks();
        pids.forEach((name, pid) -> process0.put(name, processTicks(pid)));
    }

    /** Starts measuring; {@code pids} names the processes to account for (0 or a dead pid: left out). */
    static MachineCpu start(Map<String, Long> pids) throws IOException {
        return new MachineCpu(pids);
    }

    /** Share of all cores busy since the start (0..1). */
    double busyShare() throws IOException {
        long[] now = machineTicks();
        long total = now[0] - machine0[0];
        return total <= 0 ? 0 : 1 - (double) (now[1] - machine0[1]) / total;
    }

    /** Cores each process used on average since the start. */
    Map<String, Double> coresByProcess() {
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> cores = new LinkedHashMap<>();
        pids.forEach((name, pid) -> {
            long now = processTicks(pid);
            if (now > 0 && now >= process0.get(name)) {
                cores.put(name, (now - process0.get(name)) / TICKS_PER_SECOND / seconds);
            }
        });
        return cores;
    }

    private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

    /** {total, idle + iowait} ticks of all cores, from the first line of /proc/stat. */
    private static long[] machineTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
    }

    /** User + system ticks of one process, 0 when it is gone. */
    private static long processTicks(long pid) {
        try {
            return ticks(Files.readString(Path.of("/proc/" + pid + "/stat")));
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** User + system ticks from a {@code /proc/.../stat} line (of a process or of one thread). */
    static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
    }
}
