package dev.sttbench.loadgen.conformance;

import static dev.sttbench.loadgen.net.WebSocketClientCodec.FIN_BIT;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_BINARY;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_CLOSE;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_CONTINUATION;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_PING;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_PONG;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_TEXT;

import dev.sttbench.loadgen.audio.Pcm;
import dev.sttbench.loadgen.net.Target;
import dev.sttbench.loadgen.net.WebSocketClientCodec;
import dev.sttbench.loadgen.validate.MessageValidator;
import dev.sttbench.loadgen.validate.ProtocolViolation;
import dev.sttbench.loadgen.validate.ServerMessage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The checks of {@code loadgen conformance}: the public suite's (golden partial, invalid start, wrong
 * frame size, flush cadence, normal close) plus RFC 6455 and contract edges. Each needs only the
 * contract of PROTOCOL.md §1, so it runs against any gateway.
 */
final class ConformanceChecks {
    /** One named check. */
    interface Check {
        void run() throws Exception;
    }

    record NamedCheck(String name, Check check) {
    }

    static final int CONNECT_TIMEOUT_MS = 5_000;
    /** First flush: up to FLUSH_PHASE_JITTER_MS + FLUSH_INTERVAL_MS, then inference. */
    static final int PARTIAL_TIMEOUT_MS = 5_000;
    static final int CLOSE_TIMEOUT_MS = 1_000;
    static final int HTTP_TIMEOUT_MS = 3_000;
    static final double RMS_TOLERANCE = 1e-6;
    static final long CADENCE_MIN_MS = 750;
    static final long CADENCE_MAX_MS = 1_500;
    static final int CADENCE_PARTIALS = 3;
    static final long CADENCE_DEADLINE_MS = 8_000;
    static final int PROTOCOL_ERROR = 1002;
    static final int UNSUPPORTED_DATA = 1003;
    private static final int RSV1 = 0x40;
    private static final int RESERVED_OPCODE = 0x3;

    private final Target target;
    private final List<GoldenVectors.Vector> golden;

    ConformanceChecks(Target target, List<GoldenVectors.Vector> golden) {
        this.target = target;
        this.golden = golden;
    }

    List<NamedCheck> all() {
        return List.of(
                new NamedCheck("health_200", this::health),
                new NamedCheck("unknown_path_404", this::unknownPath),
                new NamedCheck("non_get_405", this::nonGet),
                new NamedCheck("bad_upgrade_400", this::badUpgrade),
                new NamedCheck("golden_partial", this::goldenPartial),
                new NamedCheck("invalid_start_1002", this::invalidStart),
                new NamedCheck("binary_before_start_1002", this::binaryBeforeStart),
                new NamedCheck("text_after_start_1002", this::textAfterStart),
                new NamedCheck("wrong_frame_size_1003", this::wrongFrameSize),
                new NamedCheck("unmasked_frame_1002", this::unmaskedFrame),
                new NamedCheck("reserved_bit_1002", this::reservedBit),
                new NamedCheck("unknown_opcode_1002", this::unknownOpcode),
                new NamedCheck("oversized_control_1002", this::oversizedControl),
                new NamedCheck("ping_pong", this::pingPong),
                new NamedCheck("fragmented_frame", this::fragmentedFrame),
                new NamedCheck("flush_cadence", this::flushCadence),
                new NamedCheck("normal_close", this::normalClose));
    }

    // ---- HTTP ------------------------------------------------------------------------------------------

    private void health() throws IOException, CheckFailure {
        expectStatus(get("/health", ""), 200);
    }

    private void unknownPath() throws IOException, CheckFailure {
        expectStatus(get("/no-such-path", ""), 404);
    }

    private void nonGet() throws IOException, CheckFailure {
        expectStatus("POST " + target.path() + " HTTP/1.1\r\nHost: " + target.hostHeader()
                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405);
    }

