package io.milvuscdc.job;

import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.CdcOptions;
import io.milvuscdc.job.config.ConfigException;
import io.milvuscdc.job.deadletter.DeadLetterReader;
import io.milvuscdc.job.verify.FlinkRangeRunner;
import io.milvuscdc.job.verify.VerificationFailedException;
import io.milvuscdc.job.verify.Verifier;
import io.milvuscdc.job.verify.VerifyOptions;
import io.milvuscdc.job.verify.VerifyReport;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code flink run milvus-cdc-job.jar --config cdc.yaml}: replicates a source Milvus into a
 * target Milvus. With {@code --local-web-ui PORT} it runs in this JVM with Flink's web UI
 * (the demo).
 */
public final class MilvusCdcJob {

    private MilvusCdcJob() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (ConfigException e) {
            // The message names the key and the fix: first and alone, before Flink's client prints the trace.
            System.err.println("milvus-cdc: " + e.getMessage());
            throw e;
        } catch (VerificationFailedException e) {
            System.err.println("milvus-cdc verify: " + e.getMessage());
            throw e;
        }
    }

    private static void run(String[] allArgs) throws Exception {
        Map<String, String> overrides = new java.util.LinkedHashMap<>();
        String[] args = overrides(allArgs, overrides);
        if (args.length > 0 && args[0].equals("dead-letters")) {
            // Reads what the dead-letter output holds, one JSON line each; runs no job.
            Map<String, String> params = parseArgs(java.util.Arrays.copyOfRange(args, 1, args.length));
            if (!params.containsKey("config")) {
                throw new ConfigException("--config", "missing", "Run with dead-letters --config path/to/cdc.yaml");
            }
            DeadLetterReader.read(CdcConfig.load(Path.of(params.get("config")), overrides), System.out::println);
            return;
        }
        if (args.length > 0 && args[0].equals("verify")) {
            verify(VerifyOptions.parse(java.util.Arrays.copyOfRange(args, 1, args.length)), overrides);
            return;
        }
        Map<String, String> params = parseArgs(args);
        if (!params.containsKey("config")) {
            throw new ConfigException("--config", "missing", "Run with --config path/to/cdc.yaml");
        }
        if (params.containsKey("target-uri")) {
            overrides.put(CdcOptions.TARGET_URI.key(), params.get("target-uri"));
        }
        CdcConfig config = CdcConfig.load(Path.of(params.get("config")), overrides);

        Configuration conf = new Configuration();
        StreamExecutionEnvironment env;
        if (params.containsKey("local-web-ui")) {
            conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            conf.set(RestOptions.ADDRESS, "127.0.0.1");
            conf.set(RestOptions.PORT, Integer.parseInt(params.get("local-web-ui")));
            env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
            System.out.println("Flink web UI: http://127.0.0.1:" + params.get("local-web-ui"));
            env.setParallelism(2);
        } else {
            env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        }
        System.out.println("Starting " + config);
        CdcPipeline.build(env, config);
        env.execute("Milvus CDC " + config.channelPrefix + " -> " + config.targetUri);
    }

    /**
     * Compares source and target (a bounded batch job for the rows), prints and writes the report;
     * ends with {@link VerificationFailedException} (a non-zero exit of {@code flink run}) when they differ.
     */
    static VerifyReport verify(VerifyOptions options) throws Exception {
        return verify(options, Map.of());
    }

    static VerifyReport verify(VerifyOptions options, Map<String, String> overrides) throws Exception {
        CdcConfig config = CdcConfig.load(options.config, overrides);
        MilvusTargetConfig source = config.sourceMilvus("verify");
        MilvusTargetConfig target = config.targetMilvus();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        VerifyReport report = new Verifier(source, target, config.selection, options,
                new FlinkRangeRunner(env, source, target,
                        "Milvus CDC verify " + source.uri() + " -> " + target.uri())).run();
        System.out.println(report.text());
        Verifier.write(report, options.report);
        System.out.println("Report: " + options.report.toAbsolutePath());
        if (!report.equal()) {
            throw new VerificationFailedException(report.differingCollections() + " of " + report.collections.size()
                    + " collections differ between " + source.uri() + " and " + target.uri() + "; report "
                    + options.report.toAbsolutePath());
        }
        return report;
    }

    /**
     * Takes the {@code -Dkey=value} (or {@code -D key=value}) settings out of the arguments: they
     * override cdc.yaml's, keys as in {@link CdcOptions}. Returns the other arguments.
     */
    static String[] overrides(String[] args, Map<String, String> into) {
        java.util.List<String> rest = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("-D")) {
                rest.add(args[i]);
                continue;
            }
            String setting = args[i].length() > 2 ? args[i].substring(2) : i + 1 < args.length ? args[++i] : "";
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                // Not echoing the setting: its value may be a secret.
                throw new ConfigException("-D", "expected -Dkey=value", "Write e.g. -Dbatch.maxRows=5000 after the jar; "
                        + "keys as in the README's configuration table");
            }
            into.put(setting.substring(0, eq).trim(), setting.substring(eq + 1));
        }
        return rest.toArray(new String[0]);
    }

    /** {@code --key value} pairs. */
    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new ConfigException(args[i], "unexpected argument", "Arguments are --config FILE [-Dkey=value ...] [--target-uri URI] [--local-web-ui PORT]");
            }
            params.put(args[i].substring(2), args[++i]);
        }
        return params;
    }
}
