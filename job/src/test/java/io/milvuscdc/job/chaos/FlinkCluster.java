package io.milvuscdc.job.chaos;

import io.milvuscdc.testutils.MilvusStack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Flink standalone session cluster run by {@code scripts/flink_cluster.py}: the same
 * script a developer uses by hand. Jobs go in with the {@code flink} CLI and the shaded jar.
 */
public final class FlinkCluster implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final String restUrl;

    private FlinkCluster(Path dir, String restUrl) {
        this.dir = dir;
        this.restUrl = restUrl;
    }

    /** Starts a cluster with {@code taskManagers} TaskManagers in {@code dir} (emptied first). */
    public static FlinkCluster start(Path dir, int taskManagers) throws IOException, InterruptedException {
        return start(dir, taskManagers, null);
    }

    /** With every logger at {@code logLevel} (e.g. DEBUG), or as shipped when null. */
    public static FlinkCluster start(Path dir, int taskManagers, String logLevel) throws IOException, InterruptedException {
        return start(dir, taskManagers, logLevel, 0);
    }

    /** With {@code slots} slots per TaskManager (as shipped when 0). */
    public static FlinkCluster start(Path dir, int taskManagers, String logLevel, int slots)
            throws IOException, InterruptedException {
        List<String> cli = new ArrayList<>(List.of("up", "--dir", dir.toString(), "--taskmanagers",
                Integer.toString(taskManagers)));
        if (logLevel != null) {
            cli.addAll(List.of("--log-level", logLevel));
        }
        if (slots > 0) {
            cli.addAll(List.of("--slots", Integer.toString(slots)));
        }
        script(cli.toArray(new String[0]));
        JsonNode state = JSON.readTree(dir.resolve("cluster.json").toFile());
        return new FlinkCluster(dir, state.get("restUrl").asText());
    }

    public String restUrl() {
        return restUrl;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Writes {@code dir/cdc.yaml} for the stack's source (Kafka) and target, with {@code extra}
     * lines (selection, intervals) appended; returns its path.
     */
    public static Path cdcYaml(MilvusStack stack, Path dir, String... extra) throws IOException {
        return cdcYaml(stack, MilvusStack.Queue.KAFKA, dir, extra);
    }

    /** The same for the stack's source on {@code queue}. */
    public static Path cdcYaml(MilvusStack stack, MilvusStack.Queue queue, Path dir, String... extra) throws IOException {
        MilvusStack.Milvus source = stack.source(queue);
        List<String> lines = new ArrayList<>(List.of(
                "sourceConfig:",
                "  etcd:",
                "    address: [" + stack.etcdEndpoint() + "]",
                "    rootPath: " + source.etcdRootPath(),
                "    metaSubPath: " + source.metaSubPath(),
                "  replicateChan: " + source.channelPrefix() + "-replicate-msg"));
        if (queue == MilvusStack.Queue.PULSAR) {
            lines.addAll(List.of(
                    "  pulsar:",
                    "    address: " + stack.pulsar().serviceUrl(),
                    "    webAddress: " + stack.pulsar().webUrl(),
                    "    tenant: " + stack.pulsar().tenant(),
                    "    namespace: " + stack.pulsar().namespace()));
        } else {
            lines.addAll(List.of(
                    "  kafka:",
                    "    address: " + stack.kafkaBootstrap()));
        }
        lines.addAll(List.of(
                "  milvus:",
                "    uri: " + source.uri(),
                "targetConfig:",
                "  uri: " + stack.target().uri()));
        lines.addAll(List.of(extra));
        lines.add("");
        Path file = dir.resolve("cdc.yaml");
        Files.writeString(file, String.join("\n", lines));
        return file;
    }

    /** {@code flink run -d jar args...}; returns the job id. */
    public String submit(Path jar, String... args) throws IOException, InterruptedException {
        return submitFrom(null, jar, args);
    }

    /** {@code flink run -d [-s savepoint] jar args...}; returns the job id. */
    public String submitFrom(String savepoint, Path jar, String... args) throws IOException, InterruptedException {
        return submitFrom(savepoint, 0, jar, args);
    }

    /** {@code flink run -d [-s savepoint] [-p parallelism] jar args...} (the shipped default when 0); the job id. */
    public String submitFrom(String savepoint, int parallelism, Path jar, String... args)
            throws IOException, InterruptedException {
        List<String> cli = new ArrayList<>(List.of("flink", "--dir", dir.toString(), "--", "run", "-d"));
        if (savepoint != null) {
            cli.addAll(List.of("-s", savepoint));
        }
        if (parallelism > 0) {
            cli.addAll(List.of("-p", Integer.toString(parallelism)));
        }
        cli.add(jar.toString());
        cli.addAll(List.of(args));
        String out = script(cli.toArray(new String[0]));
        Matcher m = Pattern.compile("JobID ([0-9a-f]{32})").matcher(out);
        if (!m.find()) {
            throw new IOException("flink run gave no job id:\n" + out);
        }
        return m.group(1);
    }

    /** kill -9 of a TaskManager, as a machine failure. */
    public void killTaskManager(int index) throws IOException, InterruptedException {
        script("kill-tm", "--dir", dir.toString(), "--index", Integer.toString(index));
    }

    public void startTaskManager(int index) throws IOException, InterruptedException {
        script("start-tm", "--dir", dir.toString(), "--index", Integer.toString(index));
    }

    public String jobState(String jobId) throws IOException {
        return get("/jobs/" + jobId).get("state").asText();
    }

    /** Whether every task of the job runs (a RUNNING job may still be deploying its tasks). */
    public boolean runningTasks(String jobId) throws IOException {
        for (JsonNode vertex : get("/jobs/" + jobId).get("vertices")) {
            if (!"RUNNING".equals(vertex.get("status").asText())) {
                return false;
            }
        }
        return true;
    }

    /** Each task's name (operators chained into it, as the web UI shows them) and its parallelism. */
    public Map<String, Integer> taskParallelism(String jobId) throws IOException {
        Map<String, Integer> tasks = new java.util.LinkedHashMap<>();
        for (JsonNode vertex : get("/jobs/" + jobId).get("vertices")) {
            tasks.put(vertex.get("name").asText(), vertex.get("parallelism").asInt());
        }
        return tasks;
    }

    /** Completed checkpoints of the job so far. */
    public long completedCheckpoints(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/checkpoints").at("/counts/completed").asLong();
    }

    /** Restarts of the job so far. */
    public long restarts(String jobId) throws IOException {
        JsonNode metric = get("/jobs/" + jobId + "/metrics?get=numRestarts");
        return metric.size() == 0 ? 0 : metric.get(0).get("value").asLong();
    }

    /** The job's last failure with its causes (a report must name the root cause, not its wrapper), or "". */
    public String lastFailure(String jobId) throws IOException {
        JsonNode exceptions = get("/jobs/" + jobId + "/exceptions");
        JsonNode history = exceptions.at("/exceptionHistory/entries");
        if (history.isArray() && history.size() > 0) {
            return history.get(0).path("stacktrace").asText().lines()
                    .filter(l -> !l.startsWith("\tat ") && !l.startsWith("\t..."))
                    .limit(12).collect(java.util.stream.Collectors.joining(" | "));
        }
        return exceptions.path("root-exception").asText("");
    }

    /** Every failure in the job's exception history, newest first: its exception and the first cause lines. */
    public List<String> failures(String jobId) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode entry : get("/jobs/" + jobId + "/exceptions").at("/exceptionHistory/entries")) {
            String causes = entry.path("stacktrace").asText().lines()
                    .filter(l -> !l.startsWith("\tat ") && !l.startsWith("\t..."))
                    .limit(4).collect(java.util.stream.Collectors.joining(" | "));
            out.add(entry.path("taskName").asText("job") + ": " + causes);
        }
        return out;
    }

    public int registeredTaskManagers() throws IOException {
        return get("/overview").get("taskmanagers").asInt();
    }

    /** {@code flink stop --savepointPath dir}: the job stops after a savepoint; returns its path. */
    public String stopWithSavepoint(String jobId, Path savepoints) throws IOException, InterruptedException {
        String out = script("flink", "--dir", dir.toString(), "--", "stop", "--savepointPath", savepoints.toUri().toString(),
                jobId);
        Matcher m = Pattern.compile("Savepoint completed\\. Path: (\\S+)").matcher(out);
        if (!m.find()) {
            throw new IOException("flink stop gave no savepoint path:\n" + out);
        }
        return m.group(1);
    }

    /** Heap in use on the (first) TaskManager, in bytes. */
    public long taskManagerHeapUsed() throws IOException {
        return taskManagerMetric("Status.JVM.Memory.Heap.Used");
    }

    /** The (first) TaskManager's heap limit, in bytes. */
    public long taskManagerHeapMax() throws IOException {
        return taskManagerMetric("Status.JVM.Memory.Heap.Max");
    }

    /** CPU time the TaskManagers' JVMs have used, all together, in nanoseconds. */
    public long taskManagerCpuNanos() throws IOException {
        long sum = 0;
        for (JsonNode manager : get("/taskmanagers").path("taskmanagers")) {
            JsonNode metric = get("/taskmanagers/" + manager.get("id").asText() + "/metrics?get=Status.JVM.CPU.Time");
            sum += metric.size() == 0 ? 0 : metric.get(0).get("value").asLong();
        }
        return sum;
    }

    /** The first TaskManager's process id. */
    public long taskManagerPid() throws IOException {
        return JSON.readTree(dir.resolve("cluster.json").toFile()).path("taskmanagers").path("0").path("pid").asLong();
    }

    /**
     * CPU time (user + system, in clock ticks of 10 ms) of the first TaskManager's threads by kind:
     * {@code gc} (G1's and the parallel collectors' threads), {@code jit} (the compilers), {@code
     * rocksdb} (RocksDB's flush and compaction threads and Flink's upload of its files to a
     * checkpoint: what exactly once's pending rows cost beside the task threads' own reads and
     * writes), {@code other}; read from {@code /proc}, so it includes what a Java profiler does not
     * sample. Threads that ended meanwhile are not counted.
     */
    public Map<String, Long> taskManagerThreadTicks() throws IOException {
        Map<String, Long> ticks = new java.util.TreeMap<>(Map.of("gc", 0L, "jit", 0L, "rocksdb", 0L, "other", 0L));
        Path tasks = Path.of("/proc/" + taskManagerPid() + "/task");
        try (var threads = Files.list(tasks)) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                String stat;
                try {
                    stat = Files.readString(thread.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                long used = MachineCpu.ticks(stat);
                String kind = name.startsWith("GC Thread") || name.startsWith("G1 ") ? "gc"
                        : name.contains("CompilerThre") ? "jit"
                        // The kernel keeps 15 characters of a thread's name.
                        : name.startsWith("rocksdb:") || name.startsWith("Flink-RocksDB") ? "rocksdb" : "other";
                ticks.merge(kind, used, Long::sum);
            }
        }
        return ticks;
    }

    /** The highest resident memory of the first TaskManager's process so far ({@code VmHWM}), in bytes. */
    public long taskManagerPeakRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + taskManagerPid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    /** The job's checkpoint statistics' summary (sizes and durations: min, max, avg, percentiles). */
    public JsonNode checkpointSummary(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/checkpoints").path("summary");
    }

    private long taskManagerMetric(String name) throws IOException {
        JsonNode managers = get("/taskmanagers").get("taskmanagers");
        if (managers == null || managers.size() == 0) {
            return 0;
        }
        JsonNode metric = get("/taskmanagers/" + managers.get(0).get("id").asText() + "/metrics?get=" + name);
        return metric.size() == 0 ? 0 : metric.get(0).get("value").asLong();
    }

    /**
     * Every Prometheus scrape the cluster's processes answer (the shipped reporter, on the port
     * range this cluster's config.yaml gives it), concatenated.
     */
    public String prometheusScrape() throws IOException {
        JsonNode conf = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(dir.resolve("conf/config.yaml").toFile());
        String[] range = conf.path("metrics").path("reporter").path("prom").path("port").asText().split("-");
        StringBuilder out = new StringBuilder();
        for (int port = Integer.parseInt(range[0]); port <= Integer.parseInt(range[range.length - 1]); port++) {
            try {
                HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/metrics").openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(5000);
                try (InputStream in = c.getInputStream()) {
                    out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } finally {
                    c.disconnect();
                }
            } catch (IOException nothingOnThisPort) {
                // the range is wider than the processes
            }
        }
        return out.toString();
    }

    /**
     * The job's metrics whose names contain {@code part}, through the REST API as the web UI reads
     * them: vertex name, metric name and value, one per line.
     */
    public List<String> jobMetrics(String jobId, String part) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            String base = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/metrics";
            List<String> names = new ArrayList<>();
            for (JsonNode m : get(base)) {
                if (m.path("id").asText().contains(part)) {
                    names.add(m.path("id").asText());
                }
            }
            if (!names.isEmpty()) {
                List<String> encoded = names.stream()
                        .map(n -> java.net.URLEncoder.encode(n, StandardCharsets.UTF_8)).toList();
                for (JsonNode m : get(base + "?get=" + String.join(",", encoded))) {
                    out.add(vertex.path("name").asText() + " " + m.path("id").asText() + " = " + m.path("value").asText());
                }
            }
        }
        return out;
    }

    /**
     * Cancels the job as the web UI's button does ({@code PATCH /jobs/:id}), and waits until it is
     * cancelled: as {@code flink cancel}, without starting a client JVM (seconds, on 2 cores).
     */
    public void cancel(String jobId) throws IOException, InterruptedException {
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(restUrl + "/jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", java.net.http.HttpRequest.BodyPublishers.noBody())
                        .timeout(java.time.Duration.ofSeconds(10)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IOException("cancel of " + jobId + ": HTTP " + response.statusCode() + " " + response.body());
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!List.of("CANCELED", "FAILED", "FINISHED").contains(jobState(jobId))) {
            if (System.nanoTime() > deadline) {
                throw new IOException("job " + jobId + " not cancelled after 2 minutes: " + jobState(jobId));
            }
            Thread.sleep(50);
        }
    }

    /** The body of a REST GET, as text (for scanning). */
    public String restText(String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(restUrl + path).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        try (InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** {@code flink args...}: everything the client printed. */
    public String cli(String... args) throws IOException, InterruptedException {
        List<String> cli = new ArrayList<>(List.of("flink", "--dir", dir.toString(), "--"));
        cli.addAll(List.of(args));
        return script(cli.toArray(new String[0]));
    }

    /** {@code flink run -d jar args...} that is expected to fail: returns everything the client printed. */
    public String submitExpectingFailure(Path jar, String... args) throws IOException, InterruptedException {
        List<String> cli = new ArrayList<>(List.of("flink", "--dir", dir.toString(), "--", "run", "-d", jar.toString()));
        cli.addAll(List.of(args));
        try {
            String out = script(cli.toArray(new String[0]));
            throw new IllegalStateException("flink run succeeded:\n" + out);
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private JsonNode get(String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(restUrl + path).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        try (InputStream in = c.getInputStream()) {
            return JSON.readTree(in);
        } finally {
            c.disconnect();
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        // A test's cluster holds nothing to keep: 2 s to exit (with a job running, a TaskManager takes 5-7).
        script("down", "--dir", dir.toString(), "--grace", "2");
    }

    /** Runs {@code scripts/flink_cluster.py} with {@code args}; its output, or an exception with it. */
    static String script(String... args) throws IOException, InterruptedException {
        Path root = MilvusStack.projectRoot();
        List<String> cmd = new ArrayList<>(List.of("python3", root.resolve("scripts/flink_cluster.py").toString()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("flink-cluster", ".log");
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("flink_cluster.py " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        if (p.exitValue() != 0) {
            throw new IOException("flink_cluster.py " + String.join(" ", args) + " failed (" + p.exitValue() + "):\n"
                    + out.substring(Math.max(0, out.length() - 20_000)));
        }
        return out;
    }
}
