package dev.sttbench.loadgen.conformance;

import dev.sttbench.loadgen.net.ServerFrame;
import dev.sttbench.loadgen.net.Target;
import dev.sttbench.loadgen.net.WebSocketClientCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A blocking client socket for the conformance checks: it can speak plain HTTP or upgrade to a WebSocket,
 * send arbitrary (also deliberately malformed) frames, and poll server frames with a deadline.
 */
final class TestSocket implements AutoCloseable {
    /** A server frame: opcode, FIN and payload. */
    record Frame(int opcode, boolean fin, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return ServerFrame.closeCode(ByteBuffer.wrap(payload), 0, payload.length);
        }
    }

    private static final int MAX_FRAME_BYTES = 1 << 20;
    private static final SplittableRandom RANDOM = new SplittableRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ServerFrame decoder = new ServerFrame();
    private final byte[] chunk = new byte[8192];
    private final ByteBuffer inbound = ByteBuffer.allocate(MAX_FRAME_BYTES + 16);

    private TestSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static TestSocket connect(Target target, int timeoutMs) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(target.address(), timeoutMs);
        return new TestSocket(socket);
    }

    /** Connects and completes a valid upgrade to {@code target}'s path. */
    static TestSocket open(Target target, int timeoutMs) throws IOException, CheckFailure {
        TestSocket client = connect(target, timeoutMs);
        String key = WebSocketClientCodec.newKey(RANDOM);
        client.send(WebSocketClientCodec.upgradeRequest(target.hostHeader(), target.path(), key));
        String head = client.readHead(timeoutMs);
        String problem = WebSocketClientCodec.checkUpgradeResponse(head, key);
        if (problem != null) {
            client.close();
            throw new CheckFailure("upgrade: " + problem);
        }
        return client;
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends one frame with the given first byte (FIN/RSV/opcode), masked with a fresh key unless told not to. */
    void sendFrame(int firstByte, boolean masked, byte[] payload) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(payload.length + 14);
        WebSocketClientCodec.encodeFrame(frame, firstByte, masked, RANDOM.nextInt(), payload);
        send(Arrays.copyOf(frame.array(), frame.position()));
    }

    void sendMasked(int opcode, byte[] payload) throws IOException {
        sendFrame(WebSocketClientCodec.FIN_BIT | opcode, true, payload);
    }

    void sendText(String text) throws IOException {
        sendMasked(WebSocketClientCodec.OPCODE_TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    void sendStart() throws IOException {
        sendText("{\"type\":\"start\"}");
    }

    /** Reads an HTTP response head (through the blank line) within {@code timeoutMs}. */
    String readHead(int timeoutMs) throws IOException, CheckFailure {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int end = WebSocketClientCodec.headEnd(inbound, inbound.position());
            if (end >= 0) {
                String head = new String(inbound.array(), 0, end, StandardCharsets.ISO_8859_1);
                inbound.flip().position(end);
                inbound.compact();
                return head;
            }
            if (!fill(deadline)) {
                throw new CheckFailure("no complete HTTP response within " + timeoutMs + " ms");
            }
        }
    }

    /** The status code of the HTTP response to {@code request}. */
    int httpStatus(String request, int timeoutMs) throws IOException, CheckFailure {
        send(request.getBytes(StandardCharsets.US_ASCII));
        String head = readHead(timeoutMs);
        String[] status = head.split("\r\n", 2)[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new CheckFailure("malformed status line: " + head.split("\r\n", 2)[0]);
        }
        return Integer.parseInt(status[1]);
    }

    /**
     * The next server frame within {@code timeoutMs}, or null when none arrived in time. A frame that
     * breaks RFC 6455 or a closed connection is a {@link CheckFailure}.
     */
    Frame poll(int timeoutMs) throws IOException, CheckFailure {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int length = decoder.decode(inbound, 0, inbound.position(), MAX_FRAME_BYTES);
            if (length == ServerFrame.VIOLATION) {
                throw new CheckFailure("server frame breaks RFC 6455: " + decoder.violation());
            }
            if (length > 0) {
                byte[] payload = new byte[decoder.payloadLength()];
                inbound.get(decoder.payloadOffset(), payload);
                Frame frame = new Frame(decoder.opcode(), decoder.fin(), payload);
                inbound.flip().position(length);
                inbound.compact();
                return frame;
            }
            if (!fill(deadline)) {
                return null;
            }
        }
    }

    /** Reads more bytes until the deadline; false on timeout. */
    private boolean fill(long deadlineNanos) throws IOException, CheckFailure {
        long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000L;
        if (leftMs <= 0) {
            return false;
        }
        socket.setSoTimeout((int) leftMs);
        int read;
        try {
            read = in.read(chunk, 0, Math.min(chunk.length, inbound.remaining()));
        } catch (SocketTimeoutException e) {
            return false;
        }
        if (read < 0) {
            throw new CheckFailure("connection closed by the server");
        }
        inbound.put(chunk, 0, read);
        return true;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // the check's outcome is already decided
        }
    }
}
