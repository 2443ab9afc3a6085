package io.milvuscdc.connectors.tls;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * One TLS handshake with the JDK, with the same files a client of the job uses: gRPC clients that
 * retry a failed handshake until their deadline report only "unavailable", this names the cause
 * (an untrusted certificate, a server name it does not carry, a client certificate refused).
 */
public final class TlsHandshake {

    /** What a failed handshake points at. */
    public enum Problem { TRUST, SERVER_NAME, CLIENT_CERTIFICATE, FILES, OTHER }

    /** A failed handshake: {@link #problem()} says which setting to fix. */
    public static final class Failure {
        private final Problem problem;
        private final String reason;

        Failure(Problem problem, String reason) {
            this.problem = problem;
            this.reason = reason;
        }

        public Problem problem() {
            return problem;
        }

        public String reason() {
            return reason;
        }

        @Override
        public String toString() {
            return problem + ": " + reason;
        }
    }

    private TlsHandshake() {}

    /** Null when a handshake with {@code host:port} succeeds with {@code tls}, else why not. */
    public static Failure failure(String host, int port, TlsSettings tls, Duration timeout) {
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(keyManagers(tls), trustManagers(tls), null);
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            return new Failure(Problem.FILES, "cannot use the TLS files " + tls + ": " + e.getMessage());
        }
        int timeoutMs = (int) timeout.toMillis();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(host, port), timeoutMs);
            socket.setSoTimeout(timeoutMs);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS"); // with SNI, the name checked is the SNI name
            if (tls.protocols() != null) {
                parameters.setProtocols(tls.protocols());
            }
            String name = tls.serverName() != null ? tls.serverName() : host;
            if (!name.matches("[0-9.]+|.*:.*")) {
                parameters.setServerNames(List.of(new SNIHostName(name)));
            }
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            // With TLS 1.3 a server refuses the client's certificate after the client's side of the
            // handshake: its alert arrives with the first read. A server that waits for the
            // client to speak (gRPC) lets the read time out: the handshake passed.
            socket.setSoTimeout(1000);
            try {
                socket.getInputStream().read();
            } catch (SocketTimeoutException e) {
                return null;
            }
            return null;
        } catch (javax.net.ssl.SSLException e) {
            return classify(e);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            // A refused client certificate may end the connection without a readable alert.
            return new Failure(m.contains("reset") || m.contains("closed") || m.contains("Broken pipe")
                    ? Problem.CLIENT_CERTIFICATE : Problem.OTHER, e.getClass().getSimpleName() + ": " + m);
        }
    }

    static Failure classify(javax.net.ssl.SSLException e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(' ');
        }
        String m = all.toString();
        String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
            return new Failure(Problem.SERVER_NAME, reason);
        }
        if (m.contains("PKIX") || m.contains("certification path") || m.contains("signature check failed")) {
            return new Failure(Problem.TRUST, reason);
        }
        if (m.contains("bad_certificate") || m.contains("certificate_required") || m.contains("certificate_unknown")
                || m.contains("unknown_ca")) {
            return new Failure(Problem.CLIENT_CERTIFICATE, reason);
        }
        return new Failure(Problem.OTHER, reason);
    }

    private static javax.net.ssl.TrustManager[] trustManagers(TlsSettings tls) throws GeneralSecurityException, IOException {
        if (tls.trustCertPath() == null) {
            return null; // the JVM's default trust store
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate c : certificates(tls.trustCertPath())) {
            store.setCertificateEntry("ca-" + i++, c);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    private static javax.net.ssl.KeyManager[] keyManagers(TlsSettings tls) throws GeneralSecurityException, IOException {
        if (!tls.hasClientCertificate()) {
            return null;
        }
        char[] password = new char[0];
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", privateKey(tls.clientKeyPath()), password,
                certificates(tls.clientCertPath()).toArray(new Certificate[0]));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, password);
        return factory.getKeyManagers();
    }

    private static Collection<? extends Certificate> certificates(String path) throws GeneralSecurityException, IOException {
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    /** A PKCS#8 PEM key ({@code BEGIN PRIVATE KEY}), RSA or EC, as gRPC's and etcd's Java clients take. */
    private static PrivateKey privateKey(String path) throws GeneralSecurityException, IOException {
        String pem = Files.readString(Path.of(path), StandardCharsets.US_ASCII);
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IllegalArgumentException(path + " is not a PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with "
                    + "'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem'");
        }
        String body = pem.substring(pem.indexOf("-----BEGIN PRIVATE KEY-----") + 27, pem.indexOf("-----END PRIVATE KEY-----"));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(body));
        GeneralSecurityException last = null;
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }
}
