package dev.sttbench.loadgen.net;

import static dev.sttbench.loadgen.net.WebSocketClientCodec.MASKED_HEADER_16_BYTES;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.MASK_KEY_OFFSET_16;

import dev.sttbench.loadgen.audio.Pcm;
import dev.sttbench.loadgen.cli.RunOptions;
import dev.sttbench.loadgen.schedule.RunSchedule;
import dev.sttbench.loadgen.stats.LatencyHistogram;
import dev.sttbench.loadgen.stats.RunStats;
import dev.sttbench.loadgen.stats.Sample;
import dev.sttbench.loadgen.validate.MessageValidator;
import dev.sttbench.loadgen.validate.ProtocolViolation;
import dev.sttbench.loadgen.validate.ServerMessage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One selector thread driving its share of the sessions, open loop.
 *
 * <p>Sending: a session's frames are due every 20 ms from its frame origin, which lies on a whole
 * millisecond, so sessions are bucketed by {@code origin mod 20 ms} at 1 ms resolution. Each wake-up
 * walks the buckets whose tick has come and, for each session in them, writes every frame that is due
 * by the clock (a late loop catches up, and the lateness lands in the send-lag histogram); then it
 * selects with a timeout to the next non-empty bucket. A frame costs one {@code write} of 648 bytes
 * (8-byte masked header plus the PCM, generated and masked in a per-loop direct buffer): no timer, no
 * interest-op change and no allocation per frame. Only a short write parks the rest in the session and
 * turns on OP_WRITE for it. Read interest stays on: server messages are rare (about one per second).
 */
public final class ClientLoop implements Runnable {
    private static final int BUCKETS = 20;
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final long HOUSEKEEPING_INTERVAL_NANOS = 50 * NANOS_PER_MILLI;
    private static final int MAX_MESSAGE_BYTES = 1 << 16;
    /** One masked audio frame on the wire: 8-byte header and the PCM. */
    static final int FRAME_BYTES = MASKED_HEADER_16_BYTES + Pcm.FRAME_BYTES;
    private static final int CONTROL_BUFFER_BYTES = 256;
    private static final byte[] START_MESSAGE = "{\"type\":\"start\"}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE_NORMAL = WebSocketClientCodec.closePayload(WebSocketClientCodec.CLOSE_NORMAL);

