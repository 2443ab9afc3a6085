package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.CollectionCreated;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.mq.MilvusMessageDecoder;
import io.milvuscdc.job.config.Selection;

import java.io.Serializable;
import java.util.Optional;

/**
 * Selection and naming: which source databases and collections are replicated, and under which
 * target names. Commands of the replicate channel name collections, not ids: they are mapped here
 * and carry the target names in their requests too (the sink sends a request as it is).
 */
final class TargetNaming implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Selection selection;

    TargetNaming(Selection selection) {
        this.selection = selection;
    }

    /** The database command under its target name, or empty if the database is not selected. */
    Optional<TargetOperation> databaseCommand(ChangeEvent event) {
        DatabaseCommand command = event.getDatabaseCommand();
        if (!selection.includesDatabase(command.getDbName())) {
            return Optional.empty();
        }
        String target = selection.targetDatabase(command.getDbName());
        DatabaseCommand.Builder mapped = command.toBuilder().setDbName(target);
        if (mapped.hasCreateDatabase()) {
            mapped.getCreateDatabaseBuilder().setDbName(target);
        } else if (mapped.hasDropDatabase()) {
            mapped.getDropDatabaseBuilder().setDbName(target);
        }
        return Optional.of(TargetOperation.newBuilder()
                .setDatabase(target)
                .setTimestamp(event.getTimestamp())
                .setDatabaseCommand(mapped)
                .build());
    }

    /** The collection command under its target names, or empty if the collection is not selected. */
    Optional<TargetOperation> collectionCommand(ChangeEvent event) {
        CollectionCommand command = event.getCollectionCommand();
        String db = command.getDbName();
        if (!selection.includesCollection(db, command.getCollectionName())) {
            return Optional.empty();
        }
        String targetDb = selection.targetDatabase(db);
        String target = selection.targetCollection(db, command.getCollectionName());
        CollectionCommand.Builder mapped = command.toBuilder().setDbName(targetDb).setCollectionName(target);
        switch (mapped.getCommandCase()) {
            case CREATE_INDEX:
                mapped.getCreateIndexBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case DROP_INDEX:
                mapped.getDropIndexBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case LOAD_COLLECTION:
                mapped.getLoadCollectionBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case RELEASE_COLLECTION:
                mapped.getReleaseCollectionBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case LOAD_PARTITIONS:
                mapped.getLoadPartitionsBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case RELEASE_PARTITIONS:
                mapped.getReleasePartitionsBuilder().setDbName(targetDb).setCollectionName(target);
                break;
            case FLUSH:
                mapped.getFlushBuilder().setDbName(targetDb).clearCollectionNames().addCollectionNames(target);
                break;
            default:
                break;
        }
        return Optional.of(TargetOperation.newBuilder()
                .setDatabase(targetDb)
                .setCollection(target)
                .setTimestamp(event.getTimestamp())
                .setCollectionCommand(mapped)
                .build());
    }

    /**
     * The created collection under its target names with its incarnation (create time), or empty
     * if it is not selected.
     */
    Optional<CollectionCreated> collection(CollectionCreated created, long incarnation) {
        String db = databaseOf(created);
        if (!selection.includesCollection(db, created.getCollectionName())) {
            return Optional.empty();
        }
        return Optional.of(created.toBuilder()
                .setDbName(selection.targetDatabase(db))
                .setCollectionName(selection.targetCollection(db, created.getCollectionName()))
                .setIncarnation(incarnation)
                .build());
    }

    static String databaseOf(CollectionCreated created) {
        return created.getDbName().isEmpty() ? MilvusMessageDecoder.DEFAULT_DATABASE : created.getDbName();
    }
}
