package io.milvuscdc.testutils;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the real stack (etcd, Kafka, two Pulsar brokers, source Milvus on Kafka and on Pulsar,
 * target Milvus) once per test JVM with
 * {@code scripts/stack.py}, and stops it by pid when the last test class is done.
 *
 * <p>With {@code MILVUS_CDC_STACK_DIR} set to the directory of a stack started by hand
 * ({@code scripts/stack.py up --dir DIR}), the tests use that stack and leave it running.
 */
public final class MilvusStackExtension implements BeforeAllCallback, ParameterResolver {

    private static final String KEY = "milvus-cdc-stack";

    @Override
    public void beforeAll(ExtensionContext context) {
        stack(context);
    }

    public static MilvusStack stack(ExtensionContext context) {
        return context.getRoot()
                .getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(KEY, k -> StartedStack.start(), StartedStack.class)
                .stack;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == MilvusStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return stack(extensionContext);
    }

    /** The stack and whether this JVM owns it. */
    static final class StartedStack implements AutoCloseable {
        final MilvusStack stack;
        final Path dir;
        final boolean owned;

        private StartedStack(MilvusStack stack, Path dir, boolean owned) {
            this.stack = stack;
            this.dir = dir;
            this.owned = owned;
        }

        static StartedStack start() {
            try {
                String given = System.getenv("MILVUS_CDC_STACK_DIR");
                if (given != null && MilvusStack.isRunning(Path.of(given, "stack.json"))) {
                    return new StartedStack(MilvusStack.read(Path.of(given, "stack.json")), Path.of(given), false);
                }
                Path dir = MilvusStack.projectRoot().resolve("target/test-stack");
                run("up", dir);
                return new StartedStack(MilvusStack.read(dir.resolve("stack.json")), dir, true);
            } catch (IOException e) {
                throw new IllegalStateException("Cannot start the test stack", e);
            }
        }

        @Override
        public void close() throws IOException {
            if (owned) {
                // Throw-away data: all stopped at once, killed after 10 s (Milvus takes over 20 s on SIGTERM).
                run("down", dir, "--grace", "10");
            }
        }

        private static void run(String command, Path dir, String... more) throws IOException {
            Path root = MilvusStack.projectRoot();
            java.nio.file.Files.createDirectories(dir.getParent());
            List<String> args = new ArrayList<>(List.of("python3", root.resolve("scripts/stack.py").toString(),
                    command, "--dir", dir.toString()));
            args.addAll(List.of(more));
            Process process = new ProcessBuilder(args)
                    .redirectErrorStream(true)
                    // Not inheritIO: surefire reads the forked JVM's stdout as its own channel.
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolveSibling(dir.getFileName() + "-" + command + ".log").toFile()))
                    .start();
            try {
                if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                    process.destroy();
                    throw new IOException("scripts/stack.py " + command + " failed; see " + dir + "-" + command + ".log and the logs in " + dir);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while running scripts/stack.py " + command, e);
            }
        }
    }
}