    private final Target target;
    private final RunSchedule schedule;
    private final LoopTimeouts timeouts;
    private final long runStartNanos;
    private final boolean keepSamples;
    private final int rtPriority;
    private final int sendBufferBytes;
    /** Null when frames go out with one {@code write} each. */
    private final IoUring ring;
    private final SendSlots slots;
    /** Reaping completions of sends that did not complete when submitted (the socket was full). */
    private boolean reapingLate;
    private final Session[] sessions;
    private final RunStats stats = new RunStats();
    private final Selector selector;
    private final ByteBuffer frame = ByteBuffer.allocateDirect(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer control = ByteBuffer.allocate(CONTROL_BUFFER_BYTES);
    private final ServerFrame serverFrame = new ServerFrame();
    private final SplittableRandom random;
    private long maskState;

    private final Session[][] buckets = new Session[BUCKETS][];
    private final int[] bucketSizes = new int[BUCKETS];
    private int streaming;
    private long nextTickMillis;
    private long nextTickNanos = Long.MAX_VALUE;
    private int nextToStart;
    private int unfinished;
    private long nextHousekeepingNanos;

    /**
     * @param sessionIds this loop's sessions, in start order
     * @param rtPriority  SCHED_FIFO priority the loop's thread takes when it starts; 0 keeps normal scheduling
     * @param ioUring     queue the frames due at a wake-up as io_uring sends, submitted once, instead of one
     *                    {@code write} per frame
     * @param sendBufferBytes SO_SNDBUF of each session's socket; 0 leaves the kernel's autotuning
     */
    public ClientLoop(Target target, RunSchedule schedule, LoopTimeouts timeouts, long runStartNanos,
                      List<Integer> sessionIds, boolean keepSamples, int rtPriority, boolean ioUring,
                      int sendBufferBytes, long seed)
            throws IOException {
        this.target = target;
        this.schedule = schedule;
        this.timeouts = timeouts;
        this.runStartNanos = runStartNanos;
        this.keepSamples = keepSamples;
        this.rtPriority = rtPriority;
        this.sendBufferBytes = sendBufferBytes;
        this.sessions = new Session[sessionIds.size()];
        for (int i = 0; i < sessions.length; i++) {
            int id = sessionIds.get(i);
            sessions[i] = new Session(id, schedule.startOffsetNanos(id));
        }
        for (int b = 0; b < BUCKETS; b++) {
            buckets[b] = new Session[Math.max(4, sessions.length / BUCKETS * 2)];
        }
        this.unfinished = sessions.length;
        this.random = new SplittableRandom(seed);
        this.maskState = random.nextLong() | 1;
        this.selector = Selector.open();
        WebSocketClientCodec.writeMaskedBinaryHeader16(frame, 0, Pcm.FRAME_BYTES);
        this.ring = ioUring ? IoUring.open(SendSlots.SLOTS) : null;
        this.slots = ioUring ? new SendSlots() : null;
        long window = schedule.measureEndNanos() - schedule.measureStartNanos();
        stats.windowNanos = window;
    }

    /**
     * Whether loops should send through io_uring: {@code AUTO} when this kernel and JVM allow it (a ring can
     * be created and socket descriptors read), {@code IO_URING} only if so (else the IOException says why).
     */
    public static boolean resolveIoUring(RunOptions.SendPath path) throws IOException {
        if (path == RunOptions.SendPath.WRITE) {
            return false;
        }
        try {
            if (!SocketDescriptor.available()) {
                throw new IOException("socket descriptors are not readable (java.base/sun.nio.ch is not exported)");
            }
            IoUring.open(8).close();
            return true;
        } catch (IOException e) {
            if (path == RunOptions.SendPath.IO_URING) {
                throw e;
            }
            return false;
        }
    }

    /** What this loop observed; read it only after the loop's thread has finished. */
    public RunStats stats() {
        return stats;
    }

    @Override
    public void run() {
        try {
            if (rtPriority > 0) {
                RealtimeScheduling.enterFifo(rtPriority);
            }
            loop();
        } catch (IOException e) {
            throw new IllegalStateException("client loop failed", e);
        } finally {
            for (Session session : sessions) {
                closeQuietly(session);
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing is left to release
            }
            if (ring != null) {
                ring.close();
            }
            stats.loopCpuNanos = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        }
    }

    private long clock() {
        return System.nanoTime() - runStartNanos;
    }

    private void loop() throws IOException {
        long awake = clock();
        while (unfinished > 0) {
            long now = clock();
            startSessions(now);
            if (now >= nextTickNanos) {
                sendDueBuckets(now);
            }
            if (now >= nextHousekeepingNanos) {
                housekeeping(now);
                nextHousekeepingNanos = now + HOUSEKEEPING_INTERVAL_NANOS;
            }
            if (unfinished == 0) {
                break;
            }
            long nextStart = nextToStart < sessions.length ? sessions[nextToStart].startNanos : Long.MAX_VALUE;
            long wake = Math.min(Math.min(nextStart, nextTickNanos), nextHousekeepingNanos);
            long beforeSelect = clock();
            stats.busyNanos += Math.max(0, Math.min(beforeSelect, schedule.measureEndNanos())
                    - Math.max(awake, schedule.measureStartNanos()));
            int ready = wake <= beforeSelect
                    ? selector.selectNow()
                    : selector.select(Math.ceilDiv(wake - beforeSelect, NANOS_PER_MILLI));
            awake = clock();
            if (ready > 0) {
                handleReadyKeys(awake);
            }
        }
    }

    private void handleReadyKeys(long now) {
        handleEachReadyKey(now);
        flushSends();
    }

    private void handleEachReadyKey(long now) {
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
            SelectionKey key = keys.next();
            keys.remove();
            Session session = (Session) key.attachment();
            if (!key.isValid() || session.state == Session.DONE) {
                continue;
            }
            try {
                if (key.isConnectable()) {
                    onConnectable(session);
                    continue;
                }
                if (key.isWritable()) {
                    onWritable(session);
                }
                if (key.isReadable() && session.state != Session.DONE) {
                    onReadable(session, now);
                }
            } catch (IOException e) {
                fail(session, "session " + session.id + ": " + describe(session) + ": " + e);
            }
        }
    }

