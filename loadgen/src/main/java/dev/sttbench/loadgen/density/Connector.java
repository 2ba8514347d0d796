package dev.sttbench.loadgen.density;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.List;

/** Opens a connection's socket: non-blocking, bound to its source address if any, connect started. */
final class Connector {
    private final Selector selector;
    private final InetSocketAddress remote;
    /** Port 0 on each source address; empty when the kernel picks the source. */
    private final InetSocketAddress[] binds;

    Connector(Selector selector, InetSocketAddress remote, List<InetAddress> sources) {
        this.selector = selector;
        this.remote = remote;
        this.binds = sources.stream().map(address -> new InetSocketAddress(address, 0)).toArray(InetSocketAddress[]::new);
    }

    /** Starts connecting {@code c}; true when it connected at once (then OP_CONNECT never fires). */
    boolean connect(Connection c) throws IOException {
        SocketChannel channel = SocketChannel.open();
        c.channel = channel;
        channel.configureBlocking(false);
        // Our frames are small and each should leave at once.
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (binds.length > 0) {
            // Round robin, so every address carries its share from the first connection on.
            channel.bind(binds[c.index % binds.length]);
        }
        c.key = channel.register(selector, SelectionKey.OP_CONNECT, c);
        return channel.connect(remote);
    }
}
