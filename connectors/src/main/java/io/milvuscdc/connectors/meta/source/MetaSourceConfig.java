package io.milvuscdc.connectors.meta.source;

import io.milvuscdc.connectors.tls.TlsSettings;

import java.io.Serializable;
import java.util.List;

import static org.apache.flink.util.Preconditions.checkArgument;

/** Where the source Milvus keeps its catalog in etcd. The password is never printed. */
public final class MetaSourceConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    private final List<String> endpoints;
    private final String rootPath;
    private final String metaSubPath;
    private final String username;
    private final String password;
    private final TlsSettings tls;

    public MetaSourceConfig(List<String> endpoints, String rootPath, String metaSubPath, String username, String password) {
        this(endpoints, rootPath, metaSubPath, username, password, null);
    }

    private MetaSourceConfig(List<String> endpoints, String rootPath, String metaSubPath, String username, String password,
                             TlsSettings tls) {
        checkArgument(endpoints != null && !endpoints.isEmpty(), "at least one etcd endpoint is required");
        this.endpoints = List.copyOf(endpoints);
        this.rootPath = rootPath;
        this.metaSubPath = metaSubPath;
        this.username = username;
        this.password = password;
        this.tls = tls;
    }

    /** The same etcd over TLS with these certificates; null: the JVM's trust store, no client certificate. */
    public MetaSourceConfig withTls(TlsSettings tls) {
        return new MetaSourceConfig(endpoints, rootPath, metaSubPath, username, password, tls);
    }

    public TlsSettings tls() {
        return tls;
    }

    public List<String> endpoints() {
        return endpoints;
    }

    /** {@code {rootPath}/{metaSubPath}/root-coord/}: everything the catalog needs is below. */
    public String rootCoordPrefix() {
        return rootPath + "/" + metaSubPath + "/root-coord/";
    }

    /** {@code {rootPath}/{metaSubPath}/}: a running (or once run) Milvus has keys below. */
    public String metaPrefix() {
        return rootPath + "/" + metaSubPath + "/";
    }

    /** A client to this etcd with these credentials. */
    public io.etcd.jetcd.Client newClient() {
        io.etcd.jetcd.ClientBuilder builder = io.etcd.jetcd.Client.builder().endpoints(endpoints.toArray(new String[0]));
        if (username != null && !username.isEmpty()) {
            builder.user(io.etcd.jetcd.ByteSequence.from(username, java.nio.charset.StandardCharsets.UTF_8))
                    .password(io.etcd.jetcd.ByteSequence.from(password == null ? "" : password,
                            java.nio.charset.StandardCharsets.UTF_8));
        }
        if (tls != null) {
            try {
                builder.sslContext(b -> {
                    if (tls.trustCertPath() != null) {
                        b.trustManager(new java.io.File(tls.trustCertPath()));
                    }
                    if (tls.hasClientCertificate()) {
                        b.keyManager(new java.io.File(tls.clientCertPath()), new java.io.File(tls.clientKeyPath()));
                    }
                    if (tls.protocols() != null) {
                        b.protocols(tls.protocols());
                    }
                });
            } catch (javax.net.ssl.SSLException e) {
                throw new IllegalArgumentException("cannot use the etcd TLS files " + tls + ": " + e.getMessage(), e);
            }
            if (tls.serverName() != null) {
                builder.authority(tls.serverName());
            }
        }
        return builder.build();
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    @Override
    public String toString() {
        return "MetaSourceConfig{endpoints=" + endpoints + ", root=" + rootPath + "/" + metaSubPath
                + (username == null ? "" : ", user=" + username + ", password=***") + (tls == null ? "" : ", " + tls) + '}';
    }
}
