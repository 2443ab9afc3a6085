package io.milvuscdc.job.deploy;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.testutils.MilvusStack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The deployment files (docker/, deploy/kubernetes/) checked as far as a machine without a Docker
 * engine or a Kubernetes cluster can: they parse, every file they copy or mount exists (or is
 * what the build makes), their image and Flink version match the pinned one, their entry point is
 * the jar's main class with the README's arguments, and the cdc.yaml they carry is accepted by the
 * job's own configuration loader.
 */
class DeploymentFilesTest {

    private static final Path ROOT = MilvusStack.projectRoot();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theDockerfileBuildsOnThePinnedFlinkFromFilesThatExist() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("docker/Dockerfile"));
        String from = lines.stream().filter(l -> l.startsWith("FROM ")).findFirst().orElseThrow();
        assertEquals("FROM flink:" + flinkMinor() + "-java17", from.trim());
        for (String line : lines) {
            if (line.startsWith("COPY ")) {
                String source = line.split("\\s+")[1];
                if (source.equals("job/target/" + shadedJarName())) {
                    continue; // made by mvn package
                }
                assertTrue(Files.isRegularFile(ROOT.resolve(source)), "docker/Dockerfile copies " + source + ", which is missing");
            }
        }
        assertTrue(lines.contains("COPY job/target/" + shadedJarName() + " /opt/flink/usrlib/" + shadedJarName()),
                "the image holds the shaded jar where the entry points expect it");
    }

    @Test
    void theComposeFileRunsTheJobWithAConfigTheLoaderAccepts() throws IOException {
        JsonNode compose = YAML.readTree(ROOT.resolve("docker/compose.yaml").toFile());
        Path dir = ROOT.resolve("docker");
        for (String service : List.of("jobmanager", "taskmanager")) {
            JsonNode s = compose.path("services").path(service);
            assertTrue(s.isObject(), "service " + service);
            Path context = dir.resolve(s.path("build").path("context").asText()).normalize();
            assertEquals(ROOT.normalize(), context, service + " builds from the repository's root");
            assertTrue(Files.isRegularFile(context.resolve(s.path("build").path("dockerfile").asText())), service + " dockerfile");
            for (JsonNode volume : s.path("volumes")) {
                String host = volume.asText().split(":")[0];
                if (host.startsWith(".") || host.startsWith("/")) {
                    assertTrue(Files.exists(dir.resolve(host)), service + " mounts " + host + ", which is missing");
                } else {
                    assertTrue(compose.path("volumes").has(host), service + " mounts volume " + host + ", not declared");
                }
            }
        }
        JsonNode jobmanager = compose.path("services").path("jobmanager");
        List<String> command = Arrays.asList(jobmanager.path("command").asText().trim().split("\\s+"));
        assertEquals(List.of("standalone-job", "--job-classname", mainClass()), command.subList(0, 3));
        List<String> args = command.subList(3, command.size());
        JsonNode mounted = jobmanager.path("configs").get(0);
        assertEquals(List.of("--config", mounted.path("target").asText()), args);
        assertReadmeRunsWith(args);

        String content = compose.path("configs").path(mounted.path("source").asText()).path("content").asText();
        Map<String, String> env = envFile(dir.resolve(".env.example"));
        CdcConfig config = CdcConfig.parse(interpolate(content, env));
        assertEquals(List.of("http://" + env.get("SOURCE_ETCD_ADDRESS")), config.etcdEndpoints);
        assertEquals(env.get("SOURCE_KAFKA_ADDRESS"), config.kafkaAddress);
        assertEquals(env.get("TARGET_MILVUS_URI"), config.targetUri);
        assertEquals(env.get("SOURCE_MILVUS_URI"), config.sourceMilvusUri);
        assertEquals(env.get("SOURCE_CHANNEL_PREFIX"), config.channelPrefix);
    }

    @Test
    void theKubernetesDeploymentRunsTheImagesJarWithAConfigTheLoaderAccepts() throws IOException {
        Map<String, JsonNode> byKind = new LinkedHashMap<>();
        try (var parser = YAML.getFactory().createParser(ROOT.resolve("deploy/kubernetes/milvus-cdc.yaml").toFile())) {
            var docs = YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                byKind.put(doc.path("kind").asText(), doc);
            }
        }
        JsonNode deployment = byKind.get("FlinkDeployment");
        assertNotNull(deployment, "a FlinkDeployment");
        assertEquals("flink.apache.org/v1beta1", deployment.path("apiVersion").asText());
        JsonNode spec = deployment.path("spec");
        assertEquals("v" + flinkMinor().replace('.', '_'), spec.path("flinkVersion").asText());
        JsonNode job = spec.path("job");
        assertEquals("local:///opt/flink/usrlib/" + shadedJarName(), job.path("jarURI").asText(), "the jar the image holds");
        assertEquals(mainClass(), job.path("entryClass").asText());
        assertEquals("savepoint", job.path("upgradeMode").asText());
        List<String> args = new ArrayList<>();
        job.path("args").forEach(a -> args.add(a.asText()));
        assertEquals("--config", args.get(0));
        assertReadmeRunsWith(args);

        JsonNode conf = spec.path("flinkConfiguration");
        assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                conf.path("metrics.reporter.prom.factory.class").asText());
        assertEquals(shippedTaskManagerJavaOpts(), conf.path("env.java.opts.taskmanager").asText(),
                "the TaskManager's JVM options of flink-conf/config.yaml");
        assertTrue(conf.path("execution.checkpointing.dir").asText().startsWith("file:///var/lib/milvus-cdc/"),
                "checkpoints on the state volume");
        assertTrue(conf.path("execution.checkpointing.savepoint-dir").asText().startsWith("file:///var/lib/milvus-cdc/"),
                "savepoints on the state volume");

        // The config file the job reads is a key of the ConfigMap mounted at its directory.
        Path configPath = Path.of(args.get(1));
        JsonNode pod = spec.path("podTemplate").path("spec");
        String volumeName = null;
        for (JsonNode mount : pod.path("containers").get(0).path("volumeMounts")) {
            if (Path.of(mount.path("mountPath").asText()).equals(configPath.getParent())) {
                volumeName = mount.path("name").asText();
            }
        }
        assertNotNull(volumeName, "a volume mounted at " + configPath.getParent());
        String configMap = null;
        for (JsonNode volume : pod.path("volumes")) {
            if (volume.path("name").asText().equals(volumeName)) {
                configMap = volume.path("configMap").path("name").asText();
            }
        }
        JsonNode map = byKind.get("ConfigMap");
        assertEquals(configMap, map.path("metadata").path("name").asText());
        String cdcYaml = map.path("data").path(configPath.getFileName().toString()).asText();
        CdcConfig config = CdcConfig.parse(cdcYaml);
        assertNotNull(config.targetUri);
        for (JsonNode volume : pod.path("volumes")) {
            JsonNode claim = volume.path("persistentVolumeClaim");
            if (!claim.isMissingNode()) {
                JsonNode pvc = byKind.get("PersistentVolumeClaim");
                assertEquals(claim.path("claimName").asText(), pvc.path("metadata").path("name").asText());
            }
        }
    }

    /** The Grafana dashboard queries the per-collection metrics by the names the sink registers, and each of them. */
    @Test
    void theDashboardQueriesTheMetricsTheJobRegisters() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(ROOT.resolve("deploy/grafana/milvus-cdc-dashboard.json").toFile());
        Pattern perCollection = Pattern.compile("flink_taskmanager_job_task_operator_database_collection_(\\w+)");
        Pattern flinkJob = Pattern.compile("flink_jobmanager_job_(\\w+)");
        // The Kafka source puts its deserializer's metrics in a group "deserializer"; Pulsar does not.
        Pattern reader = Pattern.compile("flink_taskmanager_job_task_operator_\\(deserializer_\\)\\?milvus_(\\w+)");
        java.util.Set<String> perCollectionNames = new java.util.TreeSet<>(io.milvuscdc.connectors.sink.internal.CollectionMetrics.NAMES);
        perCollectionNames.add("operationsBuffered"); // the sequencer's
        java.util.Set<String> queried = new java.util.TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                Matcher m = perCollection.matcher(expr);
                while (m.find()) {
                    assertTrue(perCollectionNames.contains(m.group(1)),
                            "panel '" + panel.path("title").asText() + "' queries " + m.group(1) + ", which the job does not register");
                    queried.add(m.group(1));
                }
                Matcher r = reader.matcher(expr);
                while (r.find()) {
                    assertTrue(List.of(io.milvuscdc.connectors.mq.SourceLagMetrics.EMIT_LAG,
                                    "channel_" + io.milvuscdc.connectors.mq.SourceLagMetrics.TICK_LAG,
                                    "channel_" + io.milvuscdc.connectors.mq.SourceLagMetrics.LAST_TICK).contains(r.group(1)),
                            "a source reader metric the job registers: " + r.group(1));
                }
                Matcher j = flinkJob.matcher(expr);
                while (j.find()) {
                    assertTrue(List.of("numRestarts", "numberOfFailedCheckpoints", "lastCheckpointDuration").contains(j.group(1)),
                            "a job metric of Flink's: " + j.group(1));
                }
            }
        }
        assertEquals(perCollectionNames, queried,
                "every per-collection metric on the dashboard");
    }

    /** The README's run command passes the same arguments to the same jar. */
    private static void assertReadmeRunsWith(List<String> args) throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertTrue(readme.contains("flink run " + shadedJarName() + " " + args.get(0) + " cdc.yaml"),
                "README shows flink run " + shadedJarName() + " " + args.get(0) + " cdc.yaml");
    }

    private static String shippedTaskManagerJavaOpts() throws IOException {
        String opts = YAML.readTree(ROOT.resolve("flink-conf/config.yaml").toFile())
                .path("env").path("java").path("opts").path("taskmanager").asText();
        assertTrue(opts.contains("G1HeapRegionSize"), "flink-conf/config.yaml sets the TaskManager's G1 region size");
        return opts;
    }

    private static String pom(String regex) throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml")) + Files.readString(ROOT.resolve("job/pom.xml"));
        Matcher m = Pattern.compile(regex).matcher(pom);
        if (!m.find()) {
            fail("no " + regex + " in the poms");
        }
        return m.group(1);
    }

    private static String flinkMinor() throws IOException {
        String version = pom("<flink.version>([^<]+)</flink.version>");
        return version.substring(0, version.lastIndexOf('.'));
    }

    private static String mainClass() throws IOException {
        return pom("<mainClass>([^<]+)</mainClass>");
    }

    private static String shadedJarName() throws IOException {
        return pom("<finalName>([^<]+)</finalName>") + ".jar";
    }

    private static Map<String, String> envFile(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                env.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        return env;
    }

    /** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}; every variable must be in the env file. */
    private static String interpolate(String text, Map<String, String> env) {
        Matcher m = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::([-?])([^}]*))?}").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            assertTrue(env.containsKey(name), "docker/.env.example lists " + name);
            String value = env.get(name);
            if (value.isEmpty() && "-".equals(m.group(2))) {
                value = m.group(3);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
