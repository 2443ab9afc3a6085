package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.event.RawColumns;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.CreateCollection;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.Delete;
import io.milvuscdc.connectors.event.proto.RawUpsertRequest;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException.Kind;

import io.milvus.grpc.BoolResponse;
import io.milvus.grpc.ErrorCode;
import io.milvus.grpc.HasCollectionRequest;
import io.milvus.grpc.HasPartitionRequest;
import io.milvus.grpc.IDs;
import io.milvus.grpc.ListDatabasesRequest;
import io.milvus.grpc.ListDatabasesResponse;
import io.milvus.grpc.MilvusServiceGrpc;
import io.milvus.grpc.MutationResult;
import io.milvus.grpc.Status;
import io.milvus.shaded.io.grpc.ManagedChannel;
import io.milvus.shaded.io.grpc.MethodDescriptor;
import io.milvus.shaded.io.grpc.StatusRuntimeException;
import io.milvus.shaded.io.grpc.protobuf.ProtoUtils;
import io.milvus.shaded.io.grpc.stub.ClientCalls;

import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The target Milvus over its public gRPC API. Every operation is idempotent, so that a
 * committable applied twice (after a failover) leaves the target as once:
 * rows are upserted, deletes are by key, a collection is created only if absent and dropped
 * only if present.
 */
public final class TargetMilvusClient implements TargetClient {

