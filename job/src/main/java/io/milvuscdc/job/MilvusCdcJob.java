package io.milvuscdc.job;

import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.job.config.CdcConfig;
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

    private static void run(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("dead-letters")) {
            // Reads what the dead-letter output holds, one JSON line each; runs no job.
            Map<String, String> params = parseArgs(java.util.Arrays.copyOfRange(args, 1, args.length));
            if (!params.containsKey("config")) {
                throw new ConfigException("--config", "missing", "Run with dead-letters --config path/to/cdc.yaml");
            }
            DeadLetterReader.read(CdcConfig.load(Path.of(params.get("config"))), System.out::println);
            return;
        }
        if (args.length > 0 && args[0].equals("verify")) {
            verify(VerifyOptions.parse(java.util.Arrays.copyOfRange(args, 1, args.length)));
            return;
        }
        Map<String, String> params = parseArgs(args);
        if (!params.containsKey("config")) {
            throw new ConfigException("--config", "missing", "Run with --config path/to/cdc.yaml");
        }
        CdcConfig config = CdcConfig.load(Path.of(params.get("config")), params.get("target-uri"));

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
        CdcConfig config = CdcConfig.load(options.config);
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

    /** {@code --key value} pairs. */
    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new ConfigException(args[i], "unexpected argument", "Arguments are --config FILE [--target-uri URI] [--local-web-ui PORT]");
            }
            params.put(args[i].substring(2), args[++i]);
        }
        return params;
    }
}
