package io.milvuscdc.connectors.sink.internal;

import io.milvuscdc.connectors.sink.MilvusTargetConfig;
import io.milvuscdc.connectors.sink.internal.MilvusTargetException.Kind;
import io.milvuscdc.connectors.tls.TlsSettings;

import io.milvus.shaded.io.grpc.ManagedChannel;
import io.milvus.shaded.io.grpc.Metadata;
import io.milvus.shaded.io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.milvus.shaded.io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.milvus.shaded.io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.milvus.shaded.io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.milvus.shaded.io.grpc.stub.MetadataUtils;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A gRPC channel to a Milvus's public API: plain or TLS, with its token on every call. */
public final class MilvusChannels {

    /** Large enough for any batch the sink sends and any page a query returns. */
    public static final int MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

    private MilvusChannels() {}

    public static ManagedChannel open(MilvusTargetConfig config) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(config.host(), config.port())
                .maxInboundMessageSize(MAX_MESSAGE_BYTES);
        if (!config.tls()) {
            builder.usePlaintext();
        } else if (config.tlsSettings() != null) {
            TlsSettings tls = config.tlsSettings();
            builder.useTransportSecurity().sslContext(sslContext(tls));
            if (tls.serverName() != null) {
                builder.overrideAuthority(tls.serverName());
            }
        }
        Metadata headers = new Metadata();
        if (config.token() != null && !config.token().isEmpty()) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                    Base64.getEncoder().encodeToString(config.token().getBytes(StandardCharsets.UTF_8)));
        }
        return builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }

    /** Trust and client certificate from PEM files; a file that cannot be read is a configuration error. */
    private static SslContext sslContext(TlsSettings tls) {
        try {
            SslContextBuilder b = GrpcSslContexts.forClient();
            if (tls.trustCertPath() != null) {
                b.trustManager(new File(tls.trustCertPath()));
            }
            if (tls.hasClientCertificate()) {
                b.keyManager(new File(tls.clientCertPath()), new File(tls.clientKeyPath()));
            }
            if (tls.protocols() != null) {
                b.protocols(tls.protocols());
            }
            return b.build();
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            throw new MilvusTargetException("cannot use the TLS files " + tls + ": " + e.getMessage(), Kind.TARGET_CANNOT_WRITE, e);
        }
    }
}
