package io.milvuscdc.connectors.snapshot.source.split;

import io.milvuscdc.connectors.query.KeyRange;

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * Version 1: collection id, index, count, the key range (source and target names, partition,
 * primary field, key type, bounds), the last key emitted and the rows emitted.
 */
public final class SnapshotSplitSerializer implements SimpleVersionedSerializer<SnapshotSplit> {

    public static final SnapshotSplitSerializer INSTANCE = new SnapshotSplitSerializer();

    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(SnapshotSplit split) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(128);
        write(split, out);
        return out.getCopyOfBuffer();
    }

    @Override
    public SnapshotSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown snapshot split version " + version);
        }
        return read(new DataInputDeserializer(serialized));
    }

    /** Also the enumerator state's form of a split. */
    public static void write(SnapshotSplit split, DataOutputView out) throws IOException {
        out.writeLong(split.collectionId());
        out.writeInt(split.index());
        out.writeInt(split.count());
        KeyRange r = split.range();
        out.writeUTF(r.database);
        out.writeUTF(r.collection);
        out.writeUTF(r.targetDatabase);
        out.writeUTF(r.targetCollection);
        writeNullable(r.partition, out);
        out.writeUTF(r.primaryField);
        out.writeBoolean(r.stringKeys);
        writeNullable(r.lo, out);
        writeNullable(r.hi, out);
        writeNullable(split.after(), out);
        out.writeLong(split.rowsEmitted());
    }

    public static SnapshotSplit read(DataInputView in) throws IOException {
        long collectionId = in.readLong();
        int index = in.readInt();
        int count = in.readInt();
        KeyRange r = new KeyRange(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), readNullable(in),
                in.readUTF(), in.readBoolean(), readNullable(in), readNullable(in));
        String after = readNullable(in);
        return new SnapshotSplit(collectionId, r, index, count, after, in.readLong());
    }

    private static void writeNullable(String s, DataOutputView out) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readNullable(DataInputView in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
