package io.milvuscdc.connectors.meta.source;

import io.milvuscdc.connectors.tls.TlsSettings;
import io.milvuscdc.connectors.event.ChangeRecord;
import io.milvuscdc.connectors.meta.source.enumerator.MetaEnumState;
import io.milvuscdc.connectors.meta.source.enumerator.MetaEnumStateSerializer;
import io.milvuscdc.connectors.meta.source.enumerator.MetaSplitEnumerator;
import io.milvuscdc.connectors.meta.source.reader.MetaSourceReader;
import io.milvuscdc.connectors.meta.source.split.MetaSplit;
import io.milvuscdc.connectors.meta.source.split.MetaSplitSerializer;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.util.List;

/**
 * A FLIP-27 source of the source Milvus's catalog (databases, collections with their schema,
 * drops), read from etcd. One split; its state is the last etcd revision emitted.
 */
public final class MilvusMetaSource
        implements Source<ChangeRecord, MetaSplit, MetaEnumState>, ResultTypeQueryable<ChangeRecord> {

    private static final long serialVersionUID = 1L;

    private final MetaSourceConfig config;

    private MilvusMetaSource(MetaSourceConfig config) {
        this.config = config;
    }

    /** How the source's etcd is reached (for the submission's access check). */
    public MetaSourceConfig config() {
        return config;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<ChangeRecord, MetaSplit> createReader(SourceReaderContext readerContext) {
        return new MetaSourceReader(config, readerContext);
    }

    @Override
    public SplitEnumerator<MetaSplit, MetaEnumState> createEnumerator(SplitEnumeratorContext<MetaSplit> context) {
        return new MetaSplitEnumerator(context, new MetaSplit(0));
    }

    @Override
    public SplitEnumerator<MetaSplit, MetaEnumState> restoreEnumerator(
            SplitEnumeratorContext<MetaSplit> context, MetaEnumState checkpoint) {
        return new MetaSplitEnumerator(context, checkpoint.unassigned());
    }

    @Override
    public SimpleVersionedSerializer<MetaSplit> getSplitSerializer() {
        return MetaSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<MetaEnumState> getEnumeratorCheckpointSerializer() {
        return new MetaEnumStateSerializer();
    }

    @Override
    public TypeInformation<ChangeRecord> getProducedType() {
        return TypeInformation.of(ChangeRecord.class);
    }

    /** Milvus's own defaults of etcd.rootPath and etcd.metaSubPath. */
    public static final String DEFAULT_ROOT_PATH = "by-dev";
    public static final String DEFAULT_META_SUB_PATH = "meta";

    /** Builds a {@link MilvusMetaSource}. */
    public static final class Builder {
        private List<String> endpoints;
        private String rootPath = DEFAULT_ROOT_PATH;
        private String metaSubPath = DEFAULT_META_SUB_PATH;
        private String username;
        private String password;
        private TlsSettings tls;

        public Builder setEndpoints(List<String> endpoints) {
            this.endpoints = endpoints;
            return this;
        }

        /** The source's {@code etcd.rootPath} ({@code by-dev} by default). */
        public Builder setRootPath(String rootPath) {
            this.rootPath = rootPath;
            return this;
        }

        /** The source's {@code etcd.metaSubPath} ({@code meta} by default). */
        public Builder setMetaSubPath(String metaSubPath) {
            this.metaSubPath = metaSubPath;
            return this;
        }

        public Builder setCredentials(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        /** Certificates for {@code https://} endpoints (null: the JVM's trust store, no client certificate). */
        public Builder setTls(TlsSettings tls) {
            this.tls = tls;
            return this;
        }

        public MilvusMetaSource build() {
            return new MilvusMetaSource(new MetaSourceConfig(endpoints, rootPath, metaSubPath, username, password)
                    .withTls(tls));
        }
    }
}