    private void badUpgrade() throws IOException, CheckFailure {
        String upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
        expectStatus(get(target.path(), upgrade + "Sec-WebSocket-Version: 13\r\n"), 400);
        expectStatus(get(target.path(), upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 12\r\n"), 400);
    }

    private String get(String path, String headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + target.hostHeader() + "\r\n" + headers
                + "Connection: close\r\n\r\n";
    }

    private void expectStatus(String request, int expected) throws IOException, CheckFailure {
        try (TestSocket socket = TestSocket.connect(target, CONNECT_TIMEOUT_MS)) {
            int status = socket.httpStatus(request, HTTP_TIMEOUT_MS);
            if (status != expected) {
                throw new CheckFailure("expected " + expected + ", got " + status + " for "
                        + request.substring(0, request.indexOf('\r')));
            }
        }
    }

    // ---- partials ---------------------------------------------------------------------------------------

    private void goldenPartial() throws IOException, CheckFailure {
        try (TestSocket socket = TestSocket.open(target, CONNECT_TIMEOUT_MS)) {
            socket.sendStart();
            socket.sendMasked(OPCODE_BINARY, frame(0, 1));
            expectGolden(readPartial(socket, PARTIAL_TIMEOUT_MS));
        }
    }

    private void fragmentedFrame() throws IOException, CheckFailure {
        try (TestSocket socket = TestSocket.open(target, CONNECT_TIMEOUT_MS)) {
            socket.sendStart();
            byte[] pcm = frame(0, 1);
            int half = pcm.length / 2;
            socket.sendFrame(OPCODE_BINARY, true, Arrays.copyOfRange(pcm, 0, half));
            socket.sendFrame(FIN_BIT | OPCODE_CONTINUATION, true, Arrays.copyOfRange(pcm, half, pcm.length));
            expectGolden(readPartial(socket, PARTIAL_TIMEOUT_MS));
        }
    }

    /** The partial of frame 1 of session 0: exact key set, and the stub's output for that PCM. */
    private void expectGolden(ServerMessage partial) throws CheckFailure {
        if (partial.oldestFrameSeq() != 1 || partial.newestFrameSeq() != 1) {
            throw new CheckFailure("expected the batch [1, 1], got [" + partial.oldestFrameSeq() + ", "
                    + partial.newestFrameSeq() + "]");
        }
        int passes = ((BigDecimal) partial.json().get("cpu_passes")).intValueExact();
        StubResult expected = GoldenVectors.find(golden, 0, 1, 1, passes)
                .map(GoldenVectors.Vector::expect)
                .orElseGet(() -> StubReference.compute(frame(0, 1), passes));
        double rms = ((BigDecimal) partial.json().get("rms")).doubleValue();
        if (Math.abs(rms - expected.rms()) > RMS_TOLERANCE) {
            throw new CheckFailure("rms " + rms + ", expected " + expected.rms());
        }
        expectField(partial, "zero_crossings", expected.zeroCrossings());
        expectField(partial, "checksum", expected.checksum());
        expectField(partial, "samples", expected.samples());
        expectField(partial, "audio_bytes", expected.audioBytes());
        if (!partial.transcript().equals(expected.transcript())) {
            throw new CheckFailure("transcript \"" + partial.transcript() + "\", expected \"" + expected.transcript() + "\"");
        }
    }

    private static void expectField(ServerMessage partial, String key, long expected) throws CheckFailure {
        long actual = ((BigDecimal) partial.json().get(key)).longValueExact();
        if (actual != expected) {
            throw new CheckFailure(key + " " + actual + ", expected " + expected);
        }
    }

    private void flushCadence() throws IOException, CheckFailure {
        try (TestSocket socket = TestSocket.open(target, CONNECT_TIMEOUT_MS)) {
            socket.sendStart();
            long started = System.nanoTime();
            long nextFrame = started;
            long seq = 1;
            List<Long> arrivals = new ArrayList<>();
            while (arrivals.size() < CADENCE_PARTIALS) {
                long now = System.nanoTime();
                if (now - started > CADENCE_DEADLINE_MS * 1_000_000L) {
                    throw new CheckFailure("only " + arrivals.size() + " partials within " + CADENCE_DEADLINE_MS + " ms");
                }
                while (nextFrame <= now) {
                    socket.sendMasked(OPCODE_BINARY, frame(0, seq++));
                    nextFrame += Pcm.FRAME_INTERVAL_NANOS;
                }
                TestSocket.Frame frame = socket.poll((int) Math.max(1, (nextFrame - now) / 1_000_000L));
                if (frame != null && frame.opcode() == OPCODE_TEXT) {
                    requirePartial(frame);
                    arrivals.add(System.nanoTime());
                } else if (frame != null && frame.opcode() == OPCODE_CLOSE) {
                    throw new CheckFailure("server closed with " + frame.closeCode() + " while streaming");
                }
            }
            for (int i = 1; i < arrivals.size(); i++) {
                long gapMs = (arrivals.get(i) - arrivals.get(i - 1)) / 1_000_000L;
                if (gapMs < CADENCE_MIN_MS || gapMs > CADENCE_MAX_MS) {
                    throw new CheckFailure("partial " + (i + 1) + " came " + gapMs + " ms after the previous one,"
                            + " outside [" + CADENCE_MIN_MS + ", " + CADENCE_MAX_MS + "] ms");
                }
            }
        }
    }

    private static ServerMessage readPartial(TestSocket socket, int timeoutMs) throws IOException, CheckFailure {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int left = (int) ((deadline - System.nanoTime()) / 1_000_000L);
            TestSocket.Frame frame = left > 0 ? socket.poll(left) : null;
            if (frame == null) {
                throw new CheckFailure("no partial within " + timeoutMs + " ms");
            }
            switch (frame.opcode()) {
                case OPCODE_TEXT -> {
                    return requirePartial(frame);
                }
                case OPCODE_CLOSE -> throw new CheckFailure("server closed with " + frame.closeCode() + " before a partial");
                default -> {
                    // pings and pongs are not what we wait for
                }
            }
        }
    }

    private static ServerMessage requirePartial(TestSocket.Frame frame) throws CheckFailure {
        if (!frame.fin()) {
            throw new CheckFailure("fragmented text message (not expected for a small partial)");
        }
        ServerMessage message;
        try {
            message = MessageValidator.validate(frame.text());
        } catch (ProtocolViolation violation) {
            throw new CheckFailure(violation.getMessage());
        }
        if (!message.isPartial()) {
            throw new CheckFailure("error frame instead of a partial: " + message.stage() + "/" + message.kind()
                    + ": " + message.message());
        }
        return message;
    }

    // ---- control frames and closing -------------------------------------------------------------------

    private void pingPong() throws IOException, CheckFailure {
        try (TestSocket socket = TestSocket.open(target, CONNECT_TIMEOUT_MS)) {
            socket.sendStart();
            byte[] payload = "sttbench-ping".getBytes(StandardCharsets.US_ASCII);
            socket.sendMasked(OPCODE_PING, payload);
            TestSocket.Frame frame = awaitOpcode(socket, OPCODE_PONG, CLOSE_TIMEOUT_MS);
            if (!Arrays.equals(frame.payload(), payload)) {
                throw new CheckFailure("pong payload differs from the ping's");
            }
        }
    }

    private void normalClose() throws IOException, CheckFailure {
        try (TestSocket socket = TestSocket.open(target, CONNECT_TIMEOUT_MS)) {
            socket.sendStart();
            socket.sendMasked(OPCODE_BINARY, frame(0, 1));
            socket.sendMasked(OPCODE_CLOSE, WebSocketClientCodec.closePayload(WebSocketClientCodec.CLOSE_NORMAL));
            TestSocket.Frame close = awaitOpcode(socket, OPCODE_CLOSE, CLOSE_TIMEOUT_MS);
            if (close.payload().length > 0 && close.closeCode() != WebSocketClientCodec.CLOSE_NORMAL) {
                throw new CheckFailure("close answered with code " + close.closeCode() + ", expected 1000");
            }
        }
    }

    // ---- violations that must close the connection ------------------------------------------------------

    private void invalidStart() throws IOException, CheckFailure {
        expectCloseAfter(PROTOCOL_ERROR, socket -> socket.sendText("not-json"));
    }

    private void binaryBeforeStart() throws IOException, CheckFailure {
        expectCloseAfter(PROTOCOL_ERROR, socket -> socket.sendMasked(OPCODE_BINARY, frame(0, 1)));
    }

    private void textAfterStart() throws IOException, CheckFailure {
        expectCloseAfter(PROTOCOL_ERROR, socket -> {
            socket.sendStart();
            socket.sendText("{\"type\":\"start\"}");
        });
    }

    private void wrongFrameSize() throws IOException, CheckFailure {
        expectCloseAfter(UNSUPPORTED_DATA, socket -> {
            socket.sendStart();
            socket.sendMasked(OPCODE_BINARY, new byte[10]);
        });
    }

    private void unmaskedFrame() throws IOException, CheckFailure {
        expectCloseAfter(PROTOCOL_ERROR, socket -> {
            socket.sendStart();
            socket.sendFrame(FIN_BIT | OPCODE_BINARY, false, frame(0, 1));
        });
    }

    private void reservedBit() throws IOException, CheckFailure {
        expectCloseAfter(PROTOCOL_ERROR, socket -> {
            socket.sendStart();
            socket.sendFrame(FIN_BIT | RSV1 | OPCODE_BINARY, true, frame(0, 1));
        });
    }

    private void unknownOpcode() throws IOException, CheckFailure {
        expectCloseAfter(PROTOCOL_ERROR, socket -> {
            socket.sendStart();
            socket.sendFrame(FIN_BIT | RESERVED_OPCODE, true, new byte[4]);
        });
    }

    private void oversizedControl() throws IOException, CheckFailure {
        expectCloseAfter(PROTOCOL_ERROR, socket -> {
            socket.sendStart();
            socket.sendMasked(OPCODE_PING, new byte[WebSocketClientCodec.MAX_CONTROL_PAYLOAD + 1]);
        });
    }

    private interface Provocation {
        void send(TestSocket socket) throws IOException;
    }

    private void expectCloseAfter(int expectedCode, Provocation provocation) throws IOException, CheckFailure {
        try (TestSocket socket = TestSocket.open(target, CONNECT_TIMEOUT_MS)) {
            provocation.send(socket);
            TestSocket.Frame close = awaitOpcode(socket, OPCODE_CLOSE, CLOSE_TIMEOUT_MS);
            if (close.payload().length < 2) {
                throw new CheckFailure("close frame without a status code, expected " + expectedCode);
            }
            if (close.closeCode() != expectedCode) {
                throw new CheckFailure("close code " + close.closeCode() + ", expected " + expectedCode);
            }
        }
    }

    /** Waits for a frame of {@code opcode}, passing over text frames and pings; anything else fails. */
    private static TestSocket.Frame awaitOpcode(TestSocket socket, int opcode, int timeoutMs)
            throws IOException, CheckFailure {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int left = (int) ((deadline - System.nanoTime()) / 1_000_000L);
            TestSocket.Frame frame = left > 0 ? socket.poll(left) : null;
            if (frame == null) {
                throw new CheckFailure("no " + opcodeName(opcode) + " frame within " + timeoutMs + " ms");
            }
            if (frame.opcode() == opcode) {
                return frame;
            }
            if (frame.opcode() == OPCODE_CLOSE) {
                throw new CheckFailure("server closed with " + frame.closeCode() + " instead of sending a "
                        + opcodeName(opcode));
            }
            if (frame.opcode() != OPCODE_TEXT && frame.opcode() != OPCODE_PING) {
                throw new CheckFailure("unexpected " + opcodeName(frame.opcode()) + " frame");
            }
        }
    }

    private static String opcodeName(int opcode) {
        return switch (opcode) {
            case OPCODE_TEXT -> "text";
            case OPCODE_BINARY -> "binary";
            case OPCODE_CLOSE -> "close";
            case OPCODE_PING -> "ping";
            case OPCODE_PONG -> "pong";
            case OPCODE_CONTINUATION -> "continuation";
            default -> "opcode 0x" + Integer.toHexString(opcode);
        };
    }

    /** The reference PCM of frame {@code seq} of {@code sessionId}. */
    static byte[] frame(int sessionId, long seq) {
        ByteBuffer pcm = ByteBuffer.allocate(Pcm.FRAME_BYTES);
        Pcm.writeFrame(sessionId, seq, pcm, 0);
        return pcm.array();
    }
}
