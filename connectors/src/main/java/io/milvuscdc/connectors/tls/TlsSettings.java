package io.milvuscdc.connectors.tls;

import java.io.Serializable;
import java.util.Objects;

/**
 * TLS towards one server (the target Milvus, etcd): the certificates that verify it, the client
 * certificate it may require, and the name its certificate carries when that is not the host
 * connected to. Paths only: the files are read where the connection is made, on each TaskManager.
 * Every field may be null; none holds a secret (a private key stays in its file).
 */
public final class TlsSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String trustCertPath;
    private final String clientCertPath;
    private final String clientKeyPath;
    private final String serverName;
    private final String minVersion;

    public TlsSettings(String trustCertPath, String clientCertPath, String clientKeyPath, String serverName) {
        this(trustCertPath, clientCertPath, clientKeyPath, serverName, null);
    }

    /**
     * @param trustCertPath PEM of the CA (or of a self-signed server certificate) to verify the server with;
     *     null: the JVM's default trust store
     * @param clientCertPath PEM certificate chain presented to a server that requires one; null: none
     * @param clientKeyPath PKCS#8 PEM private key of {@code clientCertPath}
     * @param serverName the name the server's certificate carries; null: the host of the address
     * @param minVersion the lowest TLS version offered, {@code 1.2} or {@code 1.3}; null: the JVM's default
     */
    public TlsSettings(String trustCertPath, String clientCertPath, String clientKeyPath, String serverName,
                       String minVersion) {
        this.trustCertPath = emptyToNull(trustCertPath);
        this.clientCertPath = emptyToNull(clientCertPath);
        this.clientKeyPath = emptyToNull(clientKeyPath);
        this.serverName = emptyToNull(serverName);
        this.minVersion = emptyToNull(minVersion);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    public String trustCertPath() {
        return trustCertPath;
    }

    public String clientCertPath() {
        return clientCertPath;
    }

    public String clientKeyPath() {
        return clientKeyPath;
    }

    public String serverName() {
        return serverName;
    }

    /** The protocols to offer (JSSE names), or null for the JVM's default. */
    public String[] protocols() {
        if (minVersion == null) {
            return null;
        }
        return "1.3".equals(minVersion) ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"};
    }

    public boolean hasClientCertificate() {
        return clientCertPath != null;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TlsSettings)) {
            return false;
        }
        TlsSettings t = (TlsSettings) o;
        return Objects.equals(trustCertPath, t.trustCertPath) && Objects.equals(clientCertPath, t.clientCertPath)
                && Objects.equals(clientKeyPath, t.clientKeyPath) && Objects.equals(serverName, t.serverName)
                && Objects.equals(minVersion, t.minVersion);
    }

    @Override
    public int hashCode() {
        return Objects.hash(trustCertPath, clientCertPath, clientKeyPath, serverName, minVersion);
    }

    @Override
    public String toString() {
        return "TlsSettings{trust=" + trustCertPath + ", clientCert=" + clientCertPath + ", serverName=" + serverName
                + (minVersion == null ? "" : ", minVersion=" + minVersion) + '}';
    }
}
