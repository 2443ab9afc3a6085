package io.milvuscdc.job.sequencer;

import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.FieldSchema;

import java.util.Optional;

/** The target's schema for a source collection. */
final class TargetSchemas {

    private TargetSchemas() {}

    /**
     * The source schema as the target must be created: system fields (id below 100) and the
     * dynamic {@code $meta} field dropped (the target adds its own when the dynamic field is
     * enabled); an auto-id primary key becomes a plain one, since rows carry the source's keys
     * and deletes are by key.
     */
    @SuppressWarnings("deprecation") // the schema-level autoID is deprecated, but old servers still read it
    static CollectionSchema forTarget(CollectionSchema source, String targetName) {
        CollectionSchema.Builder schema = source.toBuilder().clearFields().setName(targetName).setAutoID(false);
        for (FieldSchema field : source.getFieldsList()) {
            if (field.getFieldID() < 100 || field.getIsDynamic()) {
                continue;
            }
            schema.addFields(field.toBuilder().setAutoID(false));
        }
        return schema.build();
    }

    static Optional<FieldSchema> primaryField(CollectionSchema schema) {
        return schema.getFieldsList().stream().filter(FieldSchema::getIsPrimaryKey).findFirst();
    }
}
