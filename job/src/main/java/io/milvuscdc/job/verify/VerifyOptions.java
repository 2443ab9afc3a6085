package io.milvuscdc.job.verify;

import io.milvuscdc.job.config.ConfigException;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/** {@code verify --config FILE [--repair] [--report FILE] [--recheck-after DURATION] [--range-rows N]}. */
public final class VerifyOptions {

    public static final String USAGE = "verify --config cdc.yaml [--repair] [--report report.json] "
            + "[--recheck-after 30s] [--range-rows 2000]";

    public Path config;
    /** Make the target match where it differs. */
    public boolean repair;
    public Path report = Path.of("milvus-cdc-verify-"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
    /**
     * How long after a first difference its range is compared again, so that a change still on its
     * way (the job's lag) is not reported: only differences that persist count. 0: no second look.
     */
    public Duration recheckAfter = Duration.ofSeconds(30);
    /** Source rows per key range: the unit of comparison, of parallelism and of repair. */
    public int rangeRows = 2_000;

    public static VerifyOptions parse(String[] args) {
        VerifyOptions o = new VerifyOptions();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--repair")) {
                o.repair = true;
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new ConfigException(a, "unexpected argument", "Run " + USAGE);
            }
            String v = args[++i];
            switch (a) {
                case "--config":
                    o.config = Path.of(v);
                    break;
                case "--report":
                    o.report = Path.of(v);
                    break;
                case "--recheck-after":
                    try {
                        o.recheckAfter = org.apache.flink.util.TimeUtils.parseDuration(v);
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(a, "'" + v + "' is not a duration", "Use e.g. 30s, 2min or 0s");
                    }
                    break;
                case "--range-rows":
                    o.rangeRows = positive(a, v);
                    break;
                default:
                    throw new ConfigException(a, "unknown option", "Run " + USAGE);
            }
        }
        if (o.config == null) {
            throw new ConfigException("--config", "missing", "Run " + USAGE);
        }
        return o;
    }

    private static int positive(String key, String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is wanted
        }
        throw new ConfigException(key, "'" + v + "' is not a positive number", "Use e.g. 2000");
    }
}
