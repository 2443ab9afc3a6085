package io.milvuscdc.connectors.meta.source.reader;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCreated;
import io.milvuscdc.connectors.event.proto.CollectionDropped;
import io.milvuscdc.connectors.event.proto.PartitionCreated;
import io.milvuscdc.connectors.meta.proto.CollectionInfo;
import io.milvuscdc.connectors.meta.proto.CollectionState;
import io.milvuscdc.connectors.meta.proto.DatabaseInfo;
import io.milvuscdc.connectors.meta.proto.PartitionInfo;

import com.google.protobuf.InvalidProtocolBufferException;
import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.FieldSchema;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns root-coord's etcd keys into change events and remembers what it has emitted.
 *
 * <p>Root-coord writes a new collection in three steps: its collection-info (state
 * Creating), then its fields and partitions, then the collection-info again with state
 * Created. A collection is emitted once, when it is seen Created, with the fields and
 * partitions read at that revision. Dropping, a deleted key or a tombstone drop it. A
 * partition created later is emitted when it is seen Created; partition drops come from the
 * message queue, where they are ordered with the rows.
 */
public final class CatalogDecoder {

    /** What root-coord writes in place of a deleted value. */
    static final byte[] TOMBSTONE = {(byte) 0xE2, (byte) 0x9B, (byte) 0xBC};

    static final long DEFAULT_DB_ID = 1;

    private final String prefix;
    private final Map<Long, String> databaseNames = new HashMap<>();
    private final Set<Long> emitted = new HashSet<>();
    /** Partitions emitted (with or after their collection), by id. */
    private final Set<Long> emittedPartitions = new HashSet<>();

    public CatalogDecoder(String rootCoordPrefix) {
        this.prefix = rootCoordPrefix;
        databaseNames.put(DEFAULT_DB_ID, "default");
    }

    /** Reads the fields and partitions of a collection as of a revision. */
    public interface CollectionParts {
        List<FieldSchema> fields(long collectionId);

        List<PartitionInfo> partitions(long collectionId);
    }

    public static boolean isTombstone(byte[] value) {
        return value == null || value.length == 0 || Arrays.equals(value, TOMBSTONE);
    }

    /** Applies one key's new value (null: deleted); returns the event it makes, if any. */
    public Optional<ChangeEvent> apply(String key, byte[] value, long revision, CollectionParts parts)
            throws InvalidProtocolBufferException {
        if (!key.startsWith(prefix)) {
            return Optional.empty();
        }
        String[] path = key.substring(prefix.length()).split("/");
        if (path.length == 3 && path[0].equals("database") && path[1].equals("db-info")) {
            long dbId = Long.parseLong(path[2]);
            if (isTombstone(value)) {
                databaseNames.remove(dbId);
            } else {
                databaseNames.put(dbId, DatabaseInfo.parseFrom(value).getName());
            }
            return Optional.empty();
        }
        if (path.length == 3 && path[0].equals("partitions")) {
            return partition(Long.parseLong(path[1]), value, revision, key);
        }
        long collectionId;
        if (path.length == 4 && path[0].equals("database") && path[1].equals("collection-info")) {
            collectionId = Long.parseLong(path[3]);
        } else if (path.length == 2 && path[0].equals("collection")) {
            collectionId = Long.parseLong(path[1]); // collections made before databases existed
        } else {
            return Optional.empty();
        }
        if (isTombstone(value)) {
            return dropped(collectionId, 0, revision, key);
        }
        CollectionInfo info = CollectionInfo.parseFrom(value);
        if (info.getState() == CollectionState.COLLECTION_CREATED) {
            return created(info, revision, key, parts);
        }
        if (info.getState() == CollectionState.COLLECTION_DROPPING || info.getState() == CollectionState.COLLECTION_DROPPED) {
            return dropped(collectionId, info.getDbId(), revision, key);
        }
        return Optional.empty();
    }

