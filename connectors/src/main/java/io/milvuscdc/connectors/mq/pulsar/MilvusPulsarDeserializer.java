package io.milvuscdc.connectors.mq.pulsar;

import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.mq.MilvusMessageDecoder;
import io.milvuscdc.connectors.mq.SourceLagMetrics;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.pulsar.source.reader.deserializer.PulsarDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.pulsar.client.api.Message;

/**
 * Pulsar messages of a Milvus channel (one msgstream message each, properties unused) to change
 * records. The origin names the channel and the Pulsar message id ({@code ledger:entry:partition}).
 */
public final class MilvusPulsarDeserializer implements PulsarDeserializationSchema<ChangeRecord> {

    private static final long serialVersionUID = 1L;

    private final MilvusMessageDecoder decoder = new MilvusMessageDecoder();
    private transient SourceLagMetrics lag;

    @Override
    public void open(PulsarDeserializationSchema.PulsarInitializationContext context,
                     org.apache.flink.connector.pulsar.source.config.SourceConfiguration configuration) {
        lag = new SourceLagMetrics(context.getMetricGroup());
    }

    @Override
    public void deserialize(Message<byte[]> message, Collector<ChangeRecord> out) {
        byte[] payload = message.getData();
        if (payload == null || payload.length == 0) {
            return;
        }
        String channel = channelOf(message.getTopicName());
        for (ChangeRecord r : decoder.decodeRecords(payload, channel + "@" + message.getMessageId())) {
            if (lag != null) {
                lag.emitted(channel, r);
            }
            out.collect(r);
        }
    }

    /** {@code persistent://tenant/namespace/channel} to the Milvus channel name. */
    static String channelOf(String topicName) {
        return topicName.substring(topicName.lastIndexOf('/') + 1);
    }

    @Override
    public TypeInformation<ChangeRecord> getProducedType() {
        return TypeInformation.of(ChangeRecord.class);
    }
}
