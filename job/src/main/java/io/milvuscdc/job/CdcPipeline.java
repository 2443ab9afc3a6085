package io.milvuscdc.job;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.event.OperationRecord;
import io.milvuscdc.connectors.event.Tso;
import io.milvuscdc.connectors.meta.source.EtcdAccessCheck;
import io.milvuscdc.connectors.meta.source.MetaSourceConfig;
import io.milvuscdc.connectors.meta.source.MilvusMetaSource;
import io.milvuscdc.connectors.mq.TimeTickWatermarks;
import io.milvuscdc.connectors.mq.kafka.KafkaAccessCheck;
import io.milvuscdc.connectors.mq.kafka.MilvusKafkaSourceBuilder;
import io.milvuscdc.connectors.mq.pulsar.MilvusPulsarSourceBuilder;
import io.milvuscdc.connectors.mq.pulsar.PulsarAccessCheck;
import io.milvuscdc.connectors.mq.pulsar.PulsarRetention;
import io.milvuscdc.connectors.sink.MilvusSink;
import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.snapshot.source.MilvusSnapshotSource;
import io.milvuscdc.connectors.tls.TlsHandshake;
import io.milvuscdc.connectors.tls.TlsSettings;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException;
import io.milvuscdc.connectors.sink.internal.TargetMilvusClient;
import io.milvuscdc.connectors.sink.internal.TargetWriteProbe;
import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.ConfigException;
import io.milvuscdc.job.deadletter.DeadLetterOutput;
import io.milvuscdc.job.sequencer.CollectionSequencer;
import io.milvuscdc.job.sequencer.TargetNameSequencer;
import io.milvuscdc.job.snapshot.InitialSnapshotPlan;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The job's graph: catalog (etcd) and changes (MQ) → per-collection sequencer → per-target-name
 * sequencer → Milvus sink.
 * Operator uids are a compatibility contract with savepoints: never change them.
 */
public final class CdcPipeline {

    public static final String UID_META_SOURCE = "milvus-meta-source";
    public static final String UID_KAFKA_SOURCE = "milvus-kafka-source";
    public static final String UID_PULSAR_SOURCE = "milvus-pulsar-source";
    public static final String UID_DROP_TIME_TICKS = "drop-time-ticks";
    public static final String UID_SEQUENCER = "collection-sequencer";
    public static final String UID_NAME_SEQUENCER = "target-name-sequencer";
    public static final String UID_SINK = "milvus-sink";
    public static final String UID_SNAPSHOT_SOURCE = "milvus-initial-snapshot";