    /** Milvus's Upsert call with a request whose columns are bytes: the same method, the same wire. */
    private static final MethodDescriptor<RawUpsertRequest, MutationResult> RAW_UPSERT =
            MethodDescriptor.<RawUpsertRequest, MutationResult>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MilvusServiceGrpc.getUpsertMethod().getFullMethodName())
                    .setRequestMarshaller(ProtoUtils.marshaller(RawUpsertRequest.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(MutationResult.getDefaultInstance()))
                    .build();

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetMilvusClient.class);

    private final ManagedChannel channel;
    private final MilvusServiceGrpc.MilvusServiceBlockingStub stub;
    private final long requestTimeoutMs;

    public TargetMilvusClient(MilvusTargetConfig config) {
        this.channel = MilvusChannels.open(config);
        this.stub = MilvusServiceGrpc.newBlockingStub(channel).withMaxOutboundMessageSize(MilvusChannels.MAX_MESSAGE_BYTES);
        this.requestTimeoutMs = config.requestTimeout().toMillis();
    }

    /** Every call has a deadline: a hung call ends as DEADLINE_EXCEEDED and is retried like an outage. */
    private MilvusServiceGrpc.MilvusServiceBlockingStub stub() {
        return stub.withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean apply(TargetOperation op) {
        try {
            if (superseded(op)) {
                return false;
            }
            switch (op.getKindCase()) {
                case CREATE_COLLECTION:
                    createCollection(op.getDatabase(), op.getCollection(), op.getCreateCollection(), op.getIncarnation());
                    break;
                case UPSERT:
                    upsert(op);
                    break;
                case DELETE:
                    delete(op);
                    break;
                case DROP_COLLECTION:
                    dropCollection(op.getDatabase(), op.getCollection());
                    incarnations.put(op.getDatabase() + "." + op.getCollection(), ABSENT);
                    break;
                case CREATE_PARTITION:
                    createPartition(op.getDatabase(), op.getCollection(), op.getCreatePartition().getPartitionName());
                    break;
                case DROP_PARTITION:
                    dropPartition(op);
                    break;
                case DATABASE_COMMAND:
                    database(op.getDatabaseCommand());
                    incarnations.keySet().removeIf(k -> k.startsWith(op.getDatabase() + "."));
                    break;
                case COLLECTION_COMMAND:
                    collectionCommand(op.getCollectionCommand());
                    break;
                default:
                    throw new MilvusTargetException("Unknown operation " + op.getKindCase(), Kind.REFUSED, null);
            }
            return true;
        } catch (StatusRuntimeException e) {
            String tls = MilvusTargetException.tlsFailure(e);
            if (tls != null) { // certificates do not heal by retrying
                throw new MilvusTargetException(describe(op) + ": TLS with the target failed: " + tls,
                        Kind.TARGET_CANNOT_WRITE, e);
            }
            throw new MilvusTargetException(describe(op) + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription(),
                    classify(e.getStatus().getCode()), e);
        }
    }

    /** What this job's own collection properties begin with: its bookkeeping, not the source's. */
    public static final String PROPERTY_PREFIX = "milvus-cdc.";
    /** The collection property that records which source collection a target collection copies. */
    public static final String INCARNATION_PROPERTY = PROPERTY_PREFIX + "incarnation";
    private static final long ABSENT = -1;
    private static final long UNMARKED = 0;

    /** db.collection → the incarnation of the target collection under that name (ABSENT, UNMARKED). */
    private final java.util.Map<String, Long> incarnations = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Whether an operation belongs to another collection than the one now under its name on the
     * target: a checkpoint applied again after a failure may begin with rows of a collection that
     * its own later operations dropped and replaced; those are skipped, not written into the
     * newer collection. Each target collection carries its source collection's create timestamp
     * (the incarnation) as a property.
     */
    private boolean superseded(TargetOperation op) {
        long incarnation = op.getIncarnation();
        if (incarnation == 0 || op.hasDatabaseCommand() || op.getCollection().isEmpty()) {
            return false;
        }
        long current = targetIncarnation(op.getDatabase(), op.getCollection());
        if (op.hasCreateCollection()) {
            return current > UNMARKED && current > incarnation; // a later one is already there
        }
        if (current == ABSENT) {
            // Dropped by a later operation of this checkpoint (applied before a failure); a drop has nothing to do.
            if (!op.hasDropCollection()) {
                LOG.warn("Skipped {} on {}.{} (source timestamp {}): the collection is no longer on the target",
                        op.getKindCase(), op.getDatabase(), op.getCollection(), op.getTimestamp());
            }
            return true;
        }
        return current > UNMARKED && current != incarnation;
    }

    private long targetIncarnation(String db, String name) {
        String key = db + "." + name;
        Long known = incarnations.get(key);
        if (known != null) {
            return known;
        }
        long value;
        if (!databases().contains(db) || !hasCollection(db, name)) {
            value = ABSENT;
        } else {
            value = longProperty(describeCollection(db, name), INCARNATION_PROPERTY, UNMARKED);
        }
        incarnations.put(key, value);
        return value;
    }

    /** gRPC failures: the connection and deadlines may heal; a refused size, call or credential does not. */
    static Kind classify(io.milvus.shaded.io.grpc.Status.Code code) {
        switch (code) {
            case UNAUTHENTICATED:
            case PERMISSION_DENIED:
                return Kind.TARGET_CANNOT_WRITE;
            case RESOURCE_EXHAUSTED: // a message over the server's (or this client's) size limit
                return Kind.TOO_LARGE;
            case INVALID_ARGUMENT:
            case UNIMPLEMENTED:
            case OUT_OF_RANGE:
            case FAILED_PRECONDITION:
                return Kind.REFUSED;
            default:
                return Kind.TRANSIENT;
        }
    }

    private void createCollection(String db, String name, CreateCollection create, long incarnation) {
        long marked = incarnation == 0 ? UNMARKED : targetIncarnation(db, name);
        if (marked > UNMARKED && marked < incarnation) {
            // An earlier collection of this name that this job made: the source dropped it before
            // making this one (a name holds one collection at a time), and its drop never came.
            // At least once: one made and dropped between the restored checkpoint and the restore
            // is applied before the failure but missing from the catalog the restored job reads.
            LOG.info("Collection {}.{} created at {} replaces the one created at {} on the target, whose drop "
                    + "never arrived: dropping that one first", db, name, incarnation, marked);
            dropCollection(db, name);
            incarnations.put(db + "." + name, ABSENT);
        }
        if (hasCollection(db, name)) {
            // Applied again after a failover, or a collection someone made on the target: only
            // the same schema will take the rows.
            io.milvus.grpc.DescribeCollectionResponse existing = describeCollection(db, name);
            String difference = schemaDifference(create.getSchema(), existing.getSchema());
            if (difference != null) {
                throw new MilvusTargetException("Target collection " + db + "." + name + " exists with another schema: "
                        + difference + ". Drop or rename it on the target, or map the source collection to another "
                        + "name (mapping.collections), then resume the job from its latest checkpoint.", Kind.REFUSED, null);
            }
            return;
        }
        createDatabaseIfAbsent(db); // the source's CreateDatabase travels apart and may come later
        boolean partitionKey = create.getSchema().getFieldsList().stream().anyMatch(f -> f.getIsPartitionKey());
        io.milvus.grpc.CreateCollectionRequest.Builder request = io.milvus.grpc.CreateCollectionRequest.newBuilder()
                .setDbName(db)
                .setCollectionName(name)
                .setSchema(create.getSchema().toByteString())
                .setShardsNum(create.getShardsNum())
                .setConsistencyLevel(create.getConsistencyLevel())
                .addAllProperties(create.getPropertiesList());
        if (incarnation != 0) {
            request.addProperties(io.milvus.grpc.KeyValuePair.newBuilder().setKey(INCARNATION_PROPERTY)
                    .setValue(Long.toString(incarnation)));
        }
        if (partitionKey) {
            // The server makes a partition-key collection's partitions itself: ask for as many.
            request.setNumPartitions(create.getPartitionNamesCount());
        }
        check("create collection " + name, stub().createCollection(request.build()));
        incarnations.put(db + "." + name, incarnation == 0 ? UNMARKED : incarnation);
        if (partitionKey) {
            return;
        }
        for (String partition : create.getPartitionNamesList()) {
            createPartition(db, name, partition);
        }
    }

    private void createPartition(String db, String name, String partition) {
        if (!partition.equals("_default") && !hasPartition(db, name, partition)) {
            check("create partition " + partition, stub().createPartition(io.milvus.grpc.CreatePartitionRequest.newBuilder()
                    .setDbName(db).setCollectionName(name).setPartitionName(partition).build()));
        }
    }

    /** The collection property that records when (source time) this job last dropped a partition of a name. */
    static final String PARTITION_DROPPED_PROPERTY = PROPERTY_PREFIX + "partition-dropped.";

    private void dropPartition(TargetOperation op) {
        String db = op.getDatabase();
        String name = op.getCollection();
        String partition = op.getDropPartition().getPartitionName();
        if (!hasCollection(db, name)) {
            return;
        }
        if (hasPartition(db, name, partition)) {
            // 2.3 refuses to drop a loaded partition, and publishes no partition release to replay.
            check("release partition " + partition, stub().releasePartitions(io.milvus.grpc.ReleasePartitionsRequest.newBuilder()
                    .setDbName(db).setCollectionName(name).addPartitionNames(partition).build()));
            check("drop partition " + partition, stub().dropPartition(io.milvus.grpc.DropPartitionRequest.newBuilder()
                    .setDbName(db).setCollectionName(name).setPartitionName(partition).build()));
        }
        if (op.getIncarnation() != 0) {
            // Also when applied again: the drop may have reached the target just before a failure.
            check("record the drop of partition " + partition, stub().alterCollection(
                    io.milvus.grpc.AlterCollectionRequest.newBuilder().setDbName(db).setCollectionName(name)
                            .addProperties(io.milvus.grpc.KeyValuePair.newBuilder()
                                    .setKey(PARTITION_DROPPED_PROPERTY + partition)
                                    .setValue(Long.toString(op.getTimestamp())))
                            .build()));
        }
    }

    private void database(DatabaseCommand command) {
        String db = command.getDbName();
        if (command.hasCreateDatabase()) {
            createDatabaseIfAbsent(db);
        } else if (command.hasDropDatabase() && databases().contains(db)) {
            // The source drops a database only once it has no collection, but 2.3 publishes a
            // collection's DropCollection messages up to seconds after the DropDatabase: drop
            // what is left, so the later DropCollection finds nothing to do.
            io.milvus.grpc.ShowCollectionsResponse left = stub().showCollections(
                    io.milvus.grpc.ShowCollectionsRequest.newBuilder().setDbName(db).build());
            check("list collections of " + db, left.getStatus());
            for (String collection : left.getCollectionNamesList()) {
                if (!command.getKeepCollectionsList().contains(collection)) {
                    dropCollection(db, collection);
                }
            }
            if (command.getKeepCollectionsCount() == 0) {
                check("drop database " + db, stub().dropDatabase(command.getDropDatabase()));
            }
        }
    }

    private void createDatabaseIfAbsent(String db) {
        if (!db.isEmpty() && !databases().contains(db)) {
            Status status = stub().createDatabase(io.milvus.grpc.CreateDatabaseRequest.newBuilder().setDbName(db).build());
            if (!status.getReason().contains("already exist")) {
                check("create database " + db, status);
            }
        }
    }

    private java.util.List<String> databases() {
        ListDatabasesResponse response = stub().listDatabases(ListDatabasesRequest.getDefaultInstance());
        check("list databases", response.getStatus());
        return response.getDbNamesList();
    }

    /** Replicate-channel commands: the source's request, already carrying the target's names. */
    private void collectionCommand(CollectionCommand command) {
        String what = command.getCommandCase().name().toLowerCase() + " on " + command.getDbName() + "."
                + command.getCollectionName();
        Status status;
        switch (command.getCommandCase()) {
            case CREATE_INDEX:
                status = stub().createIndex(command.getCreateIndex());
                // Applied twice after a failover: the same index exists already.
                if (status.getReason().contains("already exist") && !status.getReason().contains("different")) {
                    return;
                }
                break;
            case DROP_INDEX:
                status = stub().dropIndex(command.getDropIndex());
                if (status.getReason().contains("not found") || status.getReason().contains("not exist")) {
                    return;
                }
                break;
            case LOAD_COLLECTION:
                status = stub().loadCollection(command.getLoadCollection());
                break;
            case RELEASE_COLLECTION:
                status = stub().releaseCollection(command.getReleaseCollection());
                break;
            case LOAD_PARTITIONS:
                status = stub().loadPartitions(command.getLoadPartitions());
                break;
            case RELEASE_PARTITIONS:
                status = stub().releasePartitions(command.getReleasePartitions());
                break;
            case FLUSH:
                status = stub().flush(command.getFlush()).getStatus();
                break;
            default:
                throw new MilvusTargetException("Unknown command " + what, Kind.REFUSED, null);
        }
        check(what, status);
    }

    private void upsert(TargetOperation op) {
        String db = op.getDatabase();
        String name = op.getCollection();
        Upsert upsert = op.getUpsert();
        // The columns go out as they came in, still encoded (see RawUpsertRequest).
        MilvusServiceGrpc.MilvusServiceBlockingStub call = stub();
        MutationResult result = ClientCalls.blockingUnaryCall(call.getChannel(), RAW_UPSERT, call.getCallOptions(),
                RawUpsertRequest.newBuilder()
                        .setDbName(db)
                        .setCollectionName(name)
                        .setPartitionName(upsert.getPartitionName())
                        .addAllFieldsData(upsert.getFieldsDataList())
                        .setNumRows(upsert.getNumRows())
                        .build());
        if (droppedLater("upsert " + upsert.getNumRows() + " rows into " + name, result.getStatus(), op,
                upsert.getPartitionName())) {
            // Its rows left with the partition; what it did beside it, deleting its keys from the
            // other partitions, still stands (the replay may just have put them back there).
            io.milvus.grpc.FieldData keys = upsert.getPrimaryField().isEmpty() ? null
                    : RawColumns.find(upsert.getFieldsDataList(), upsert.getPrimaryField());
            if (keys != null) {
                delete(op.toBuilder().setDelete(Delete.newBuilder().setPrimaryField(upsert.getPrimaryField())
                        .setPrimaryKeys(Columns.keyIds(keys))).build());
            }
        }
    }

    /**
     * As {@link #check}, but a write refused for "partition not found" while the target's root
     * coordinator has the partition is transient: a proxy that restarted (or missed the cache
     * invalidation of a create) answers from a stale partition list until it refreshes it. And a
     * write into a partition that this job dropped at a later source time is a replay (a checkpoint
     * applied again after a failure): true, the caller does what remains of it.
     */
    private boolean droppedLater(String what, Status status, TargetOperation op, String partition) {
        Kind kind = classify(status);
        if (kind == Kind.REFUSED && !partition.isEmpty()
                && status.getReason().toLowerCase(java.util.Locale.ROOT).contains("partition not found")) {
            String db = op.getDatabase();
            String name = op.getCollection();
            if (hasPartition(db, name, partition)) {
                expireProxyCache(db, name);
                throw new MilvusTargetException(describe(what, status, Kind.TRANSIENT)
                        + " (the partition exists: the target's proxy has not seen it yet)", Kind.TRANSIENT, null);
            }
            long dropped = longProperty(describeCollection(db, name), PARTITION_DROPPED_PROPERTY + partition, 0);
            if (Long.compareUnsigned(op.getTimestamp(), dropped) < 0) {
                LOG.warn("Applied again: {} on {}.{} (source timestamp {}) went into partition {}, which a later "
                        + "operation (source timestamp {}) has dropped on the target already", op.getKindCase(), db,
                        name, op.getTimestamp(), partition, dropped);
                return true;
            }
        }
        check(what, status);
        return false;
    }

    /**
     * Makes the target's proxies drop their cached view of a collection: altering it (to the
     * incarnation property it already has) is a DDL, after which the root coordinator expires
     * every proxy's cache of it. A collection this job did not create is left alone.
     */
    private void expireProxyCache(String db, String name) {
        io.milvus.grpc.DescribeCollectionResponse d = stub().describeCollection(
                io.milvus.grpc.DescribeCollectionRequest.newBuilder().setDbName(db).setCollectionName(name).build());
        d.getPropertiesList().stream().filter(p -> p.getKey().equals(INCARNATION_PROPERTY)).findFirst().ifPresent(p -> {
            Status altered = stub().alterCollection(io.milvus.grpc.AlterCollectionRequest.newBuilder()
                    .setDbName(db).setCollectionName(name).addProperties(p).build());
            LOG.warn("The target's proxy did not know a partition of {}.{} its root coordinator has; "
                    + "expired its cache ({})", db, name, altered.getReason().isEmpty() ? "ok" : altered.getReason());
        });
    }

    private void delete(TargetOperation op) {
        Delete delete = op.getDelete();
        MutationResult result = stub().delete(io.milvus.grpc.DeleteRequest.newBuilder()
                .setDbName(op.getDatabase())
                .setCollectionName(op.getCollection())
                .setPartitionName(delete.getPartitionName())
                .setExpr(deleteExpression(delete.getPrimaryField(), delete.getPrimaryKeys()))
                .build());
        // Keys deleted from a partition that is gone since: nothing left to do.
        droppedLater("delete from " + op.getCollection(), result.getStatus(), op, delete.getPartitionName());
    }

    private void dropCollection(String db, String name) {
        if (!hasCollection(db, name)) {
            return;
        }
        check("drop collection " + name, stub().dropCollection(io.milvus.grpc.DropCollectionRequest.newBuilder()
                .setDbName(db).setCollectionName(name).build()));
    }

    /** The first difference in user fields (name, type, key, dimensions and lengths), or null. */
    static String schemaDifference(io.milvus.grpc.CollectionSchema wanted, io.milvus.grpc.CollectionSchema existing) {
        java.util.Map<String, String> a = fieldShapes(wanted);
        java.util.Map<String, String> b = fieldShapes(existing);
        if (a.equals(b)) {
            return null;
        }
        java.util.List<String> diffs = new java.util.ArrayList<>();
        for (String f : a.keySet()) {
            if (!b.containsKey(f)) {
                diffs.add("field " + f + " missing on the target (source: " + a.get(f) + ")");
            } else if (!a.get(f).equals(b.get(f))) {
                diffs.add("field " + f + " is " + b.get(f) + " on the target, " + a.get(f) + " on the source");
            }
        }
        for (String f : b.keySet()) {
            if (!a.containsKey(f)) {
                diffs.add("field " + f + " only on the target (" + b.get(f) + ")");
            }
        }
        return String.join("; ", diffs);
    }

    private static java.util.Map<String, String> fieldShapes(io.milvus.grpc.CollectionSchema schema) {
        java.util.Map<String, String> shapes = new java.util.TreeMap<>();
        for (io.milvus.grpc.FieldSchema f : schema.getFieldsList()) {
            if (f.getIsDynamic() || f.getName().equals("$meta") || f.getFieldID() > 0 && f.getFieldID() < 100) {
                continue;
            }
            StringBuilder shape = new StringBuilder(f.getDataType().name());
            if (f.getIsPrimaryKey()) {
                shape.append(" primary key");
            }
            if (f.getElementType() != io.milvus.grpc.DataType.None) {
                shape.append(" of ").append(f.getElementType());
            }
            f.getTypeParamsList().stream()
                    .filter(p -> p.getKey().equals("dim") || p.getKey().equals("max_length") || p.getKey().equals("max_capacity"))
                    .sorted(java.util.Comparator.comparing(io.milvus.grpc.KeyValuePair::getKey))
                    .forEach(p -> shape.append(' ').append(p.getKey()).append('=').append(p.getValue()));
            shapes.put(f.getName(), shape.toString());
        }
        return shapes;
    }

    private io.milvus.grpc.DescribeCollectionResponse describeCollection(String db, String name) {
        io.milvus.grpc.DescribeCollectionResponse d = stub().describeCollection(
                io.milvus.grpc.DescribeCollectionRequest.newBuilder().setDbName(db).setCollectionName(name).build());
        check("describe collection " + name, d.getStatus());
        return d;
    }

    /** A collection property this job set (a number), or {@code absent}. */
    private static long longProperty(io.milvus.grpc.DescribeCollectionResponse d, String key, long absent) {
        return d.getPropertiesList().stream().filter(p -> p.getKey().equals(key))
                .mapToLong(p -> Long.parseLong(p.getValue())).findFirst().orElse(absent);
    }

    public boolean hasCollection(String db, String name) {
        BoolResponse response = stub().hasCollection(HasCollectionRequest.newBuilder().setDbName(db).setCollectionName(name).build());
        check("has collection " + name, response.getStatus());
        return response.getValue();
    }

    private boolean hasPartition(String db, String name, String partition) {
        BoolResponse response = stub().hasPartition(HasPartitionRequest.newBuilder()
                .setDbName(db).setCollectionName(name).setPartitionName(partition).build());
        check("has partition " + partition, response.getStatus());
        return response.getValue();
    }

    /** {@code pk in [..]}: the one delete expression every Milvus 2.x accepts. */
    static String deleteExpression(String primaryField, IDs keys) {
        String list;
        if (keys.hasStrId()) {
            list = keys.getStrId().getDataList().stream().map(TargetMilvusClient::quote).collect(Collectors.joining(","));
        } else {
            list = keys.getIntId().getDataList().stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        return primaryField + " in [" + list + "]";
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** Milvus's own code when the server replicates through its message queue and takes no API writes. */
    static final int DENY_PRODUCE = 1303;

    /** 2.3 servers report failures in the deprecated error_code; newer ones in code. */
    public static void check(String what, Status status) {
        Kind kind = classify(status);
        if (kind != null) {
            throw new MilvusTargetException(describe(what, status, kind), kind, null);
        }
    }

    /** Null for success. */
    @SuppressWarnings("deprecation")
    static Kind classify(Status status) {
        if (status.getErrorCode() == ErrorCode.Success && status.getCode() == 0) {
            return null;
        }
        String reason = status.getReason().toLowerCase(java.util.Locale.ROOT);
        if (status.getCode() == DENY_PRODUCE || reason.contains("deny to write the message to mq")) {
            return Kind.TARGET_CANNOT_WRITE;
        }
        switch (status.getErrorCode()) {
            case RateLimit:
            case ForceDeny:
            case NotReadyServe:
            case DiskQuotaExhausted:
            case MemoryQuotaExhausted:
            case NotReadyCoordActivating:
            case TimeTickLongDelay:
            case NotShardLeader: // routing inside the target: it settles
            case NoReplicaAvailable:
                return Kind.TRANSIENT;
            case PermissionDenied:
                return Kind.TARGET_CANNOT_WRITE;
            default:
                break;
        }
        // Milvus's service errors (1..9: not ready, unavailable, memory, request limit, internal,
        // routing, disk, rate limit, force deny) pass with time; so does what the server calls retriable.
        if (status.getRetriable() || status.getCode() >= 1 && status.getCode() <= 9
                || reason.contains("not ready") || reason.contains("rate limit") || reason.contains("quota")
                || reason.contains("timeout") || reason.contains("unavailable")
                // Its own etcd or broker away (restarting): internal calls time out or are cut.
                || reason.contains("deadline exceeded") || reason.contains("context canceled")
                || reason.contains("connection refused") || reason.contains("etcdserver")
                // Code 65535 is Milvus's catch-all: a call between its own components that failed while
                // it recovers (a node restarted, an allocator without its etcd) passes with time; the
                // same code also carries refusals for good (a vector of the wrong size), which do not.
                || status.getCode() == 65535 && (reason.contains("rpc error") || reason.contains("node not match")
                        || reason.contains("attempt #") || reason.contains("allocator")
                        // Its internal retries abandoned (a node gone with a restart): a load seen so.
                        || reason.contains("unrecoverable error"))) {
            return Kind.TRANSIENT;
        }
        return Kind.REFUSED;
    }

    @SuppressWarnings("deprecation")
    private static String describe(String what, Status status, Kind kind) {
        String message = "Target Milvus refused to " + what + ": " + status.getErrorCode() + " (code " + status.getCode()
                + ") " + status.getReason();
        if (kind == Kind.TARGET_CANNOT_WRITE && (status.getCode() == DENY_PRODUCE
                || status.getReason().contains("deny to write the message to mq"))) {
            return message + ". The target runs with common.ttMsgEnabled: false (the Go Milvus-CDC's replicate mode), "
                    + "which refuses writes through the public API. This job writes through the public API: set "
                    + "common.ttMsgEnabled: true on the target (milvus.yaml) and restart it, then resume the job from "
                    + "its latest checkpoint (flink run -s <checkpoint>).";
        }
        return message;
    }

    private static String describe(TargetOperation op) {
        return op.getKindCase().name().toLowerCase() + " on " + op.getDatabase() + "." + op.getCollection();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdown().awaitTermination(10, TimeUnit.SECONDS);
    }
}
