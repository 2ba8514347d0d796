package dev.sttbench.loadgen.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ring against real loopback sockets. Where io_uring is unavailable (an old kernel, a seccomp profile)
 * {@link IoUring#open} must fail with the errno named, which is what the send path falls back on.
 */
class IoUringTest {
    private record Completion(long userData, int result) {
    }

    /** A connected loopback pair: {@code client} non-blocking (as loadgen's), {@code peer} the server side. */
    private record Loopback(SocketChannel client, SocketChannel peer) implements AutoCloseable {
        static Loopback open(int clientSendBuffer) throws IOException {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                if (clientSendBuffer > 0) {
                    client.setOption(StandardSocketOptions.SO_SNDBUF, clientSendBuffer);
                }
                client.configureBlocking(false);
                return new Loopback(client, server.accept());
            }
        }

        @Override
        public void close() throws IOException {
            client.close();
            peer.close();
        }
    }

    private static IoUring openOrExplain() {
        try {
            return IoUring.open(8);
        } catch (IOException e) {
            assertTrue(e.getMessage().startsWith("io_uring_setup: ") || e.getMessage().contains("Linux"), e.getMessage());
            return null;
        }
    }

    @Test
    void queuedSendsReachThePeerInOrderAfterOneSubmit() throws Exception {
        IoUring ring = openOrExplain();
        if (ring == null) {
            return;
        }
        try (ring; Arena arena = Arena.ofConfined(); Loopback sockets = Loopback.open(0)) {
            SocketChannel peer = sockets.peer();
            int fd = SocketDescriptor.of(sockets.client());
            List<Completion> completions = new ArrayList<>();
            byte[] expected = "first;second;third".getBytes(StandardCharsets.US_ASCII);
            String[] parts = {"first;", "second;", "third"};
            for (int i = 0; i < parts.length; i++) {
                MemorySegment bytes = arena.allocateFrom(parts[i], StandardCharsets.US_ASCII);
                assertTrue(ring.queueSend(fd, bytes.address(), parts[i].length(), 100 + i));
            }
            assertEquals(3, ring.queued());
            assertEquals(3, ring.submit());
            assertEquals(0, ring.queued());
            assertEquals(3, ring.reap((userData, result) -> completions.add(new Completion(userData, result))));
            assertEquals(List.of(new Completion(100, 6), new Completion(101, 7), new Completion(102, 5)), completions);
            ByteBuffer received = ByteBuffer.allocate(expected.length);
            while (received.hasRemaining()) {
                peer.read(received);
            }
            assertArrayEquals(expected, received.array());
            assertEquals(0, ring.reap((userData, result) -> completions.add(new Completion(userData, result))));
        }
    }

    @Test
    void aFullSocketReportsEagainOrAShortSendAndAFullRingRefusesMore() throws Exception {
        IoUring ring = openOrExplain();
        if (ring == null) {
            return;
        }
        try (ring; Arena arena = Arena.ofConfined(); Loopback sockets = Loopback.open(4096)) {
            int fd = SocketDescriptor.of(sockets.client()); // the peer never reads
            MemorySegment chunk = arena.allocate(64 * 1024);
            boolean blocked = false;
            List<Completion> completions = new ArrayList<>();
            for (int round = 0; round < 10_000 && !blocked; round++) {
                assertTrue(ring.queueSend(fd, chunk.address(), (int) chunk.byteSize(), round));
                ring.submit();
                completions.clear();
                ring.reap((userData, result) -> completions.add(new Completion(userData, result)));
                for (Completion c : completions) {
                    blocked |= c.result() == -IoUring.EAGAIN || (c.result() >= 0 && c.result() < chunk.byteSize());
                }
            }
            assertTrue(blocked, "a peer that never reads must eventually refuse or shorten a send");
            for (int i = 0; i < ring.entries(); i++) {
                assertTrue(ring.queueSend(fd, chunk.address(), 1, i));
            }
            assertFalse(ring.queueSend(fd, chunk.address(), 1, -1), "every slot queued");
        }
    }

    @Test
    void aBadDescriptorIsANegativeResultNotACrash() throws Exception {
        IoUring ring = openOrExplain();
        if (ring == null) {
            return;
        }
        try (ring; Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(16);
            assertTrue(ring.queueSend(1_000_000, bytes.address(), 16, 7));
            ring.submit();
            List<Completion> completions = new ArrayList<>();
            ring.reap((userData, result) -> completions.add(new Completion(userData, result)));
            assertEquals(List.of(new Completion(7, -9)), completions, "EBADF");
        }
    }
}
