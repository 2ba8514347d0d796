package dev.sttbench.loadgen.net;

import dev.sttbench.loadgen.schedule.RunSchedule;
import dev.sttbench.loadgen.stats.LatencyHistogram;
import dev.sttbench.loadgen.stats.RunStats;
import dev.sttbench.loadgen.stats.Sample;
import dev.sttbench.loadgen.validate.MessageValidator;
import dev.sttbench.loadgen.validate.ProtocolViolation;
import dev.sttbench.loadgen.validate.ServerMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Everything a loop receives: reads a readable session's socket, passes upgrade bytes to the
 * {@link Connector}, decodes server frames strictly ({@link ServerFrame}), reassembles fragmented text,
 * hands each message to {@link MessageValidator} and the session's contiguity check, records the latencies
 * of partials inside the window, answers pings, and ends the session on the server's close or end of stream.
 *
 * <p>The receive time of a message is when the loop's {@code select} returned with it. Server messages are
 * rare (about one partial per session per second), so each session's inbound buffer starts small and
 * grows only for a message that needs it.
 */
final class Receiver {
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final int MAX_MESSAGE_BYTES = 1 << 16;

    private final ServerFrame serverFrame = new ServerFrame();
    private final RunSchedule schedule;
    private final boolean keepSamples;
    private final Connector connector;
    private final SendScheduler sender;
    private final MaskedFrames frames;
    private final RunStats stats;
    private final SessionLifecycle lifecycle;

    /** @param keepSamples keep one {@link Sample} per partial in the window (for the samples CSV) */
    Receiver(RunSchedule schedule, boolean keepSamples, Connector connector, SendScheduler sender,
             MaskedFrames frames, RunStats stats, SessionLifecycle lifecycle) {
        this.schedule = schedule;
        this.keepSamples = keepSamples;
        this.connector = connector;
        this.sender = sender;
        this.frames = frames;
        this.stats = stats;
        this.lifecycle = lifecycle;
    }

    /** OP_READ fired: reads what is there and handles every complete frame in it. */
    void onReadable(Session session, long now) throws IOException {
        ByteBuffer in = session.inbound;
        int read = session.channel.read(in);
        if (read < 0) {
            onEndOfStream(session);
            return;
        }
        if (session.state == Session.HANDSHAKING) {
            connector.onUpgradeBytes(session, now);
            if (session.state != Session.STREAMING) {
                return;
            }
        }
        int offset = 0;
        int limit = in.position();
        while (session.state == Session.STREAMING || session.state == Session.CLOSING) {
            int length = serverFrame.decode(in, offset, limit, MAX_MESSAGE_BYTES);
            if (length == ServerFrame.VIOLATION) {
                lifecycle.fail(session, "session " + session.id + ": " + serverFrame.violation());
                return;
            }
            if (length == ServerFrame.INCOMPLETE) {
                break;
            }
            onFrame(session, in, now);
            offset += length;
        }
        if (session.state == Session.DONE) {
            return;
        }
        in.flip().position(offset);
        in.compact();
        if (!in.hasRemaining()) {
            ByteBuffer larger = ByteBuffer.allocate(Math.min(in.capacity() * 2, MAX_MESSAGE_BYTES + 16));
            session.inbound = larger.put(in.flip());
        }
    }

    private void onFrame(Session session, ByteBuffer in, long now) throws IOException {
        int payloadOffset = serverFrame.payloadOffset();
        int payloadLength = serverFrame.payloadLength();
        switch (serverFrame.opcode()) {
            case WebSocketClientCodec.OPCODE_TEXT -> {
                if (session.fragments != null) {
                    stats.recordProtocolError("session " + session.id + ": new text message inside a fragmented one");
                    session.fragments = null;
                }
                if (serverFrame.fin()) {
                    onText(session, new String(in.array(), payloadOffset, payloadLength, StandardCharsets.UTF_8), now);
                } else {
                    session.fragments = ByteBuffer.allocate(Math.max(1024, payloadLength * 2));
                    session.fragments.put(in.array(), payloadOffset, payloadLength);
                }
            }
            case WebSocketClientCodec.OPCODE_CONTINUATION -> onContinuation(session, in, now);
            case WebSocketClientCodec.OPCODE_BINARY ->
                    stats.recordProtocolError("session " + session.id + ": unexpected binary message");
            case WebSocketClientCodec.OPCODE_PING -> {
                byte[] payload = new byte[payloadLength];
                in.get(payloadOffset, payload);
                sender.sendControl(session, frames.control(WebSocketClientCodec.OPCODE_PONG, payload), now);
            }
            case WebSocketClientCodec.OPCODE_CLOSE -> onServerClose(session, in, payloadOffset, payloadLength);
            default -> {
                // pong: nothing to do
            }
        }
    }