    // ---- connection set-up --------------------------------------------------------------------------

    private void startSessions(long now) {
        while (nextToStart < sessions.length && sessions[nextToStart].startNanos <= now) {
            Session session = sessions[nextToStart++];
            session.connectDeadlineNanos = session.startNanos + timeouts.connectNanos();
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
                fail(session, "session " + session.id + ": connect " + target.address() + ": " + e);
            }
        }
    }

    private void onConnectable(Session session) throws IOException {
        if (session.channel.finishConnect()) {
            onConnected(session);
        }
    }

    private void onConnected(Session session) throws IOException {
        if (ring != null) {
            session.fd = SocketDescriptor.of(session.channel);
        }
        session.state = Session.HANDSHAKING;
        session.key.interestOps(SelectionKey.OP_READ);
        session.webSocketKey = WebSocketClientCodec.newKey(random);
        byte[] request = WebSocketClientCodec.upgradeRequest(target.hostHeader(), target.path(), session.webSocketKey);
        write(session, ByteBuffer.wrap(request), clock());
    }

    private void onHandshakeBytes(Session session, long now) throws IOException {
        ByteBuffer in = session.inbound;
        int end = WebSocketClientCodec.headEnd(in, in.position());
        if (end < 0) {
            if (!in.hasRemaining()) {
                fail(session, "session " + session.id + ": upgrade response head exceeds " + in.capacity() + " bytes");
            }
            return;
        }
        String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
        String problem = WebSocketClientCodec.checkUpgradeResponse(head, session.webSocketKey);
        if (problem != null) {
            fail(session, "session " + session.id + ": " + problem);
            return;
        }
        in.flip().position(end);
        in.compact();
        beginStreaming(session, now);
    }

    private void beginStreaming(Session session, long now) throws IOException {
        session.state = Session.STREAMING;
        stats.sessionsConnected++;
        control.clear();
        WebSocketClientCodec.encodeMasked(control, WebSocketClientCodec.OPCODE_TEXT, nextMask(), START_MESSAGE);
        write(session, control.flip(), now);
        if (session.state != Session.STREAMING) {
            return;
        }
        session.originNanos = RunSchedule.frameOriginNanos(now);
        session.nextDueNanos = session.originNanos;
        addToBucket(session, (int) Math.floorMod(session.originNanos / NANOS_PER_MILLI, BUCKETS));
    }

    // ---- sending --------------------------------------------------------------------------------------

    private void sendDueBuckets(long now) {
        while (nextTickMillis * NANOS_PER_MILLI <= now) {
            int bucket = (int) (nextTickMillis % BUCKETS);
            Session[] members = buckets[bucket];
            // Backwards: a session that finishes streaming is swapped out of the slot being visited.
            for (int i = bucketSizes[bucket] - 1; i >= 0; i--) {
                sendDueFrames(members[i], true);
            }
            nextTickMillis++;
        }
        flushSends();
        scheduleNextTick();
    }

    private void scheduleNextTick() {
        nextTickNanos = Long.MAX_VALUE;
        if (streaming == 0) {
            return;
        }
        for (int step = 0; step < BUCKETS; step++) {
            if (bucketSizes[(int) ((nextTickMillis + step) % BUCKETS)] > 0) {
                nextTickNanos = (nextTickMillis + step) * NANOS_PER_MILLI;
                return;
            }
        }
    }

    /**
     * Writes every frame of {@code session} that is due now; starts the close once the window is over.
     * Frames held back by the server's backpressure (a full socket) are late through no fault of the
     * client, so they stay out of the send-lag histogram ({@code recordLag} false), which judges the
     * client alone.
     */
    private void sendDueFrames(Session session, boolean recordLag) {
        if (ring != null) {
            queueDueFrames(session, recordLag);
            return;
        }
        while (!session.hasPending()) {
            long due = session.nextDueNanos;
            if (due >= schedule.measureEndNanos()) {
                startClosing(session, clock());
                return;
            }
            long now = clock();
            if (due > now) {
                return;
            }
            sendFrame(session, due, now, recordLag);
            if (session.state != Session.STREAMING) {
                return;
            }
        }
    }

    private void sendFrame(Session session, long due, long now, boolean recordLag) {
        encodeFrame(frame, 0, session.id, session.nextSeq);
        frame.clear();
        int written;
        try {
            written = session.channel.write(frame);
        } catch (IOException e) {
            fail(session, "session " + session.id + ": send frame " + session.nextSeq + ": " + e);
            return;
        }
        if (recordLag && due >= schedule.measureStartNanos()) {
            LatencyHistogram.recordNanos(stats.sendLag, now - due);
        }
        stats.framesSent++;
        session.nextSeq++;
        session.nextDueNanos += Pcm.FRAME_INTERVAL_NANOS;
        if (written < FRAME_BYTES) {
            stats.sendsHeldBack++;
            park(session, frame, due);
        }
    }

    /** Keeps the unsent rest of {@code src} in the session until the socket is writable again. */
    private static void park(Session session, ByteBuffer src, long sinceNanos) {
        session.stash(src, sinceNanos);
        session.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    /** Writes {@code src} now, or whatever the socket does not take after what is already pending. */
    private void write(Session session, ByteBuffer src, long now) throws IOException {
        if (session.sending) {
            // A queued or in-flight io_uring send of this session must reach the wire first.
            flushSends();
        }
        if (!session.hasPending() && !session.sending) {
            session.channel.write(src);
            if (!src.hasRemaining()) {
                return;
            }
        }
        park(session, src, now);
    }

    private void onWritable(Session session) throws IOException {
        ByteBuffer pending = session.pending;
        pending.flip();
        session.channel.write(pending);
        pending.compact();
        if (pending.position() > 0) {
            return;
        }
        session.key.interestOps(SelectionKey.OP_READ);
        if (session.state == Session.STREAMING) {
            sendDueFrames(session, false);
        }
    }

    // ---- sending through io_uring ----------------------------------------------------------------------

    /**
     * io_uring path of {@link #sendDueFrames}: the frames of {@code session} due now (up to
     * {@link SendSlots#MAX_FRAMES}) go into one send slot as one queued send; at most one send per session
     * is queued or in flight, so its bytes cannot be reordered. The queue is submitted at the end of the
     * wake-up ({@link #flushSends}), and the send lag recorded then.
     */
    private void queueDueFrames(Session session, boolean recordLag) {
        if (session.hasPending() || session.sending) {
            return;
        }
        long now = clock();
        long due = session.nextDueNanos;
        if (due >= schedule.measureEndNanos()) {
            startClosing(session, now);
            return;
        }
        if (due > now) {
            return;
        }
        int slot = slots.take();
        if (slot < 0) {
            flushSends();
            slot = slots.take();
            if (slot < 0) {
                return; // every slot in flight: the frames stay due and go out at the next wake-up
            }
        }
        int frames = 0;
        int offset = slots.offset(slot);
        while (frames < SendSlots.MAX_FRAMES && due <= now && due < schedule.measureEndNanos()) {
            encodeFrame(slots.buffer, offset + frames * FRAME_BYTES, session.id, session.nextSeq + frames);
            frames++;
            due += Pcm.FRAME_INTERVAL_NANOS;
        }
        slots.fill(slot, session, session.nextDueNanos, frames, recordLag);
        ring.queueSend(session.fd, slots.address(slot), frames * FRAME_BYTES, slot);
        session.sending = true;
        session.sendingSinceNanos = session.nextDueNanos;
        session.nextSeq += frames;
        session.nextDueNanos = due;
        stats.framesSent += frames;
    }

    /**
     * Submits the queued sends, records their send lag, and handles every completion; again while
     * completions queue more (a session that was held back catching up).
     */
    private void flushSends() {
        if (ring == null) {
            return;
        }
        while (true) {
            if (ring.queued() > 0) {
                submitQueued();
                continue;
            }
            // Sends that waited in the kernel for room in a full socket complete later, polled here.
            reapingLate = true;
            int completed = ring.reap(this::onSendCompleted);
            reapingLate = false;
            if (completed == 0 || ring.queued() == 0) {
                return;
            }
        }
    }

    private void submitQueued() {
        try {
            if (ring.submit() == 0) {
                // Never seen; without this a refusing kernel would spin the loop in flushSends.
                throw new IOException("the kernel took none of " + ring.queued() + " queued sends");
            }
        } catch (IOException e) {
            throw new IllegalStateException("io_uring submit failed", e);
        }
        long sent = clock();
        for (int i = 0; i < slots.batchSize; i++) {
            int slot = slots.batch[i];
            if (!slots.recordLag[slot]) {
                continue;
            }
            long due = slots.firstDue[slot];
            for (int k = 0; k < slots.frames[slot]; k++, due += Pcm.FRAME_INTERVAL_NANOS) {
                if (due >= schedule.measureStartNanos()) {
                    LatencyHistogram.recordNanos(stats.sendLag, sent - due);
                }
            }
        }
        slots.batchSize = 0;
        ring.reap(this::onSendCompleted);
    }

    private void onSendCompleted(long userData, int result) {
        int slot = (int) userData;
        Session session = slots.session[slot];
        int frames = slots.frames[slot];
        int bytes = frames * FRAME_BYTES;
        boolean complete = result == bytes;
        boolean failed = !complete && result < 0 && result != -IoUring.EAGAIN;
        if (session.state != Session.DONE && !complete && !failed) {
            // The socket is full: keep the unsent rest, exactly as a short write does (copied before release).
            int offset = slots.offset(slot);
            park(session, slots.buffer.duplicate().limit(offset + bytes).position(offset + Math.max(0, result)),
                    slots.firstDue[slot]);
        }
        slots.release(slot);
        if (session.state == Session.DONE) {
            return;
        }
        session.sending = false;
        if (failed) {
            fail(session, "session " + session.id + ": send of " + frames + " frames failed: errno " + -result);
            return;
        }
        if (!complete || reapingLate) {
            stats.sendsHeldBack++;
        }
        if (complete && session.state == Session.STREAMING) {
            // Frames that waited behind a held-back send are late through the server's doing, not ours.
            queueDueFrames(session, !reapingLate);
        }
    }

    /**
     * Fills in the frame whose header (written once, see {@link SendSlots}) starts at {@code at}: a fresh
     * masking key and the §3 PCM of ({@code sessionId}, {@code seq}) masked with it.
     */
    private void encodeFrame(ByteBuffer dst, int at, int sessionId, long seq) {
        int mask = nextMask();
        dst.putInt(at + MASK_KEY_OFFSET_16, mask);
        Pcm.writeMaskedFrame(sessionId, seq, mask, dst, at + MASKED_HEADER_16_BYTES);
    }

    private int nextMask() {
        long x = maskState;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        maskState = x;
        return (int) ((x * 0x2545F4914F6CDD1DL) >>> 32);
    }

    // ---- receiving ------------------------------------------------------------------------------------

    private void onReadable(Session session, long now) throws IOException {
        ByteBuffer in = session.inbound;
        int read = session.channel.read(in);
        if (read < 0) {
            onEndOfStream(session);
            return;
        }
        if (session.state == Session.HANDSHAKING) {
            onHandshakeBytes(session, now);
            if (session.state != Session.STREAMING) {
                return;
            }
        }
        int offset = 0;
        int limit = in.position();
        while (session.state == Session.STREAMING || session.state == Session.CLOSING) {
            int length = serverFrame.decode(in, offset, limit, MAX_MESSAGE_BYTES);
            if (length == ServerFrame.VIOLATION) {
                fail(session, "session " + session.id + ": " + serverFrame.violation());
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
                control.clear();
                WebSocketClientCodec.encodeMasked(control, WebSocketClientCodec.OPCODE_PONG, nextMask(), payload);
                write(session, control.flip(), now);
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
            fail(session, "session " + session.id + ": fragmented message exceeds " + MAX_MESSAGE_BYTES + " bytes");
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

    // ---- closing --------------------------------------------------------------------------------------

    private void startClosing(Session session, long now) {
        removeFromBucket(session);
        session.state = Session.CLOSING;
        session.closeDeadlineNanos = now + timeouts.closeGraceNanos();
        control.clear();
        WebSocketClientCodec.encodeMasked(control, WebSocketClientCodec.OPCODE_CLOSE, nextMask(), CLOSE_NORMAL);
        try {
            write(session, control.flip(), now);
        } catch (IOException e) {
            fail(session, "session " + session.id + ": send close: " + e);
        }
    }

    private void onServerClose(Session session, ByteBuffer in, int payloadOffset, int payloadLength) {
        if (session.state == Session.CLOSING) {
            finish(session);
            return;
        }
        fail(session, "session " + session.id + ": server closed the stream with code "
                + ServerFrame.closeCode(in, payloadOffset, payloadLength));
    }

    private void onEndOfStream(Session session) {
        if (session.state == Session.CLOSING) {
            finish(session);
            return;
        }
        fail(session, "session " + session.id + ": connection closed by the server while " + describe(session));
    }

    private void housekeeping(long now) {
        flushSends();
        for (int i = 0; i < nextToStart; i++) {
            Session session = sessions[i];
            switch (session.state) {
                case Session.DONE -> {
                    continue;
                }
                case Session.CONNECTING, Session.HANDSHAKING -> {
                    if (now >= session.connectDeadlineNanos) {
                        stats.connectTimeouts++;
                        finish(session);
                        continue;
                    }
                }
                case Session.CLOSING -> {
                    if (now >= session.closeDeadlineNanos) {
                        stats.closeTimeouts++;
                        finish(session);
                        continue;
                    }
                }
                default -> {
                }
            }
            if (session.hasPending() && now - session.pendingSinceNanos >= timeouts.sendNanos()
                    || session.sending && now - session.sendingSinceNanos >= timeouts.sendNanos()) {
                stats.sendTimeouts++;
                finish(session);
            } else if (now >= schedule.sessionDeadlineNanos()) {
                stats.sessionTimeouts++;
                finish(session);
            }
        }
    }

    private void fail(Session session, String why) {
        if (session.state == Session.DONE) {
            return;
        }
        stats.recordProtocolError(why);
        finish(session);
    }

    private void finish(Session session) {
        if (session.state == Session.STREAMING) {
            removeFromBucket(session);
        }
        session.state = Session.DONE;
        session.inbound = null;
        session.pending = null;
        session.fragments = null;
        closeQuietly(session);
        unfinished--;
    }

    private static void closeQuietly(Session session) {
        if (session.channel == null) {
            return;
        }
        try {
            session.channel.close();
        } catch (IOException ignored) {
            // the session is over either way
        }
    }

    private static String describe(Session session) {
        return switch (session.state) {
            case Session.CONNECTING -> "connecting";
            case Session.HANDSHAKING -> "upgrading";
            case Session.STREAMING -> "streaming";
            case Session.CLOSING -> "closing";
            default -> "idle";
        };
    }

    // ---- send buckets ---------------------------------------------------------------------------------

    private void addToBucket(Session session, int bucket) {
        Session[] members = buckets[bucket];
        int size = bucketSizes[bucket];
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
            buckets[bucket] = members;
        }
        members[size] = session;
        session.bucket = bucket;
        session.bucketSlot = size;
        bucketSizes[bucket] = size + 1;
        if (streaming++ == 0) {
            nextTickMillis = session.originNanos / NANOS_PER_MILLI;
        }
        nextTickNanos = Math.min(nextTickNanos, session.originNanos);
    }

    private void removeFromBucket(Session session) {
        int bucket = session.bucket;
        if (bucket < 0) {
            return;
        }
        Session[] members = buckets[bucket];
        int last = --bucketSizes[bucket];
        Session moved = members[last];
        members[session.bucketSlot] = moved;
        moved.bucketSlot = session.bucketSlot;
        members[last] = null;
        session.bucket = -1;
        streaming--;
    }
}
