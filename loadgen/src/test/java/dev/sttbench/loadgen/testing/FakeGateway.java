package dev.sttbench.loadgen.testing;

import dev.sttbench.loadgen.net.WebSocketClientCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small thread-per-connection gateway for tests: it speaks just enough of PROTOCOL.md §1 to drive the
 * load generator (upgrade, start, 640-byte frames, a partial per flush, ping/pong, close handshake), and
 * its {@link Behaviour} lets a test make it break the contract in one chosen way.
 */
public final class FakeGateway implements AutoCloseable {
    /** How the gateway deviates from the contract. */
    public enum Behaviour {
        CONFORMING,
        /** Leaves the first frame out of every session's first batch (a lost frame). */
        LOSE_FIRST_FRAME,
        /** Adds a key to every partial. */
        EXTRA_KEY,
        /** Sends an error frame for every batch instead of a partial. */
        ERROR_FRAMES,
        /** Closes every protocol violation with 1000 instead of 1002/1003, and serves 200 on any path. */
        LAX,
        /**
         * Stops reading for 2 s right after the start message, behind a 4 KiB receive buffer, so the client's
         * sockets fill (short writes, EAGAIN) and its frames must resume in order afterwards.
         */
        STALL
    }

    private final ServerSocket server;
    private final Behaviour behaviour;
    private final long flushIntervalMs;
    private final AtomicInteger accepted = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "fake-gateway");
        thread.setDaemon(true);
        return thread;
    });

    public FakeGateway(Behaviour behaviour, long flushIntervalMs) throws IOException {
        this.behaviour = behaviour;
        this.flushIntervalMs = flushIntervalMs;
        this.server = new ServerSocket();
        if (behaviour == Behaviour.STALL) {
            server.setReceiveBufferSize(4096);
        }
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        threads.execute(this::accept);
    }

    public String url() {
        return "ws://127.0.0.1:" + server.getLocalPort() + "/ws/stt";
    }

    /** TCP connections accepted so far. */
    public int connectionsAccepted() {
        return accepted.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                socket.setTcpNoDelay(true);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            String head = readHead(in);
            String requestLine = head.split("\r\n", 2)[0];
            String path = requestLine.split(" ")[1];
            String key = header(head, "sec-websocket-key");
            if (!path.equals("/ws/stt") || behaviour == Behaviour.LAX && key == null) {
                int status = behaviour == Behaviour.LAX || path.equals("/health") ? 200 : 404;
                out.write(("HTTP/1.1 " + status + " X\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}")
                        .getBytes(StandardCharsets.US_ASCII));
                return;
            }
            if (key == null) {
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + WebSocketClientCodec.acceptFor(key) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            new Connection(in, out).run();
        } catch (IOException e) {
            // the client went away
        }
    }

    private final class Connection {
        private final DataInputStream in;
        private final OutputStream out;
        private long received;
        private long flushed;
        private boolean firstBatch = true;
        private volatile boolean open = true;

        Connection(DataInputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        void run() throws IOException {
            boolean started = false;
            Thread flusher = null;
            try {
                while (true) {
                    int b0 = in.readUnsignedByte();
                    int b1 = in.readUnsignedByte();
                    int opcode = b0 & 0x0F;
                    long length = b1 & 0x7F;
                    if (length == 126) {
                        length = in.readUnsignedShort();
                    } else if (length == 127) {
                        length = in.readLong();
                    }
                    byte[] mask = new byte[4];
                    if ((b1 & 0x80) != 0) {
                        in.readFully(mask);
                    }
                    byte[] payload = new byte[(int) length];
                    in.readFully(payload);
                    for (int i = 0; i < payload.length; i++) {
                        payload[i] ^= mask[i & 3];
                    }
                    if (opcode == WebSocketClientCodec.OPCODE_CLOSE) {
                        send(WebSocketClientCodec.OPCODE_CLOSE, WebSocketClientCodec.closePayload(1000));
                        return;
                    }
                    if (opcode == WebSocketClientCodec.OPCODE_PING) {
                        send(WebSocketClientCodec.OPCODE_PONG, payload);
                        continue;
                    }
                    if ((b1 & 0x80) == 0 || (b0 & 0x70) != 0) {
                        violation(1002);
                        return;
                    }
                    if (!started) {
                        if (opcode != WebSocketClientCodec.OPCODE_TEXT
                                || !new String(payload, StandardCharsets.UTF_8).contains("\"start\"")) {
                            violation(1002);
                            return;
                        }
                        started = true;
                        flusher = new Thread(this::flushLoop, "fake-gateway-flush");
                        flusher.setDaemon(true);
                        flusher.start();
                        if (behaviour == Behaviour.STALL) {
                            stall();
                        }
                        continue;
                    }
                    if (opcode != WebSocketClientCodec.OPCODE_BINARY) {
                        violation(1002);
                        return;
                    }
                    if (payload.length != 640) {
                        violation(1003);
                        return;
                    }
                    synchronized (this) {
                        received++;
                    }
                }
            } finally {
                open = false;
                if (flusher != null) {
                    flusher.interrupt();
                }
            }
        }

        private void stall() throws IOException {
            try {
                TimeUnit.SECONDS.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        private void violation(int code) throws IOException {
            send(WebSocketClientCodec.OPCODE_CLOSE, WebSocketClientCodec.closePayload(behaviour == Behaviour.LAX ? 1000 : code));
        }

        private void flushLoop() {
            try {
                while (open) {
                    TimeUnit.MILLISECONDS.sleep(flushIntervalMs);
                    long oldest;
                    long newest;
                    synchronized (this) {
                        if (received == flushed) {
                            continue;
                        }
                        oldest = flushed + 1;
                        newest = received;
                        flushed = received;
                    }
                    if (firstBatch && behaviour == Behaviour.LOSE_FIRST_FRAME && newest > oldest) {
                        oldest++;
                    }
                    firstBatch = false;
                    send(WebSocketClientCodec.OPCODE_TEXT, message(oldest, newest).getBytes(StandardCharsets.UTF_8));
                }
            } catch (InterruptedException | IOException e) {
                // connection over
            }
        }

        private String message(long oldest, long newest) {
            long frames = newest - oldest + 1;
            if (behaviour == Behaviour.ERROR_FRAMES) {
                return String.format(Locale.ROOT, "{\"type\":\"error\",\"stage\":\"inference_request\",\"kind\":\"timeout\","
                        + "\"message\":\"inference timed out\",\"oldest_frame_seq\":%d,\"newest_frame_seq\":%d,"
                        + "\"frames\":%d,\"audio_bytes\":%d,\"oldest_age_ms\":2000.5,\"newest_age_ms\":1000.0,"
                        + "\"flush_lateness_ms\":0.2,\"inference_elapsed_ms\":null,\"inflight_gateway_batches\":1,"
                        + "\"gateway_buffer_frames\":0,\"inference_status\":null,\"retryable\":true}",
                        oldest, newest, frames, frames * 640);
            }
            return String.format(Locale.ROOT, "{\"type\":\"partial\",\"oldest_frame_seq\":%d,\"newest_frame_seq\":%d,"
                    + "\"frames\":%d,\"rms\":5773.5,\"zero_crossings\":3,\"checksum\":12345,\"samples\":%d,"
                    + "\"transcript\":\"now\",\"audio_bytes\":%d,\"cpu_passes\":4,\"model_delay_ms\":75,"
                    + "\"flush_lateness_ms\":0.25,\"inflight_model_jobs\":0%s}",
                    oldest, newest, frames, frames * 320 * 4, frames * 640,
                    behaviour == Behaviour.EXTRA_KEY ? ",\"extra\":1" : "");
        }

        private void send(int opcode, byte[] payload) throws IOException {
            ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 4);
            frame.write(0x80 | opcode);
            if (payload.length < 126) {
                frame.write(payload.length);
            } else {
                frame.write(126);
                frame.write(payload.length >>> 8);
                frame.write(payload.length);
            }
            frame.write(payload);
            synchronized (out) {
                out.write(frame.toByteArray());
                out.flush();
            }
        }
    }

    private static String readHead(DataInputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            head.append((char) in.readUnsignedByte());
        }
        return head.toString();
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
