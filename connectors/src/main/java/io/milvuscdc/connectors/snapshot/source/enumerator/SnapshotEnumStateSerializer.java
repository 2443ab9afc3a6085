package io.milvuscdc.connectors.snapshot.source.enumerator;

import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplit;
import io.milvuscdc.connectors.snapshot.source.split.SnapshotSplitSerializer;

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Version 1: planned, the number of remaining splits, each in {@link SnapshotSplitSerializer}'s version 1 form. */
public final class SnapshotEnumStateSerializer implements SimpleVersionedSerializer<SnapshotEnumState> {

    public static final SnapshotEnumStateSerializer INSTANCE = new SnapshotEnumStateSerializer();

    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(SnapshotEnumState state) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        out.writeBoolean(state.planned());
        out.writeInt(state.remaining().size());
        for (SnapshotSplit split : state.remaining()) {
            SnapshotSplitSerializer.write(split, out);
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public SnapshotEnumState deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown snapshot enumerator state version " + version);
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        boolean planned = in.readBoolean();
        int n = in.readInt();
        List<SnapshotSplit> remaining = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            remaining.add(SnapshotSplitSerializer.read(in));
        }
        return new SnapshotEnumState(planned, remaining);
    }
}
