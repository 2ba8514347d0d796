package dev.sttbench.loadgen.net;

import dev.sttbench.loadgen.schedule.RunSchedule;
import dev.sttbench.loadgen.stats.RunStats;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.random.RandomGenerator;

/**
 * Brings a loop's sessions from their start time to streaming: a non-blocking connect, the RFC 6455
 * upgrade and its strict check, the {@code {"type":"start"}} message, then the session's frame origin and
 * its send bucket. Sessions start in order, so one index tells which have; each has until
 * {@code start + connect timeout} to finish the upgrade ({@link #connectExpired}).
 */
final class Connector {
    private static final byte[] START_MESSAGE = "{\"type\":\"start\"}".getBytes(StandardCharsets.US_ASCII);

    private final Target target;
    private final Session[] sessions;
    private final long connectTimeoutNanos;
    private final int sendBufferBytes;
    private final Selector selector;
    private final RandomGenerator random;
    private final MaskedFrames frames;
    private final SendScheduler sender;
    private final RunStats stats;
    private final RunClock clock;
    private final SessionLifecycle lifecycle;
    private int started;

    /**
     * @param sessions        the loop's sessions, in start order
     * @param sendBufferBytes SO_SNDBUF of each socket; 0 leaves the kernel's autotuning
     * @param random          the source of {@code Sec-WebSocket-Key} nonces
     */
    Connector(Target target, Session[] sessions, long connectTimeoutNanos, int sendBufferBytes, Selector selector,
              RandomGenerator random, MaskedFrames frames, SendScheduler sender, RunStats stats, RunClock clock,
              SessionLifecycle lifecycle) {
        this.target = target;
        this.sessions = sessions;
        this.connectTimeoutNanos = connectTimeoutNanos;
        this.sendBufferBytes = sendBufferBytes;
        this.selector = selector;
        this.random = random;
        this.frames = frames;
        this.sender = sender;
        this.stats = stats;
        this.clock = clock;
        this.lifecycle = lifecycle;
    }

    /** Sessions started so far: {@code sessions[0, started())}. */
    int started() {
        return started;
    }

    /** When the next session starts; {@code Long.MAX_VALUE} once all have. */
    long nextStartNanos() {
        return started < sessions.length ? sessions[started].startNanos : Long.MAX_VALUE;
    }

    /** Opens a socket and starts connecting for every session whose start time has come. */
    void startDue(long now) {
        while (started < sessions.length && sessions[started].startNanos <= now) {
            Session session = sessions[started++];
            session.connectDeadlineNanos = session.startNanos + connectTimeoutNanos;
            try {
                SocketChannel channel = SocketChannel.open();
                session.channel = channel;
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (sendBufferBytes > 0) {
                    channel.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferBytes);
                }
                session.state = Session.CONNECTING;
                session.key = channel.register(selector, SelectionKey.OP_CONNECT, session);
                if (channel.connect(target.address())) {
                    onConnected(session);
                }
            } catch (IOException e) {
                lifecycle.fail(session, "session " + session.id + ": connect " + target.address() + ": " + e);
            }
        }
    }

    /** OP_CONNECT fired. */
    void onConnectable(Session session) throws IOException {
        if (session.channel.finishConnect()) {
            onConnected(session);
        }
    }

    private void onConnected(Session session) throws IOException {
        sender.attach(session);
        session.state = Session.HANDSHAKING;
        session.key.interestOps(SelectionKey.OP_READ);
        session.webSocketKey = WebSocketClientCodec.newKey(random);
        byte[] request = WebSocketClientCodec.upgradeRequest(target.hostHeader(), target.path(), session.webSocketKey);
        sender.sendControl(session, ByteBuffer.wrap(request), clock.now());
    }

    /**
     * Bytes of the upgrade response have arrived in {@code session.inbound}: once the head is complete and
     * a valid {@code 101}, the session streams, and what followed the head stays for the frame decoder.
     */
    void onUpgradeBytes(Session session, long now) throws IOException {
        ByteBuffer in = session.inbound;
        int end = WebSocketClientCodec.headEnd(in, in.position());
        if (end < 0) {
            if (!in.hasRemaining()) {
                lifecycle.fail(session, "session " + session.id + ": upgrade response head exceeds " + in.capacity() + " bytes");
            }
            return;
        }
        String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
        String problem = WebSocketClientCodec.checkUpgradeResponse(head, session.webSocketKey);
        if (problem != null) {
            lifecycle.fail(session, "session " + session.id + ": " + problem);
            return;
        }
        in.flip().position(end);
        in.compact();
        beginStreaming(session, now);
    }

    private void beginStreaming(Session session, long now) throws IOException {
        session.state = Session.STREAMING;
        stats.sessionsConnected++;
        sender.sendControl(session, frames.control(WebSocketClientCodec.OPCODE_TEXT, START_MESSAGE), now);
        if (session.state != Session.STREAMING) {
            return;
        }
        session.originNanos = RunSchedule.frameOriginNanos(now);
        session.nextDueNanos = session.originNanos;
        sender.add(session);
    }

    /** Whether {@code session} is still connecting or upgrading past its deadline. */
    boolean connectExpired(Session session, long now) {
        return (session.state == Session.CONNECTING || session.state == Session.HANDSHAKING)
                && now >= session.connectDeadlineNanos;
    }
}