    private Optional<ChangeEvent> created(CollectionInfo info, long revision, String key, CollectionParts parts) {
        if (!emitted.add(info.getId())) {
            return Optional.empty();
        }
        long dbId = info.getDbId() == 0 ? DEFAULT_DB_ID : info.getDbId();
        CollectionSchema.Builder schema = info.getSchema().toBuilder().clearFields();
        parts.fields(info.getId()).stream()
                .sorted(Comparator.comparingLong(FieldSchema::getFieldID))
                .forEach(schema::addFields);
        CollectionCreated.Builder created = CollectionCreated.newBuilder()
                .setDbId(dbId)
                .setDbName(databaseNames.getOrDefault(dbId, ""))
                .setCollectionName(info.getSchema().getName())
                .setSchema(schema)
                .setShardsNum(info.getShardsNum())
                .setConsistencyLevel(info.getConsistencyLevel())
                .addAllProperties(info.getPropertiesList())
                .addAllVirtualChannels(info.getVirtualChannelNamesList());
        parts.partitions(info.getId()).stream()
                .filter(p -> p.getState() == CollectionState.COLLECTION_CREATED)
                .sorted(Comparator.comparingLong(PartitionInfo::getPartitionId))
                .forEach(p -> {
                    created.addPartitionNames(p.getPartitionName()).addPartitionIds(p.getPartitionId());
                    emittedPartitions.add(p.getPartitionId());
                });
        return Optional.of(ChangeEvent.newBuilder()
                .setCollectionId(info.getId())
                .setTimestamp(info.getCreateTime())
                .setOrigin(key + "@" + revision)
                .setCollectionCreated(created)
                .build());
    }

    /**
     * A partition key's Created partition as an event, also when its collection's snapshot event
     * already listed it: after a compaction gap the snapshot is emitted again, and downstream
     * knows only the partitions it saw before the gap.
     */
    public Optional<ChangeEvent> partitionOfKnownCollection(String key, byte[] value, long revision)
            throws InvalidProtocolBufferException {
        if (!key.startsWith(prefix + "partitions/") || isTombstone(value)) {
            return Optional.empty();
        }
        long collectionId = Long.parseLong(key.substring(prefix.length()).split("/")[1]);
        PartitionInfo info = PartitionInfo.parseFrom(value);
        if (!emitted.contains(collectionId) || info.getState() != CollectionState.COLLECTION_CREATED) {
            return Optional.empty();
        }
        return Optional.of(partitionCreated(collectionId, info, key, revision));
    }

    private static ChangeEvent partitionCreated(long collectionId, PartitionInfo info, String key, long revision) {
        return ChangeEvent.newBuilder()
                .setCollectionId(collectionId)
                .setTimestamp(info.getPartitionCreatedTimestamp())
                .setOrigin(key + "@" + revision)
                .setPartitionCreated(PartitionCreated.newBuilder()
                        .setPartitionId(info.getPartitionId())
                        .setPartitionName(info.getPartitionName()))
                .build();
    }

    private Optional<ChangeEvent> partition(long collectionId, byte[] value, long revision, String key)
            throws InvalidProtocolBufferException {
        if (isTombstone(value) || !emitted.contains(collectionId)) {
            return Optional.empty(); // a new collection's partitions come with it
        }
        PartitionInfo info = PartitionInfo.parseFrom(value);
        if (info.getState() != CollectionState.COLLECTION_CREATED || !emittedPartitions.add(info.getPartitionId())) {
            return Optional.empty();
        }
        return Optional.of(partitionCreated(collectionId, info, key, revision));
    }

    private Optional<ChangeEvent> dropped(long collectionId, long dbId, long revision, String key) {
        if (!emitted.remove(collectionId)) {
            return Optional.empty();
        }
        return Optional.of(ChangeEvent.newBuilder()
                .setCollectionId(collectionId)
                .setOrigin(key + "@" + revision)
                .setCollectionDropped(CollectionDropped.newBuilder().setDbId(dbId))
                .build());
    }
}
