package io.milvuscdc.connectors.meta.source;

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

    public MetaSourceConfig(List<String> endpoints, String rootPath, String metaSubPath, String username, String password) {
        checkArgument(endpoints != null && !endpoints.isEmpty(), "at least one etcd endpoint is required");
        this.endpoints = List.copyOf(endpoints);
        this.rootPath = rootPath;
        this.metaSubPath = metaSubPath;
        this.username = username;
        this.password = password;
    }

    public List<String> endpoints() {
        return endpoints;
    }

    /** {@code {rootPath}/{metaSubPath}/root-coord/}: everything the catalog needs is below. */
    public String rootCoordPrefix() {
        return rootPath + "/" + metaSubPath + "/root-coord/";
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
                + (username == null ? "" : ", user=" + username + ", password=***") + '}';
    }
}