    private void onContinuation(Session session, ByteBuffer in, long now) {
        ByteBuffer fragments = session.fragments;
        if (fragments == null) {
            stats.recordProtocolError("session " + session.id + ": continuation frame without a message");
            return;
        }
        int payloadLength = serverFrame.payloadLength();
        if (fragments.position() + payloadLength > MAX_MESSAGE_BYTES) {
            lifecycle.fail(session, "session " + session.id + ": fragmented message exceeds " + MAX_MESSAGE_BYTES + " bytes");
            return;
        }
        if (fragments.remaining() < payloadLength) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(fragments.capacity() * 2, fragments.position() + payloadLength));
            fragments = larger.put(fragments.flip());
            session.fragments = fragments;
        }
        fragments.put(in.array(), serverFrame.payloadOffset(), payloadLength);
        if (serverFrame.fin()) {
            session.fragments = null;
            onText(session, new String(fragments.array(), 0, fragments.position(), StandardCharsets.UTF_8), now);
        }
    }

    /** Validates one text message; a partial that tiles the sent frames and falls in the window is recorded. */
    private void onText(Session session, String text, long now) {
        ServerMessage message;
        try {
            message = MessageValidator.validate(text);
        } catch (ProtocolViolation violation) {
            stats.recordProtocolError("session " + session.id + ": " + violation.getMessage());
            return;
        }
        String gap = session.seqs.accept(message.oldestFrameSeq(), message.newestFrameSeq(), session.framesSent());
        if (gap != null) {
            stats.recordProtocolError("session " + session.id + ": " + gap);
        }
        if (!message.isPartial()) {
            stats.recordInferenceError(message.stage(), message.kind(), message.message(), message.inferenceStatus(),
                    message.retryable());
            return;
        }
        if (gap != null || !schedule.inMeasuredWindow(now)) {
            return;
        }
        long newestLatency = now - RunSchedule.dueNanos(session.originNanos, message.newestFrameSeq());
        long oldestLatency = now - RunSchedule.dueNanos(session.originNanos, message.oldestFrameSeq());
        long flushLatenessNanos = Math.round(message.flushLatenessMs() * NANOS_PER_MILLI);
        stats.partials++;
        LatencyHistogram.recordNanos(stats.newestLatency, newestLatency);
        LatencyHistogram.recordNanos(stats.oldestLatency, oldestLatency);
        LatencyHistogram.recordNanos(stats.flushLateness, flushLatenessNanos);
        if (keepSamples) {
            stats.samples.add(new Sample(session.id, message.oldestFrameSeq(), message.newestFrameSeq(),
                    message.frames(), message.transcript(), message.audioBytes(), newestLatency / 1_000,
                    oldestLatency / 1_000, flushLatenessNanos / 1_000,
                    (now - schedule.measureStartNanos()) / 1_000));
        }
    }

    /** The server's close frame answers ours while closing; before that it ends the session as an error. */
    private void onServerClose(Session session, ByteBuffer in, int payloadOffset, int payloadLength) {
        if (session.state == Session.CLOSING) {
            lifecycle.finish(session);
            return;
        }
        lifecycle.fail(session, "session " + session.id + ": server closed the stream with code "
                + ServerFrame.closeCode(in, payloadOffset, payloadLength));
    }

    private void onEndOfStream(Session session) {
        if (session.state == Session.CLOSING) {
            lifecycle.finish(session);
            return;
        }
        lifecycle.fail(session, "session " + session.id + ": connection closed by the server while "
                + session.describeState());
    }
}
