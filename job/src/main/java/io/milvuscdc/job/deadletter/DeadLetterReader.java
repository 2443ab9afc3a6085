package io.milvuscdc.job.deadletter;

import io.milvuscdc.job.config.CdcConfig;

import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Reads back every dead letter the job's configured output holds now, oldest first, as the JSON
 * lines of {@link DeadLetterJson}: {@code flink run milvus-cdc-job.jar dead-letters --config cdc.yaml}.
 * Reads only: the topic's offsets and subscriptions are left as they are (a reader, no group).
 */
public final class DeadLetterReader {

    private DeadLetterReader() {}

    public static void read(CdcConfig config, Consumer<String> out) throws IOException {
        if (config.deadLetterOutput == CdcConfig.DeadLetterOutput.FILE) {
            readFiles(new Path(config.deadLetterPath), out);
        } else if (config.queue == CdcConfig.Queue.KAFKA) {
            readKafka(config, out);
        } else {
            readPulsar(config, out);
        }
    }

    /** Finished files only: Flink's file sink hides a file ({@code .part-…}) until its checkpoint completes. */
    private static void readFiles(Path dir, Consumer<String> out) throws IOException {
        FileSystem fs = dir.getFileSystem();
        if (!fs.exists(dir)) {
            return;
        }
        List<FileStatus> files = new ArrayList<>();
        collect(fs, dir, files);
        files.sort(java.util.Comparator.comparingLong(FileStatus::getModificationTime)
                .thenComparing(f -> f.getPath().toString()));
        for (FileStatus file : files) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(file.getPath()), StandardCharsets.UTF_8))) {
                in.lines().filter(l -> !l.isBlank()).forEach(out);
            }
        }
    }

    private static void collect(FileSystem fs, Path dir, List<FileStatus> files) throws IOException {
        for (FileStatus status : fs.listStatus(dir)) {
            if (status.getPath().getName().startsWith(".")) {
                continue;
            }
            if (status.isDir()) {
                collect(fs, status.getPath(), files);
            } else {
                files.add(status);
            }
        }
    }

    private static void readKafka(CdcConfig config, Consumer<String> out) {
        Properties props = DeadLetterOutput.kafkaProperties(config);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaAddress);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(config.deadLetterTopic, Duration.ofSeconds(15))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        out.accept(new String(r.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
    }

    private static void readPulsar(CdcConfig config, Consumer<String> out) throws IOException {
        ClientBuilder builder = PulsarClient.builder().serviceUrl(config.pulsarServiceUrl);
        if (config.pulsarAuthPlugin != null) {
            builder.authentication(config.pulsarAuthPlugin, config.pulsarAuthParams == null ? "" : config.pulsarAuthParams);
        }
        if (config.pulsarTlsTrustCertsPath != null) {
            builder.tlsTrustCertsFilePath(config.pulsarTlsTrustCertsPath);
        }
        try (PulsarClient client = builder.build();
             Reader<byte[]> reader = client.newReader().topic(DeadLetterOutput.pulsarTopic(config))
                     .startMessageId(MessageId.earliest).create()) {
            while (reader.hasMessageAvailable()) {
                Message<byte[]> m = reader.readNext();
                out.accept(new String(m.getValue(), StandardCharsets.UTF_8));
            }
        }
    }
}
