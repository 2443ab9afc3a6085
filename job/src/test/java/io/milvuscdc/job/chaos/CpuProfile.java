package io.milvuscdc.job.chaos;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A Java Flight Recorder CPU profile of a running JVM (the TaskManager), taken with {@code jcmd}
 * and summarized: the share of CPU samples per thread, per method on top of the stack (self) and
 * per method anywhere in the stack (total).
 */
final class CpuProfile {

    private final long pid;
    private final Path file;

    private CpuProfile(long pid, Path file) {
        this.pid = pid;
        this.file = file;
    }

    static CpuProfile start(long pid, Path file) throws IOException, InterruptedException {
        Files.deleteIfExists(file);
        jcmd(pid, "JFR.start", "name=benchmark", "settings=profile", "filename=" + file.toAbsolutePath());
        return new CpuProfile(pid, file);
    }

    /** Stops the recording and writes the summary beside it ({@code .txt}); returns the summary. */
    String stop(int top) throws IOException, InterruptedException {
        jcmd(pid, "JFR.stop", "name=benchmark");
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> total = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            samples++;
            String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
            threads.merge(thread == null ? "?" : thread.replaceAll("\\d+", "#"), 1, Integer::sum);
            RecordedStackTrace stack = e.getStackTrace();
            List<RecordedFrame> frames = stack.getFrames();
            if (!frames.isEmpty()) {
                self.merge(method(frames.get(0)), 1, Integer::sum);
            }
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                if (seen.add(method(f))) {
                    total.merge(method(f), 1, Integer::sum);
                }
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(samples).append(" CPU samples\n\n== threads\n");
        append(out, threads, samples, top);
        out.append("\n== self (method on top of the stack)\n");
        append(out, self, samples, top);
        out.append("\n== total (method anywhere in the stack)\n");
        append(out, total, samples, top * 3);
        Files.writeString(Path.of(file + ".txt"), out);
        return out.toString();
    }

    private static String method(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static void append(StringBuilder out, Map<String, Integer> counts, int samples, int top) {
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort((a, b) -> b.getValue() - a.getValue());
        for (Map.Entry<String, Integer> e : sorted.subList(0, Math.min(top, sorted.size()))) {
            out.append(String.format(Locale.ROOT, "%5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, samples), e.getKey()));
        }
    }

    private static void jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        args.addAll(List.of(command));
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + String.join(" ", command) + " failed: " + output);
        }
    }
}
