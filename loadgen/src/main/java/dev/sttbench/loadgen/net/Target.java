package dev.sttbench.loadgen.net;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;

/** Where the sessions connect: a resolved address plus the {@code Host} header and path of a ws:// URL. */
public record Target(InetSocketAddress address, String hostHeader, String path, URI uri) {
    private static final int DEFAULT_WS_PORT = 80;

    /** Parses and resolves a {@code ws://host[:port]/path} URL; {@code wss} is not supported. */
    public static Target parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + url);
        }
        if (!"ws".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("expected ws://host[:port]/path, got " + url);
        }
        int port = uri.getPort() == -1 ? DEFAULT_WS_PORT : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        String host = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + port;
        InetSocketAddress address = new InetSocketAddress(uri.getHost(), port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host " + uri.getHost());
        }
        return new Target(address, host, path, uri);
    }

    /** The same host and port with another path, for the HTTP checks of the conformance suite. */
    public Target withPath(String otherPath) {
        return new Target(address, hostHeader, otherPath, uri);
    }
}
