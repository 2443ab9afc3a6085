package io.milvuscdc.connectors.meta.source.split;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Version 1: the revision as 8 bytes. */
public final class MetaSplitSerializer implements SimpleVersionedSerializer<MetaSplit> {

    public static final MetaSplitSerializer INSTANCE = new MetaSplitSerializer();

    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(MetaSplit split) {
        return ByteBuffer.allocate(Long.BYTES).putLong(split.revision()).array();
    }

    @Override
    public MetaSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown meta split version " + version);
        }
        return new MetaSplit(ByteBuffer.wrap(serialized).getLong());
    }
}
