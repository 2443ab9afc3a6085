package io.milvuscdc.connectors.mq.kafka;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.mq.MilvusMessageDecoder;
import io.milvuscdc.connectors.mq.SourceLagMetrics;

import org.apache.flink.api.common.serialization.DeserializationSchema;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Kafka records of a Milvus channel (one message per record, no key) to change records. */
public final class MilvusKafkaDeserializer implements KafkaRecordDeserializationSchema<ChangeRecord> {

    private static final long serialVersionUID = 1L;

    private final MilvusMessageDecoder decoder = new MilvusMessageDecoder();
    private transient SourceLagMetrics lag;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        lag = new SourceLagMetrics(context.getMetricGroup());
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ChangeRecord> out) {
        if (record.value() == null) {
            return;
        }
        // The offset as position: Kafka message ids of Milvus are the offset, little-endian.
        for (ChangeRecord r : decoder.decodeRecords(record.value(), record.topic() + "@" + record.offset())) {
            if (lag != null) {
                lag.emitted(record.topic(), r);
            }
            out.collect(r);
        }
    }

    @Override
    public TypeInformation<ChangeRecord> getProducedType() {
        return TypeInformation.of(ChangeRecord.class);
    }
}