    /**
     * Source rows per key range of the initial snapshot: the unit of its parallelism and progress,
     * read in one answer (768-dim rows: about 6 MB).
     */
    static final int SNAPSHOT_RANGE_ROWS = 2_000;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CdcPipeline.class);

    /** How long each check at submission waits for a server: {@code flink run} answers within seconds. */
    static final Duration SUBMISSION_CHECK_TIMEOUT = Duration.ofSeconds(10);

    private CdcPipeline() {}

    /** The source's DML and replicate channels, from the queue the source Milvus writes to. */
    private static SingleOutputStreamOperator<ChangeRecord> changes(StreamExecutionEnvironment env, CdcConfig config) {
        if (config.queue == CdcConfig.Queue.PULSAR) {
            // At the job's parallelism: AllTopicsPulsarSource gives every channel a reader.
            return env.fromSource(pulsarSource(config).build(), TimeTickWatermarks.fromTimeTicks(), "Source changes (Pulsar)")
                    .uid(UID_PULSAR_SOURCE);
        }
        MilvusKafkaSourceBuilder kafka = new MilvusKafkaSourceBuilder()
                .setBootstrapServers(config.kafkaAddress)
                .setChannelPrefix(config.channelPrefix)
                .setDmlChannelName(config.dmlChannelName)
                .setReplicateChannel(config.replicateChannel)
                .setGroupId("milvus-cdc-" + config.channelPrefix);
        config.kafkaProperties.forEach(kafka::setProperty);
        if (config.startupMode == CdcConfig.StartupMode.EARLIEST) {
            kafka.setStartFromEarliest();
        } else if (config.startsFromTimestamp()) {
            kafka.setStartFromTimestamp(config.startupTimestampMs);
        }
        kafka.setResumeLostPositionsFromEarliest(config.resumeLostPositionsFromEarliest);
        try {
            if (!KafkaAccessCheck.check(config.kafkaAddress, config.kafkaProperties, kafka.topicPattern(), SUBMISSION_CHECK_TIMEOUT)) {
                LOG.warn("Kafka at {} has no topic of this source's channels ({}) yet: normal for a source Milvus "
                        + "without collections; otherwise check sourceConfig.replicateChan (the source's "
                        + "msgChannel.chanNamePrefix.cluster + -replicate-msg)", config.kafkaAddress, kafka.topicPattern());
            }
            if (config.startsFromTimestamp()) {
                acceptGapOrRefuse(config, "startup.timestamp", KafkaAccessCheck.retentionAfter(config.kafkaAddress,
                        config.kafkaProperties, kafka.topicPattern(), config.startupTimestampMs, SUBMISSION_CHECK_TIMEOUT),
                        "Use a later startup.timestamp");
            } else if (config.startupMode == CdcConfig.StartupMode.POSITIONS) {
                kafka.setStartFromOffsets(retainedOffsets(config), config.startupPositions.fallbackTimestampMs());
            }
        } catch (KafkaAccessCheck.AccessException e) {
            throw new ConfigException("sourceConfig.kafka.address", e.getMessage(),
                    "Set it to the source Milvus's Kafka (its kafka.brokerList), e.g. 127.0.0.1:9092");
        }
        return env.fromSource(kafka.build(), TimeTickWatermarks.fromTimeTicks(), "Source changes (Kafka)")
                .uid(UID_KAFKA_SOURCE);
    }

    /**
     * A start from a place the queue has deleted past would skip changes: refused at submission
     * under {@code key}, naming each channel, unless {@code startup.onLostPosition: earliest}
     * accepts the gap (those channels then start from their earliest retained record).
     */
    private static void acceptGapOrRefuse(CdcConfig config, String key, List<String> lost, String otherFix) {
        if (lost.isEmpty()) {
            return;
        }
        if (config.resumeLostPositionsFromEarliest) {
            LOG.warn("The queue no longer retains where these channels were to start; they start from their earliest "
                    + "retained record, what was deleted before it is not replicated: {}", lost);
            return;
        }
        throw new ConfigException(key, "the queue no longer retains where these channels were to start: "
                + String.join("; ", lost), otherFix + ", or set startup.onLostPosition: earliest to start those "
                + "channels from their earliest retained record (what was deleted is not replicated)");
    }

    /**
     * The given Kafka offsets, checked against what each channel retains: a channel without a
     * topic or an offset past its end is not a position of this source; an offset below the
     * earliest retained one is a gap ({@link #acceptGapOrRefuse}), accepted by starting there.
     */
    private static Map<String, Long> retainedOffsets(CdcConfig config) {
        Map<String, Long> offsets = new java.util.TreeMap<>(config.startupPositions.kafkaOffsets());
        Map<String, long[]> ranges = KafkaAccessCheck.retainedRanges(config.kafkaAddress, config.kafkaProperties,
                offsets.keySet(), SUBMISSION_CHECK_TIMEOUT);
        String fix = "Take the positions from this source (its etcd's channel checkpoints, or the backup made of it)";
        List<String> lost = new java.util.ArrayList<>();
        for (Map.Entry<String, Long> e : offsets.entrySet()) {
            long[] range = ranges.get(e.getKey());
            if (range == null) {
                throw new ConfigException("startup.positions", "channel " + e.getKey() + " does not exist on Kafka at "
                        + config.kafkaAddress, fix);
            }
            if (e.getValue() > range[1]) {
                throw new ConfigException("startup.positions", "channel " + e.getKey() + ": offset " + e.getValue()
                        + " is past its end (" + range[1] + ")", fix);
            }
            if (e.getValue() < range[0]) {
                lost.add("channel " + e.getKey() + " (partition 0): offsets " + e.getValue() + " to " + (range[0] - 1)
                        + " deleted");
                e.setValue(range[0]);
            }
        }
        acceptGapOrRefuse(config, "startup.positions", lost, "Use newer positions");
        return offsets;
    }

    /** The Pulsar source of a config, once the broker has accepted its credentials. */
    static MilvusPulsarSourceBuilder pulsarSource(CdcConfig config) {
        MilvusPulsarSourceBuilder pulsar = new MilvusPulsarSourceBuilder()
                .setServiceUrl(config.pulsarServiceUrl)
                .setTenant(config.pulsarTenant)
                .setNamespace(config.pulsarNamespace)
                .setChannelPrefix(config.channelPrefix)
                .setDmlChannelName(config.dmlChannelName)
                .setReplicateChannel(config.replicateChannel)
                .setAuthentication(config.pulsarAuthPlugin, config.pulsarAuthParams)
                .setTlsTrustCertsFilePath(config.pulsarTlsTrustCertsPath)
                // One subscription per source and target: two jobs that replicate one source into
                // two targets must not share a (exclusive) subscription.
                .setSubscriptionName("milvus-cdc-" + config.channelPrefix + "-"
                        + Integer.toHexString(config.targetUri.hashCode()));
        if (config.startupMode == CdcConfig.StartupMode.EARLIEST) {
            pulsar.setStartFromEarliest();
        } else if (config.startsFromTimestamp()) {
            pulsar.setStartFromTimestamp(config.startupTimestampMs);
        }
        checkPulsarAccess(config, pulsar.replicateTopic());
        if (config.startupMode == CdcConfig.StartupMode.POSITIONS) {
            pulsar.setStartFromMessageIds(retainedMessageIds(config, pulsar.namespaceTopicPrefix()),
                    config.startupPositions.fallbackTimestampMs());
        }
        return pulsar;
    }

    /**
     * The given Pulsar message ids, checked against each channel's first retained message: a
     * channel holding nothing is not a channel of this source; a position before the first
     * retained message is a gap ({@link #acceptGapOrRefuse}), accepted by starting there.
     */
    private static Map<String, long[]> retainedMessageIds(CdcConfig config, String namespaceTopicPrefix) {
        PulsarRetention.Checked checked;
        try (PulsarClient client = PulsarAccessCheck.connect(config.pulsarServiceUrl, config.pulsarAuthPlugin,
                config.pulsarAuthParams, config.pulsarTlsTrustCertsPath, SUBMISSION_CHECK_TIMEOUT)) {
            checked = PulsarRetention.check(client, namespaceTopicPrefix, config.startupPositions.pulsarMessageIds(),
                    SUBMISSION_CHECK_TIMEOUT);
        } catch (PulsarClientException | IllegalStateException e) {
            throw new ConfigException("sourceConfig.pulsar.address", "cannot read the channels of startup.positions: "
                    + e.getMessage(), "Check that the broker is up and the job's credentials may read the channels");
        }
        String fix = "Take the positions from this source (its etcd's channel checkpoints, or the backup made of it)";
        if (!checked.empty().isEmpty()) {
            throw new ConfigException("startup.positions", "channel " + String.join(", ", checked.empty())
                    + " holds no message on Pulsar at " + config.pulsarServiceUrl + " (" + namespaceTopicPrefix + ")", fix);
        }
        acceptGapOrRefuse(config, "startup.positions", checked.lost(), "Use newer positions");
        return checked.startIds();
    }

    /**
     * Checkpoints are the only record of progress: without a directory Flink keeps them in the
     * JobManager's memory, lost with it and limited to 5 MiB of state, which a burst of rows
     * exceeds (every checkpoint then fails and the job restarts forever).
     */
    static void requireDurableCheckpoints(StreamExecutionEnvironment env) {
        if (env.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
            throw new ConfigException("checkpointDir", "no checkpoint directory: Flink would keep the job's checkpoints "
                    + "in the JobManager's memory (at most 5 MiB, lost with the JobManager)",
                    "Set execution.checkpointing.dir in the Flink configuration (as flink-conf/config.yaml does) "
                            + "or checkpointDir in cdc.yaml, e.g. file:///var/lib/milvus-cdc/checkpoints");
        }
    }

    /**
     * A target that cannot take this job's writes at all (replicate mode, refused credentials)
     * stops the submission with the fix, instead of a job that starts and stops at its first row.
     */
    static void checkTargetTakesWrites(MilvusTargetConfig target) {
        MilvusTargetConfig probe = new MilvusTargetConfig(target.uri(), target.token(), target.retryTimeout(),
                SUBMISSION_CHECK_TIMEOUT).withTls(target.tlsSettings());
        try (TargetMilvusClient client = new TargetMilvusClient(probe)) {
            TargetWriteProbe.check(client);
        } catch (MilvusTargetException e) {
            if (target.tls()) {
                checkTargetTls(target);
            }
            String tls = e.tlsFailure();
            if (tls != null && tls.startsWith("NotSslRecordException")) {
                throw new ConfigException("targetConfig.uri", "the target Milvus at " + target.uri()
                        + " does not speak TLS (" + tls + ")", "Use http:// for a target without TLS");
            }
            if (tls != null) {
                throw new ConfigException("targetConfig.dialConfig", "TLS with the target Milvus at " + target.uri()
                        + " failed: " + tls, "Set dialConfig.caPemPath to the CA that signed the target's certificate, "
                        + "dialConfig.serverName to a name the certificate carries, and dialConfig.clientPemPath/"
                        + "clientKeyPath (PKCS#8 PEM) if the target requires a client certificate (tlsMode 2)");
            }
            if (e.kind() == MilvusTargetException.Kind.TRANSIENT) {
                throw new ConfigException("targetConfig.uri", "the target Milvus at " + target.uri()
                        + " did not answer within " + SUBMISSION_CHECK_TIMEOUT.toSeconds() + " s: " + e.getMessage(),
                        "Set it to the target's address and port (https:// for a TLS target, http:// otherwise); "
                                + "if the target is only busy, submit again once it answers");
            }
            throw new ConfigException("targetConfig", "the target Milvus at " + target.uri() + " takes no writes: "
                    + e.getMessage(), "Fix the target as said, or set targetConfig.token to credentials it accepts");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** gRPC reports a failed handshake as "unavailable" at best: one handshake of our own names the setting. */
    private static void checkTargetTls(MilvusTargetConfig target) {
        TlsSettings tls = target.tlsSettings() != null ? target.tlsSettings() : new TlsSettings(null, null, null, null);
        TlsHandshake.Failure failure = TlsHandshake.failure(target.host(), target.port(), tls, Duration.ofSeconds(5));
        if (failure == null) {
            return;
        }
        String what = "TLS with the target Milvus at " + target.uri() + " failed: " + failure.reason();
        switch (failure.problem()) {
            case TRUST:
                throw new ConfigException("targetConfig.dialConfig.caPemPath", what,
                        "Set it to the PEM of the CA that signed the target's certificate (or serverPemPath to a "
                                + "self-signed target certificate)");
            case SERVER_NAME:
                throw new ConfigException("targetConfig.dialConfig.serverName", what,
                        "Set it to a name the target's certificate carries (its subjectAltName)");
            case CLIENT_CERTIFICATE:
                throw new ConfigException("targetConfig.dialConfig.clientPemPath", what,
                        "The target requires a client certificate (tlsMode 2): set clientPemPath and clientKeyPath "
                                + "(PKCS#8 PEM) to one signed by the CA the target trusts");
            case FILES:
                throw new ConfigException("targetConfig.dialConfig", what, "Give readable PEM files");
            default:
                // not a TLS setting (e.g. a target without TLS): the caller says what it saw
        }
    }

    /** An unreachable etcd, refused credentials or a root path no Milvus uses stop the submission. */
    static void checkEtcd(MetaSourceConfig etcd) {
        try {
            EtcdAccessCheck.check(etcd, SUBMISSION_CHECK_TIMEOUT);
        } catch (EtcdAccessCheck.AccessException e) {
            switch (e.problem()) {
                case CREDENTIALS:
                    throw new ConfigException("sourceConfig.etcd.password", e.getMessage(),
                            "Set sourceConfig.etcd.username/password (with enableAuth: true) to a user etcd accepts");
                case TLS:
                    switch (e.tlsProblem()) {
                        case TRUST:
                            throw new ConfigException("sourceConfig.etcd.tlsCACertPath", e.getMessage(),
                                    "Set it to the PEM of the CA that signed etcd's server certificate");
                        case SERVER_NAME:
                            throw new ConfigException("sourceConfig.etcd.serverName", e.getMessage(),
                                    "Set it to a name etcd's certificate carries, or use that name in the address");
                        case CLIENT_CERTIFICATE:
                            throw new ConfigException("sourceConfig.etcd.tlsCertPath", e.getMessage(),
                                    "etcd requires a client certificate (--client-cert-auth): set tlsCertPath and "
                                            + "tlsKeyPath (PKCS#8 PEM) to one signed by its trusted CA");
                        default:
                            throw new ConfigException("sourceConfig.etcd.tlsKeyPath", e.getMessage(),
                                    "Give readable PEM files: a certificate and its PKCS#8 key");
                    }
                case NO_MILVUS:
                    throw new ConfigException("sourceConfig.etcd.rootPath", e.getMessage(),
                            "Set rootPath/metaSubPath to the source Milvus's etcd.rootPath and etcd.metaSubPath "
                                    + "(by-dev and meta unless changed)");
                default:
                    throw new ConfigException("sourceConfig.etcd.address", e.getMessage(),
                            "Set it to the source Milvus's etcd endpoints, e.g. [http://127.0.0.1:2379]");
            }
        }
    }

    /** A refused token or a wrong address stops the submission, naming the key to fix. */
    private static void checkPulsarAccess(CdcConfig config, String topic) {
        try {
            PulsarAccessCheck.check(config.pulsarServiceUrl, config.pulsarAuthPlugin, config.pulsarAuthParams,
                    config.pulsarTlsTrustCertsPath, topic,
                    Duration.ofSeconds(10));
        } catch (PulsarAccessCheck.AccessException e) {
            throw e.isAuthentication()
                    ? new ConfigException("sourceConfig.pulsar.authParams", e.getMessage(),
                            "Set authPlugin/authParams to credentials the broker accepts, e.g. "
                                    + "org.apache.pulsar.client.impl.auth.AuthenticationToken and token:<jwt>")
                    : new ConfigException("sourceConfig.pulsar.address", e.getMessage(),
                            "Set it to the source Milvus's Pulsar, e.g. pulsar://127.0.0.1:6650");
        }
    }

    public static void build(StreamExecutionEnvironment env, CdcConfig config) {
        env.enableCheckpointing(config.checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        // Buffered operations, operations waiting for their checkpoint and the catalog can outgrow
        // the heap: keyed state lives in RocksDB.
        Configuration state = new Configuration();
        state.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        // The sink's pending operations are state too: each checkpoint uploads only what is new.
        state.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        if (config.checkpointDir != null) {
            state.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, config.checkpointDir);
        }
        env.configure(state);
        requireDurableCheckpoints(env);
        MilvusSink sink = MilvusSink.builder()
                .setUri(config.targetUri)
                .setToken(config.targetToken)
                .setRetryTimeout(config.targetRetryTimeout)
                .setRequestTimeout(config.targetRequestTimeout)
                .setMaxRowsPerBatch(config.maxRowsPerBatch)
                .setMaxBytesPerBatch(config.maxBytesPerBatch)
                .setMaxInFlight(config.maxInFlight)
                .setOnRefused(config.onRefused)
                .setDelivery(config.delivery)
                .setTls(config.targetTls)
                .build();
        checkTargetTakesWrites(sink.target());

        MilvusMetaSource metaSource = MilvusMetaSource.builder()
                .setEndpoints(config.etcdEndpoints)
                .setRootPath(config.etcdRootPath)
                .setMetaSubPath(config.etcdMetaSubPath)
                .setCredentials(config.etcdUsername, config.etcdPassword)
                .setTls(config.etcdTls)
                .build();
        checkEtcd(metaSource.config());
        DataStream<ChangeRecord> catalog = env
                .fromSource(metaSource, TimeTickWatermarks.fromCatalogReader(), "Source catalog (etcd)")
                .uid(UID_META_SOURCE)
                .setParallelism(1);

        InitialSnapshotPlan snapshot = null;
        if (config.startupMode == CdcConfig.StartupMode.INITIAL) {
            // A job restored from a savepoint continues the copy its state holds: nothing is planned anew.
            boolean restoring = env.getConfiguration().getOptional(StateRecoveryOptions.SAVEPOINT_PATH).isPresent();
            try {
                snapshot = restoring ? InitialSnapshotPlan.none(System.currentTimeMillis())
                        : InitialSnapshotPlan.make(config, System.currentTimeMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while planning the initial snapshot", e);
            }
            config.startupTimestampMs = snapshot.startMillis; // the stream starts before the copy
            LOG.info("Initial snapshot of {} collections; changes from {} on", snapshot.collections.size(),
                    java.time.Instant.ofEpochMilli(snapshot.startMillis));
        }
        SingleOutputStreamOperator<ChangeRecord> source = changes(env, config);
        DataStream<ChangeRecord> changes = source
                // Ticks have moved the watermark in the source: no need to ship them further.
                .filter(r -> !r.timeTick)
                .uid(UID_DROP_TIME_TICKS)
                .name("Drop time ticks")
                // Chained to the source, so that ticks never cross the network.
                .setParallelism(source.getParallelism());

        DataStream<ChangeRecord> events = catalog.union(changes);
        Map<Long, List<byte[]>> initialCopy = Map.of();
        Map<Long, Long> initialRows = Map.of();
        if (snapshot != null) {
            long tso = Tso.ofMillis(snapshot.startMillis);
            events = events.union(env.fromSource(new MilvusSnapshotSource(config.sourceMilvus("startup.mode: initial"),
                            snapshot.collections, SNAPSHOT_RANGE_ROWS, tso),
                    TimeTickWatermarks.heldBelow(tso), "Initial snapshot (source API)").uid(UID_SNAPSHOT_SOURCE));
            initialCopy = snapshot.afterCopy;
            initialRows = snapshot.rows;
        }
        SingleOutputStreamOperator<OperationRecord> perCollection = events
                .keyBy(r -> r.collectionId)
                .process(new CollectionSequencer(config.selection, initialCopy, initialRows)
                        .withDefaultPartitionNames(config.defaultPartitionName, config.targetDefaultPartitionName))
                .uid(UID_SEQUENCER)
                .name("Collection sequencer");

        DataStream<OperationRecord> operations = perCollection
                .keyBy(TargetNameSequencer.BY_DATABASE)
                .process(new TargetNameSequencer())
                .uid(UID_NAME_SEQUENCER)
                .name("Target database sequencer");

        // The sink keeps the sequencer's keys (target database) and is chained to it (MilvusSinkTest): no exchange.
        KeyedStream<OperationRecord, String> perDatabase =
                DataStreamUtils.reinterpretAsKeyedStream(operations, TargetNameSequencer.BY_DATABASE, Types.STRING);
        DataStream<DeadLetter> refused = sink.addTo(perDatabase)
                .uid(UID_SINK)
                .name("Target Milvus");

        DeadLetterOutput.attach(perCollection.getSideOutput(CollectionSequencer.DEAD_LETTER).union(refused), config);
    }
}
