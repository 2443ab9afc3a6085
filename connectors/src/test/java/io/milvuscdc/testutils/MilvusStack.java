package io.milvuscdc.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The running test stack, as {@code scripts/stack.py up} describes it in {@code stack.json}. */
public final class MilvusStack {

    /** The message queue a source Milvus of the stack writes to. */
    public enum Queue { KAFKA, PULSAR }

    private static final String[] SERVERS = {"etcd", "kafka", "pulsar", "pulsarAuth", "sourceMilvus",
        "pulsarSourceMilvus", "targetMilvus"};

    private final JsonNode json;

    private MilvusStack(JsonNode json) {
        this.json = json;
    }

    public static MilvusStack read(Path stackJson) throws IOException {
        return new MilvusStack(new ObjectMapper().readTree(stackJson.toFile()));
    }

    public String etcdEndpoint() {
        return json.at("/etcd/endpoint").asText();
    }

    /** etcd's https port, which requires a client certificate signed by {@link #tlsFile tlsFile("ca")}. */
    public String etcdTlsEndpoint() {
        return json.at("/etcd/tlsEndpoint").asText();
    }

    /**
     * A file of the stack's throw-away PKI: {@code ca}, {@code clientCert}, {@code clientKey} (PKCS#8);
     * the TLS target's certificate names only {@code milvus-cdc-test}.
     */
    public Path tlsFile(String key) {
        return Path.of(json.at("/tls/" + key).asText());
    }

    /** Starts (once) a fourth Milvus, target-like, that takes only two-way TLS; stop it with stopServer. */
    public Milvus startTlsTarget() throws IOException {
        stackScript("start-tls-target");
        return new Milvus(new ObjectMapper().readTree(Path.of(json.get("dir").asText(), "stack.json").toFile())
                .get("tlsTargetMilvus"));
    }

    public String kafkaBootstrap() {
        return json.at("/kafka/bootstrap").asText();
    }

    /** The open Pulsar broker, the one the Pulsar source Milvus writes to. */
    public Pulsar pulsar() {
        return new Pulsar(json.get("pulsar"));
    }

    /** A second Pulsar broker that refuses every client without a valid token (no Milvus on it). */
    public Pulsar pulsarWithToken() {
        return new Pulsar(json.get("pulsarAuth"));
    }

    /** The source Milvus on Kafka. */
    public Milvus source() {
        return new Milvus(json.get("sourceMilvus"));
    }

    /** The source Milvus that writes to {@code queue}. */
    public Milvus source(Queue queue) {
        return new Milvus(json.get(sourceServer(queue)));
    }

    /** The server name ({@link #pid}, {@link #stopServer}) of the source Milvus that writes to {@code queue}. */
    public static String sourceServer(Queue queue) {
        return queue == Queue.PULSAR ? "pulsarSourceMilvus" : "sourceMilvus";
    }

    public Milvus target() {
        return new Milvus(json.get("targetMilvus"));
    }

    /** The process id of one server of the stack (a key of stack.json, e.g. targetMilvus) when it was last started. */
    public long pid(String key) {
        return json.at("/" + key + "/pid").asLong();
    }

    /** Stops one server of the stack (a key of stack.json, e.g. targetMilvus) as a fault; its data and ports stay. */
    public void stopServer(String key, boolean kill) throws IOException {
        if (kill) {
            stackScript("stop-server", "--server", key, "--kill");
        } else {
            stackScript("stop-server", "--server", key);
        }
    }

    /** Starts a stopped server of the stack again, with its ports, configuration and data. */
    public void startServer(String key) throws IOException {
        stackScript("start-server", "--server", key);
    }

    /** {@code kill -9} of these servers, then all started again at once; returns when each answers. */
    public void restartServers(java.util.List<String> keys) throws IOException {
        stackScript("restart-servers", "--server", String.join(",", keys));
    }

    /**
     * Starts again every server that exited (a Milvus may exit when its etcd or broker goes away),
     * as a supervisor would; returns the output naming them.
     */
    public String heal() throws IOException {
        return stackScript("heal");
    }

    private String stackScript(String... args) throws IOException {
        Path root = projectRoot();
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("python3",
                root.resolve("scripts/stack.py").toString()));
        cmd.addAll(java.util.List.of(args));
        cmd.addAll(java.util.List.of("--dir", json.get("dir").asText()));
        Path log = Files.createTempFile("stack-" + args[0], ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("scripts/stack.py " + String.join(" ", args) + " failed:\n" + Files.readString(log));
            }
            return Files.readString(log).strip();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted: scripts/stack.py " + String.join(" ", args), e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Finds the repository root (where {@code scripts/stack.py} is) from the working directory. */
    public static Path projectRoot() {
        File dir = new File("").getAbsoluteFile();
        while (dir != null) {
            if (new File(dir, "scripts/stack.py").isFile()) {
                return dir.toPath();
            }
            dir = dir.getParentFile();
        }
        throw new IllegalStateException("scripts/stack.py not found above " + new File("").getAbsolutePath());
    }

    static boolean isRunning(Path stackJson) {
        if (!Files.isRegularFile(stackJson)) {
            return false;
        }
        try {
            JsonNode json = new ObjectMapper().readTree(stackJson.toFile());
            if (json.at("/etcd/tlsEndpoint").isMissingNode()) {
                return false; // started by an earlier stack.py, without the TLS listener
            }
            for (String server : SERVERS) {
                long pid = json.at("/" + server + "/pid").asLong();
                if (pid <= 0 || ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** One Pulsar standalone of the stack. */
    public static final class Pulsar {
        private final JsonNode json;

        Pulsar(JsonNode json) {
            this.json = json;
        }

        public String serviceUrl() {
            return json.get("serviceUrl").asText();
        }

        public String webUrl() {
            return json.get("webUrl").asText();
        }

        public String tenant() {
            return json.get("tenant").asText();
        }

        public String namespace() {
            return json.get("namespace").asText();
        }

        /** The token the broker accepts; null for the open broker. */
        public String token() {
            return json.hasNonNull("token") ? json.get("token").asText() : null;
        }

        public double readySeconds() {
            return json.get("readySeconds").asDouble();
        }
    }

    /** One Milvus of the stack. */
    public static final class Milvus {
        private final JsonNode json;

        Milvus(JsonNode json) {
            this.json = json;
        }

        public String uri() {
            return json.get("uri").asText();
        }

        public String host() {
            return json.get("host").asText();
        }

        public int port() {
            return json.get("port").asInt();
        }

        public String etcdRootPath() {
            return json.get("rootPath").asText();
        }

        public String metaSubPath() {
            return json.get("metaSubPath").asText();
        }

        public String channelPrefix() {
            return json.get("channelPrefix").asText();
        }
    }
}
