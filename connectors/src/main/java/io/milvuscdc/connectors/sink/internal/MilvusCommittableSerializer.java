package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.CommittableBatch;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.IOException;

/** Version 1: the {@link CommittableBatch} protobuf. */
public final class MilvusCommittableSerializer implements SimpleVersionedSerializer<MilvusCommittable> {

    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(MilvusCommittable committable) {
        return committable.batch().toByteArray();
    }

    @Override
    public MilvusCommittable deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown Milvus committable version " + version);
        }
        return new MilvusCommittable(CommittableBatch.parseFrom(serialized));
    }
}
