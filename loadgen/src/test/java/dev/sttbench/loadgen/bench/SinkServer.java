package dev.sttbench.loadgen.bench;

import dev.sttbench.loadgen.net.WebSocketClientCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;

/**
 * A WebSocket server that accepts the upgrade and then discards everything, on one selector thread: the
 * cheapest possible peer, for measuring how many sessions one load-generator core can drive before its
 * send lag grows (the gateway would otherwise saturate first on a 2-core machine). Reads in 256 KiB
 * chunks, so a hundred frames cost one syscall. Run: {@code java -cp ... SinkServer [port]}; prints
 * {@code listening port=N}.
 */
public final class SinkServer {
    private static final int READ_CHUNK = 256 * 1024;

    private SinkServer() {
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        try (Selector selector = Selector.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8192);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println("listening port=" + ((InetSocketAddress) server.getLocalAddress()).getPort());
            ByteBuffer chunk = ByteBuffer.allocateDirect(READ_CHUNK);
            while (true) {
                selector.select();
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isAcceptable()) {
                        SocketChannel channel = server.accept();
                        if (channel != null) {
                            channel.configureBlocking(false);
                            channel.register(selector, SelectionKey.OP_READ, ByteBuffer.allocate(4096));
                        }
                        continue;
                    }
                    SocketChannel channel = (SocketChannel) key.channel();
                    ByteBuffer head = (ByteBuffer) key.attachment();
                    try {
                        if (head != null) {
                            upgrade(key, channel, head);
                            continue;
                        }
                        chunk.clear();
                        if (channel.read(chunk) < 0) {
                            channel.close();
                        }
                    } catch (IOException e) {
                        channel.close();
                    }
                }
            }
        }
    }

    private static void upgrade(SelectionKey key, SocketChannel channel, ByteBuffer head) throws IOException {
        if (channel.read(head) < 0) {
            channel.close();
            return;
        }
        int end = WebSocketClientCodec.headEnd(head, head.position());
        if (end < 0) {
            return;
        }
        String request = new String(head.array(), 0, end, StandardCharsets.ISO_8859_1);
        String accept = null;
        for (String line : request.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:")) {
                accept = WebSocketClientCodec.acceptFor(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        channel.write(ByteBuffer.wrap(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)));
        key.attach(null);
    }
}
