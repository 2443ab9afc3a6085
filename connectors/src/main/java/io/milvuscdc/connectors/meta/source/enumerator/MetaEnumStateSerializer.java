package io.milvuscdc.connectors.meta.source.enumerator;

import io.milvuscdc.connectors.meta.source.split.MetaSplit;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Version 1: a flag byte, then the unassigned split's revision. */
public final class MetaEnumStateSerializer implements SimpleVersionedSerializer<MetaEnumState> {

    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(MetaEnumState state) {
        ByteBuffer buffer = ByteBuffer.allocate(1 + Long.BYTES);
        MetaSplit split = state.unassigned();
        buffer.put((byte) (split == null ? 0 : 1)).putLong(split == null ? 0 : split.revision());
        return buffer.array();
    }

    @Override
    public MetaEnumState deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown meta enumerator state version " + version);
        }
        ByteBuffer buffer = ByteBuffer.wrap(serialized);
        boolean present = buffer.get() == 1;
        long revision = buffer.getLong();
        return new MetaEnumState(present ? new MetaSplit(revision) : null);
    }
}
