package io.milvuscdc.job.deadletter;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.ConfigException;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.pulsar.sink.PulsarSink;
import org.apache.flink.connector.pulsar.sink.PulsarSinkBuilder;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The durable dead-letter output: Flink's own Kafka, Pulsar or file sink, at least once (flushed
 * before each checkpoint completes, so a dead letter is never lost, and may repeat after a
 * failover). Each record is one line of {@link DeadLetterJson}; in a topic, keyed by channel or
 * collection. The topic lives on the source's own queue (no second system to run), the files in
 * a directory every TaskManager can write; {@link DeadLetterReader} reads either back.
 */
public final class DeadLetterOutput {

    public static final String UID = "dead-letter-output";

    private DeadLetterOutput() {}

    /** Adds the output for {@code deadLetters}; a Kafka topic is created at submission if missing. */
    public static void attach(DataStream<DeadLetter> deadLetters, CdcConfig config) {
        if (config.deadLetterOutput == CdcConfig.DeadLetterOutput.FILE) {
            FileSink<String> files = FileSink
                    .forRowFormat(new Path(config.deadLetterPath), new SimpleStringEncoder<String>("UTF-8"))
                    .withRollingPolicy(OnCheckpointRollingPolicy.build())
                    .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("dead-letters")
                            .withPartSuffix(".jsonl").build())
                    .build();
            deadLetters.map(DeadLetterJson::toJson).returns(Types.STRING).uid(UID + "-json").name("Dead letters as JSON")
                    .sinkTo(files).uid(UID).name("Dead letters (" + config.deadLetterPath + ")");
        } else if (config.queue == CdcConfig.Queue.KAFKA) {
            createKafkaTopic(config);
            KafkaSink<DeadLetter> kafka = KafkaSink.<DeadLetter>builder()
                    .setBootstrapServers(config.kafkaAddress)
                    .setRecordSerializer(KafkaRecordSerializationSchema.<DeadLetter>builder()
                            .setTopic(config.deadLetterTopic)
                            .setKeySerializationSchema(DeadLetterOutput::key)
                            .setValueSerializationSchema(new JsonBytes())
                            .build())
                    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                    .setKafkaProducerConfig(kafkaProperties(config))
                    .build();
            deadLetters.sinkTo(kafka).uid(UID).name("Dead letters (Kafka " + config.deadLetterTopic + ")");
        } else {
            PulsarSinkBuilder<DeadLetter> builder = PulsarSink.builder()
                    .setServiceUrl(config.pulsarServiceUrl)
                    .setTopics(pulsarTopic(config))
                    .setSerializationSchema(new JsonBytes())
                    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE);
            if (config.pulsarAuthPlugin != null) {
                builder.setAuthentication(config.pulsarAuthPlugin, config.pulsarAuthParams == null ? "" : config.pulsarAuthParams);
            }
            if (config.pulsarTlsTrustCertsPath != null) {
                builder.setConfig(org.apache.flink.connector.pulsar.common.config.PulsarOptions.PULSAR_TLS_TRUST_CERTS_FILE_PATH,
                        config.pulsarTlsTrustCertsPath);
            }
            deadLetters.sinkTo(builder.build()).uid(UID).name("Dead letters (Pulsar " + pulsarTopic(config) + ")");
        }
    }

    /** The full Pulsar topic: a bare name lives in the source's tenant and namespace. */
    static String pulsarTopic(CdcConfig config) {
        return config.deadLetterTopic.contains("://") ? config.deadLetterTopic
                : "persistent://" + config.pulsarTenant + "/" + config.pulsarNamespace + "/" + config.deadLetterTopic;
    }

    private static byte[] key(DeadLetter d) {
        String key = d.kind == DeadLetter.Kind.MESSAGE ? d.channel : d.database + "." + d.collection;
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** The user's Kafka connection properties (security.protocol, ssl.*, sasl.*). */
    public static Properties kafkaProperties(CdcConfig config) {
        Properties props = new Properties();
        props.putAll(config.kafkaProperties);
        return props;
    }

    /** Creates the topic (one partition: dead letters are few, and read back in order) unless it exists. */
    static void createKafkaTopic(CdcConfig config) {
        Properties props = kafkaProperties(config);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaAddress);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(config.deadLetterTopic, Optional.of(1), Optional.empty())))
                    .all().get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new ConfigException("deadLetter.topic", "cannot create Kafka topic " + config.deadLetterTopic
                        + ": " + e.getCause().getMessage(),
                        "Create it on the source's Kafka, or let this job's Kafka user create topics");
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ConfigException("sourceConfig.kafka.address", "Kafka at " + config.kafkaAddress
                    + " did not answer within 15 s", "Set it to the source Milvus's Kafka, e.g. 127.0.0.1:9092");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The JSON line as bytes. */
    private static final class JsonBytes implements SerializationSchema<DeadLetter> {
        private static final long serialVersionUID = 1L;

        @Override
        public byte[] serialize(DeadLetter d) {
            return DeadLetterJson.toJson(d).getBytes(StandardCharsets.UTF_8);
        }
    }
}
