package io.milvuscdc.job;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.ConfigException;
import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusStack.Queue;
import io.milvuscdc.testutils.MilvusStackExtension;


import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.ServerSocket;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A configuration that points at the wrong place, or that a server refuses, stops the submission
 * (building the job, as {@code flink run} does) within 15 s with a message naming the key and the
 * fix, against the real servers: etcd, Kafka, Pulsar and the target Milvus.
 */
@ExtendWith(MilvusStackExtension.class)
class SubmissionChecksITCase {

    private static MilvusStack stack;
    /** A port nothing listens on. */
    private static int closedPort;

    @BeforeAll
    static void setUp(MilvusStack running) throws Exception {
        stack = running;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
    }

    static Stream<Arguments> wrongSettings() {
        return Stream.of(
                wrong("etcd unreachable", Queue.KAFKA, c -> {
                    c.etcdEndpoints = java.util.List.of("http://127.0.0.1:" + closedPort);
                    return c;
                }, "sourceConfig.etcd.address"),
                wrong("etcd root path no Milvus uses", Queue.KAFKA, c -> {
                    c.etcdRootPath = "no-such-milvus";
                    return c;
                }, "sourceConfig.etcd.rootPath"),
                wrong("etcd refuses the credentials", Queue.KAFKA, c -> {
                    c.etcdUsername = "cdc";
                    c.etcdPassword = "wrong-password";
                    return c;
                }, "sourceConfig.etcd.password"),
                wrong("Kafka unreachable", Queue.KAFKA, c -> {
                    c.kafkaAddress = "127.0.0.1:" + closedPort;
                    return c;
                }, "sourceConfig.kafka.address"),
                wrong("Pulsar unreachable", Queue.PULSAR, c -> {
                    c.pulsarServiceUrl = "pulsar://127.0.0.1:" + closedPort;
                    return c;
                }, "sourceConfig.pulsar.address"),
                wrong("target unreachable", Queue.KAFKA, c -> {
                    c.targetUri = "http://127.0.0.1:" + closedPort;
                    return c;
                }, "targetConfig.uri"),
                wrong("TLS to a plain target", Queue.KAFKA, c -> {
                    c.targetUri = c.targetUri.replace("http://", "https://");
                    return c;
                }, "targetConfig.uri"));
    }

    private static Arguments wrong(String what, Queue queue, UnaryOperator<CdcConfig> change, String key) {
        return Arguments.of(what, queue, change, key);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wrongSettings")
    void aWrongSettingStopsTheSubmissionNamingTheKeyWithin15Seconds(String what, Queue queue,
            UnaryOperator<CdcConfig> change, String key) {
        ConfigException e = ReplicationHarness.assertSubmissionRefused(
                change.apply(ReplicationHarness.config(stack, queue)), what, key);
        assertTrue(!e.getMessage().contains("wrong-password"), "no secret in the message: " + e.getMessage());
    }
}
