package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.DropCollection;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException.Kind;

import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.FieldSchema;
import io.milvus.grpc.FloatArray;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.ScalarField;
import io.milvus.grpc.VectorField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checked once at submission: does the target take this job's writes? A row is upserted into a
 * scratch collection ({@value #PREFIX}…, dropped again), the way the job writes. A target that
 * cannot take writes at all (replicate mode, refused credentials) or does not answer (a wrong
 * address, http against a TLS port) is reported before anything runs.
 */
public final class TargetWriteProbe {

    private static final Logger LOG = LoggerFactory.getLogger(TargetWriteProbe.class);

    /** Name prefix of the scratch collection. */
    public static final String PREFIX = "milvus_cdc_probe_";

    private TargetWriteProbe() {}

    /**
     * Throws {@link MilvusTargetException} of kind {@link Kind#TARGET_CANNOT_WRITE} if the target
     * takes no writes, of kind {@link Kind#TRANSIENT} if it does not answer.
     */
    public static void check(TargetClient target) {
        try {
            String name = create(target);
            try {
                write(target, name);
            } finally {
                drop(target, name);
            }
        } catch (MilvusTargetException e) {
            if (e.kind() == Kind.TARGET_CANNOT_WRITE || e.kind() == Kind.TRANSIENT) {
                throw e;
            }
            // Refused for a reason of the probe's own: the job's operations will say if they are too.
            LOG.warn("Could not check that the target takes writes ({}); the job starts anyway", e.getMessage());
        }
    }

    /** Creates a scratch collection ({@value #PREFIX}…) in the default database; returns its name. */
    public static String create(TargetClient target) {
        String name = PREFIX + Long.toString(System.nanoTime() & 0xffffffffL, 36);
        target.apply(op(name).setCreateCollection(CreateCollection.newBuilder().setSchema(schema(name)).setShardsNum(1)
                .addPartitionNames("_default")).build());
        return name;
    }

    /** Upserts one row into the scratch collection, as the job writes. */
    public static void write(TargetClient target, String name) {
        target.apply(op(name).setUpsert(row()).build());
    }

    /** Drops the scratch collection; a failure is logged, not thrown. */
    public static void drop(TargetClient target, String name) {
        drop(target, op(name));
    }

    private static TargetOperation.Builder op(String name) {
        return TargetOperation.newBuilder().setDatabase("default").setCollection(name).setTimestamp(1);
    }

    private static void drop(TargetClient target, TargetOperation.Builder op) {
        try {
            target.apply(op.clone().setDropCollection(DropCollection.getDefaultInstance()).build());
        } catch (MilvusTargetException e) {
            LOG.warn("Could not drop the scratch collection {} on the target: {}", op.getCollection(), e.getMessage());
        }
    }

    private static CollectionSchema schema(String name) {
        return CollectionSchema.newBuilder().setName(name)
                .addFields(FieldSchema.newBuilder().setFieldID(100).setName("id").setDataType(DataType.Int64).setIsPrimaryKey(true))
                .addFields(FieldSchema.newBuilder().setFieldID(101).setName("vec").setDataType(DataType.FloatVector)
                        .addTypeParams(KeyValuePair.newBuilder().setKey("dim").setValue("2")))
                .build();
    }

    private static Upsert row() {
        return Upsert.newBuilder().setNumRows(1).setPrimaryField("id")
                .addFieldsData(FieldData.newBuilder().setFieldName("id").setType(DataType.Int64)
                        .setScalars(ScalarField.newBuilder().setLongData(LongArray.newBuilder().addData(1)))
                        .build().toByteString())
                .addFieldsData(FieldData.newBuilder().setFieldName("vec").setType(DataType.FloatVector)
                        .setVectors(VectorField.newBuilder().setDim(2).setFloatVector(FloatArray.newBuilder().addData(0).addData(1)))
                        .build().toByteString())
                .build();
    }
}
