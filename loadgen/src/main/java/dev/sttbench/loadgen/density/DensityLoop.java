package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.net.WebSocketClientCodec;
import dev.sttbench.loadgen.stats.LatencyHistogram;
import dev.sttbench.loadgen.validate.ServerMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One selector thread driving one process's share of a density run through its phases: open (at the
 * requested rate, at most {@code --max-pending} handshakes at once), hold, liveness check (a ping with a
 * unique payload per connection; with frames, also every frame answered), close.
 *
 * <p>One thread is enough: an idle connection costs nothing between events, a handshake a few system calls.
 * It also keeps "more than 90% of one core" a meaningful sign that the load generator limited the run.
 * More than one thread's worth is what {@code --processes} is for.
 *
 * <p>Audio frames, when asked for, go out on a 1 ms wheel: connection {@code i} of the loop sends at the
 * ticks {@code t} with {@code t mod F == i mod F}, so phases are spread uniformly and nothing is stored per
 * connection to schedule them.
 */
final class DensityLoop {
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Pings and closes sent between two looks at the sockets, so that answers are read (and timed) as they come. */
    private static final int BATCH = 1024;
    /** The longest a select sleeps, so that a bug cannot hang a phase silently. */
    private static final long MAX_SLEEP_MILLIS = 1000;
    /** Below this share of the requested rate, or above this share of a core, the load generator limited the run. */
    static final double LIMIT_SHARE = 0.9;
    /**
     * Shortest phase whose CPU share (and open rate) is judged: a shorter one is dominated by the JVM's own start-up
     * work (class loading, the JIT compiling) and by the 10 ms granularity of the process's CPU time.
     */
    private static final long CPU_JUDGED_NANOS = NANOS_PER_SECOND;

    private final DensityOptions options;
    private final int count;
    private final int firstId;
    /** Connections per second for this process; 0 = as fast as max-pending allows. */
    private final double rate;
    private final int maxPending;
    private final long timeoutNanos;
    private final int frameIntervalMs;
    private final List<InetAddress> sources;
    private final Connection[] connections;
    private final Selector selector;
    private final Connector connector;
    private final Handshake handshake;
    private final Receiver receiver;
    private final Outbound outbound;
    private final Tally tally = new Tally();
    private final long pingNonce;

    private int started;
    private int pending;
    private int resolved;
    private int awaitingPongs;
    private int closing;
    private int lingering;
    private long outstandingFrames;
    /** Connections before it have no handshake deadline left (see {@link #expireHandshakes}). */
    private int expiryScan;
    private boolean heldByMaxPending;
    private long lastStartNanos;
    private boolean framesOn;
    private long frameOriginNanos;
    private long nextTick;

    DensityLoop(DensityOptions options, Shard shard, List<InetAddress> sources) throws IOException {
        this.options = options;
        this.count = shard.size(options.connections());
        this.firstId = shard.firstId(options.connections());
        this.rate = options.rate() / (double) shard.count();
        this.maxPending = Math.ceilDiv(options.maxPending(), shard.count());
        this.timeoutNanos = options.timeoutMs() * NANOS_PER_MILLI;
        this.frameIntervalMs = options.frameIntervalMs();
        this.sources = sources;
        this.connections = new Connection[count];
        this.selector = Selector.open();
        this.connector = new Connector(selector, options.target().address(), sources);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        this.handshake = new Handshake(options.target(), random.nextLong());
        this.receiver = new Receiver(this, handshake);
        this.outbound = new Outbound(random.nextLong());
        this.pingNonce = random.nextLong();
    }

    /** Runs every phase; returns what this process saw. */
    DensityResult run() throws IOException {
        long startedEpochMs = System.currentTimeMillis();
        long cpuStart = ProcSelf.cpuTicks();
        long openStart = System.nanoTime();
        try {
            open(openStart);
            long openEnd = System.nanoTime();
            long openDoneEpochMs = System.currentTimeMillis();
            long cpuOpen = ProcSelf.cpuTicks();
            if (tally.opened > 0) {
                hold(openEnd + options.holdSeconds() * NANOS_PER_SECOND);
            }
            long holdEnd = System.nanoTime();
            long holdDoneEpochMs = System.currentTimeMillis();
            long cpuHold = ProcSelf.cpuTicks();
            checkLiveness();
            closeAll();
            long cpuEnd = ProcSelf.cpuTicks();
            return result(openStart, openEnd, holdEnd, cpuStart, cpuOpen, cpuHold, cpuEnd, startedEpochMs,
                    openDoneEpochMs, holdDoneEpochMs, System.currentTimeMillis());
        } finally {
            for (int j = 0; j < started; j++) {
                release(connections[j]);
            }
            selector.close();
        }
    }

    // ---- phases -----------------------------------------------------------------------------------------

    private void open(long openStart) throws IOException {
        framesOn = frameIntervalMs > 0;
        frameOriginNanos = openStart;
        while (resolved < count) {
            long now = System.nanoTime();
            startDue(openStart, now);
            expireHandshakes(now);
            sendDueFrames(now);
            if (resolved == count) {
                break;
            }
            poll(Math.min(nextStartNanos(openStart), Math.min(nextExpiryNanos(), nextFrameNanos())));
        }
    }

    private void hold(long holdEnd) throws IOException {
        for (long now = System.nanoTime(); now < holdEnd; now = System.nanoTime()) {
            sendDueFrames(now);
            poll(Math.min(holdEnd, nextFrameNanos()));
        }
    }

    /**
     * Pings every open connection with its own 8-byte payload; waits until each has its pong (or its
     * {@code --timeout-ms} passed) and, with frames, until every frame sent is answered (or {@code
     * --timeout-ms} after the last one went out).
     */
    private void checkLiveness() throws IOException {
        framesOn = false;
        long framesDeadline = System.nanoTime() + timeoutNanos;
        long lastPing = System.nanoTime();
        int sinceLook = 0;
        byte[] payload = new byte[Long.BYTES];
        for (int j = 0; j < started; j++) {
            Connection c = connections[j];
            if (c.state != Connection.OPEN) {
                continue;
            }
            ByteBuffer.wrap(payload).putLong(pingPayload(c));
            lastPing = System.nanoTime();
            c.timeNanos = lastPing;
            c.pingPending = true;
            awaitingPongs++;
            tally.checked++;
            try {
                outbound.control(c, WebSocketClientCodec.OPCODE_PING, payload);
            } catch (IOException e) {
                fail(c, Cause.of(e, false), "send ping: " + e.getMessage());
            }
            if (++sinceLook == BATCH) {
                sinceLook = 0;
                selector.selectNow(this::onKey);
            }
        }
        long pingDeadline = lastPing + timeoutNanos;
        while (true) {
            long now = System.nanoTime();
            boolean waitPongs = awaitingPongs > 0 && now < pingDeadline;
            boolean waitFrames = outstandingFrames > 0 && now < framesDeadline;
            if (!waitPongs && !waitFrames) {
                break;
            }
            poll(Math.min(waitPongs ? pingDeadline : Long.MAX_VALUE, waitFrames ? framesDeadline : Long.MAX_VALUE));
        }
        for (int j = 0; j < started; j++) {
            Connection c = connections[j];
            if (c.state != Connection.OPEN) {
                continue;
            }
            if (c.pingPending) {
                fail(c, Cause.DEAD, "no pong within " + options.timeoutMs() + " ms");
            } else if (c.framesAnswered < c.framesSent && !c.failed) {
                // Alive, so it still gets a clean close below; it counts here and nowhere else.
                c.failed = true;
                tally.fail(Cause.UNANSWERED_FRAMES, "connection " + c.id + ": " + (c.framesSent - c.framesAnswered)
                        + " of " + c.framesSent + " frames unanswered after " + options.timeoutMs() + " ms");
            }
        }
    }

    /** Closes every open connection with 1000 and waits for the server's close, then for its end of stream. */
    private void closeAll() throws IOException {
        byte[] normal = WebSocketClientCodec.closePayload(WebSocketClientCodec.CLOSE_NORMAL);
        long lastClose = System.nanoTime();
        int sinceLook = 0;
        for (int j = 0; j < started; j++) {
            Connection c = connections[j];
            if (c.state != Connection.OPEN) {
                continue;
            }
            lastClose = System.nanoTime();
            c.timeNanos = lastClose;
            c.state = Connection.CLOSING;
            closing++;
            try {
                outbound.control(c, WebSocketClientCodec.OPCODE_CLOSE, normal);
            } catch (IOException e) {
                fail(c, Cause.of(e, false), "send close: " + e.getMessage());
            }
            if (++sinceLook == BATCH) {
                sinceLook = 0;
                selector.selectNow(this::onKey);
            }
        }
        long deadline = lastClose + timeoutNanos;
        while ((closing > 0 || lingering > 0) && System.nanoTime() < deadline) {
            poll(deadline);
        }
        for (int j = 0; j < started; j++) {
            Connection c = connections[j];
            if (c.state == Connection.CLOSING) {
                fail(c, Cause.CLOSE_TIMEOUT, "close not answered within " + options.timeoutMs() + " ms");
            }
            // The rest answered our close; those whose server has not closed its end yet are closed from ours.
            release(c);
        }
    }

    // ---- opening ----------------------------------------------------------------------------------------

    private long startAt(long openStart, int index) {
        return openStart + (long) (index * (NANOS_PER_SECOND / rate));
    }

    private void startDue(long openStart, long now) {
        while (started < count) {
            if (rate > 0 && startAt(openStart, started) > now) {
                return;
            }
            if (pending >= maxPending) {
                heldByMaxPending = true;
                return;
            }
            start(started);
        }
    }

    private long nextStartNanos(long openStart) {
        if (started == count || pending >= maxPending) {
            return Long.MAX_VALUE; // a handshake that ends wakes the loop through its key
        }
        return rate > 0 ? startAt(openStart, started) : 0;
    }

    private void start(int index) {
        Connection c = new Connection(firstId + index, index);
        connections[index] = c;
        started++;
        pending++;
        c.timeNanos = System.nanoTime();
        lastStartNanos = c.timeNanos;
        try {
            if (connector.connect(c)) {
                onConnected(c);
            }
        } catch (IOException e) {
            fail(c, Cause.of(e, c.state == Connection.CONNECTING), "connect: " + e.getMessage());
        }
    }

    private void onConnected(Connection c) throws IOException {
        c.state = Connection.UPGRADING;
        c.key.interestOps(SelectionKey.OP_READ);
        if (sources.isEmpty() && tally.observedSource == null) {
            tally.observedSource = ((InetSocketAddress) c.channel.getLocalAddress()).getAddress().getHostAddress();
        }
        outbound.upgradeRequest(c, handshake.request(c.id));
    }

    /**
     * Fails the handshakes older than the timeout. Connections start in index order and their deadline is
     * their start plus the timeout, so the first one still handshaking has the earliest deadline: one scan
     * over the whole open phase.
     */
    private void expireHandshakes(long now) {
        while (expiryScan < started) {
            Connection c = connections[expiryScan];
            if (c.handshaking()) {
                if (now - c.timeNanos < timeoutNanos) {
                    return;
                }
                fail(c, Cause.TIMEOUT, (c.state == Connection.CONNECTING ? "connect" : "upgrade") + " not done within "
                        + options.timeoutMs() + " ms");
            }
            expiryScan++;
        }
    }

    private long nextExpiryNanos() {
        return expiryScan < started ? connections[expiryScan].timeNanos + timeoutNanos : Long.MAX_VALUE;
    }

    /** The upgrade was accepted: the connection counts as opened and says start. */
    void onUpgraded(Connection c) {
        pending--;
        resolved++;
        tally.opened++;
        c.state = Connection.OPEN;
        try {
            outbound.startMessage(c);
        } catch (IOException e) {
            fail(c, Cause.of(e, false), "send start: " + e.getMessage());
        }
    }

    // ---- frames -----------------------------------------------------------------------------------------

    /** Sends the frames of every tick up to now; a late loop catches up, so none is skipped. */
    private void sendDueFrames(long now) {
        if (!framesOn) {
            return;
        }
        long tick = (now - frameOriginNanos) / NANOS_PER_MILLI;
        while (nextTick <= tick) {
            for (int j = (int) (nextTick % frameIntervalMs); j < started; j += frameIntervalMs) {
                Connection c = connections[j];
                if (c.state == Connection.OPEN) {
                    sendFrame(c);
                }
            }
            nextTick++;
        }
    }

    private long nextFrameNanos() {
        if (!framesOn) {
            return Long.MAX_VALUE;
        }
        long tick = nextTick;
        int slot = (int) (tick % frameIntervalMs);
        if (slot >= started) {
            tick += frameIntervalMs - slot; // no connection in the slots past the last started one
        }
        return frameOriginNanos + tick * NANOS_PER_MILLI;
    }

    private void sendFrame(Connection c) {
        try {
            if (outbound.audioFrame(c, c.framesSent + 1)) {
                c.framesSent++;
                outstandingFrames++;
                tally.framesSent++;
            }
        } catch (IOException e) {
            fail(c, Cause.of(e, false), "send frame " + (c.framesSent + 1) + ": " + e.getMessage());
        }
    }

    /** A valid partial or error: it must name exactly the next frames sent, none twice, none skipped. */
    void onAnswer(Connection c, ServerMessage message) {
        long oldest = message.oldestFrameSeq();
        long newest = message.newestFrameSeq();
        if (oldest != c.framesAnswered + 1L || newest > c.framesSent) {
            fail(c, Cause.PROTOCOL, message.type().name().toLowerCase(Locale.ROOT) + " names frames [" + oldest + ", "
                    + newest + "], expected a batch from " + (c.framesAnswered + 1) + " to at most " + c.framesSent);
            return;
        }
        int frames = (int) (newest - oldest + 1);
        c.framesAnswered += frames;
        outstandingFrames -= frames;
        tally.framesAnswered += frames;
        if (message.isPartial()) {
            tally.partials++;
        } else {
            tally.errorFrames++;
        }
    }

    // ---- control frames and the end of a connection ----------------------------------------------------

    private long pingPayload(Connection c) {
        return pingNonce ^ c.id;
    }

    void onPing(Connection c, byte[] payload) {
        try {
            outbound.control(c, WebSocketClientCodec.OPCODE_PONG, payload);
        } catch (IOException e) {
            fail(c, Cause.of(e, false), "send pong: " + e.getMessage());
        }
    }

    /** A pong with an 8-byte payload: ours when it is this connection's ping payload; others are heartbeats. */
    void onPong(Connection c, long payload) {
        if (!c.pingPending || payload != pingPayload(c)) {
            return;
        }
        c.pingPending = false;
        awaitingPongs--;
        long latency = System.nanoTime() - c.timeNanos;
        if (latency > timeoutNanos) {
            fail(c, Cause.DEAD, "pong after " + latency / NANOS_PER_MILLI + " ms");
            return;
        }
        tally.alive++;
        LatencyHistogram.recordNanos(tally.pongMicros, latency);
    }

    void onServerClose(Connection c, int code) {
        switch (c.state) {
            case Connection.CLOSING -> {
                long waited = System.nanoTime() - c.timeNanos;
                if (waited > timeoutNanos) {
                    fail(c, Cause.CLOSE_TIMEOUT, "close answered after " + waited / NANOS_PER_MILLI + " ms");
                    return;
                }
                closing--;
                lingering++;
                c.state = Connection.CLOSE_RECEIVED;
            }
            case Connection.CLOSE_RECEIVED -> fail(c, Cause.PROTOCOL, "a second close frame");
            default -> {
                try {
                    // Answer as RFC 6455 asks, echoing the code.
                    outbound.control(c, WebSocketClientCodec.OPCODE_CLOSE,
                            code == 1005 ? new byte[0] : WebSocketClientCodec.closePayload(code));
                } catch (IOException e) {
                    // it is closed either way
                }
                fail(c, Cause.CLOSED_BY_SERVER, "the server closed with code " + code);
            }
        }
    }

    void onEndOfStream(Connection c) {
        if (c.state == Connection.CLOSE_RECEIVED) {
            release(c); // the server closed its end first, as RFC 6455 wants: TIME_WAIT stays on its side
            return;
        }
        fail(c, Cause.RESET, "end of stream while " + describe(c));
    }

    /** Counts {@code c} under {@code cause} unless it failed before, and lets it go. */
    void fail(Connection c, Cause cause, String detail) {
        if (c.state == Connection.DONE) {
            return;
        }
        if (!c.failed) {
            c.failed = true;
            tally.fail(cause, "connection " + c.id + ": " + detail);
        }
        release(c);
    }

    /** Takes {@code c} out of every count it is in and closes its socket. */
    private void release(Connection c) {
        switch (c.state) {
            case Connection.CONNECTING, Connection.UPGRADING -> {
                pending--;
                resolved++;
            }
            case Connection.CLOSING -> closing--;
            case Connection.CLOSE_RECEIVED -> lingering--;
            case Connection.DONE -> {
                return;
            }
            default -> {
            }
        }
        if (c.pingPending) {
            c.pingPending = false;
            awaitingPongs--;
        }
        outstandingFrames -= c.framesSent - c.framesAnswered;
        c.state = Connection.DONE;
        if (c.channel != null) {
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
        c.channel = null;
        c.key = null;
        c.inbound = null;
        c.outbound = null;
        c.fragments = null;
    }

    private static String describe(Connection c) {
        return switch (c.state) {
            case Connection.CONNECTING -> "connecting";
            case Connection.UPGRADING -> "upgrading";
            case Connection.OPEN -> "open";
            case Connection.CLOSING -> "closing";
            default -> "closed";
        };
    }

    // ---- the selector -----------------------------------------------------------------------------------

    private void poll(long wakeNanos) throws IOException {
        long wait = wakeNanos - System.nanoTime();
        if (wait <= 0) {
            selector.selectNow(this::onKey);
        } else {
            selector.select(this::onKey, Math.min(MAX_SLEEP_MILLIS, Math.ceilDiv(wait, NANOS_PER_MILLI)));
        }
    }

    private void onKey(SelectionKey key) {
        Connection c = (Connection) key.attachment();
        if (!key.isValid() || c.state == Connection.DONE) {
            return;
        }
        int ready = key.readyOps();
        try {
            if ((ready & SelectionKey.OP_CONNECT) != 0) {
                if (c.channel.finishConnect()) {
                    onConnected(c);
                }
                return;
            }
            if ((ready & SelectionKey.OP_WRITE) != 0 && c.outbound != null) {
                outbound.drain(c);
            }
        } catch (IOException e) {
            fail(c, Cause.of(e, c.state == Connection.CONNECTING), describe(c) + ": " + e.getMessage());
            return;
        }
        if ((ready & SelectionKey.OP_READ) != 0 && c.state != Connection.DONE) {
            receiver.onReadable(c);
        }
    }

    // ---- the result -------------------------------------------------------------------------------------

    private DensityResult result(long openStart, long openEnd, long holdEnd, long cpuStart, long cpuOpen, long cpuHold,
                                 long cpuEnd, long startedEpochMs, long openDoneEpochMs, long holdDoneEpochMs,
                                 long finishedEpochMs) {
        double openSeconds = (openEnd - openStart) / (double) NANOS_PER_SECOND;
        double openCpuPct = cpuPercent(cpuOpen - cpuStart, openEnd - openStart);
        double holdCpuPct = cpuPercent(cpuHold - cpuOpen, holdEnd - openEnd);
        List<String> limits = new ArrayList<>();
        if (rate > 0 && count > 1 && lastStartNanos - openStart >= CPU_JUDGED_NANOS) {
            double startRate = count / ((lastStartNanos - openStart) / (double) NANOS_PER_SECOND + 1 / rate);
            // Held back by --max-pending, the pace was the server's (its handshakes were slow), not this client's.
            if (startRate < LIMIT_SHARE * rate && !heldByMaxPending) {
                limits.add(String.format(Locale.ROOT,
                        "started %.0f connections/s, below 90%% of the %.0f/s asked: the loop fell behind",
                        startRate, rate));
            }
        }
        if (openEnd - openStart >= CPU_JUDGED_NANOS && openCpuPct > LIMIT_SHARE * 100) {
            limits.add(String.format(Locale.ROOT, "used %.0f%% of a core while opening", openCpuPct));
        }
        if (holdEnd - openEnd >= CPU_JUDGED_NANOS && holdCpuPct > LIMIT_SHARE * 100) {
            limits.add(String.format(Locale.ROOT, "used %.0f%% of a core while holding", holdCpuPct));
        }
        List<String> sourceAddresses = new ArrayList<>();
        if (!sources.isEmpty()) {
            sources.forEach(address -> sourceAddresses.add(address.getHostAddress()));
        } else if (tally.observedSource != null) {
            sourceAddresses.add(tally.observedSource);
        }
        // A child reports its own share as one process; the parent merges the shares into the whole run.
        return new DensityResult(options.url(), count, options.frameIntervalMs(),
                options.holdSeconds(), 1, List.copyOf(sourceAddresses), tally.opened, openSeconds,
                openSeconds > 0 ? tally.opened / openSeconds : 0, rate, tally.failures.clone(), tally.checked,
                tally.alive, tally.pongMicros, tally.framesSent, tally.partials, tally.errorFrames,
                tally.framesAnswered, (cpuEnd - cpuStart) / (double) ProcSelf.USER_HZ, openCpuPct, holdCpuPct,
                ProcSelf.peakRssKb(), !limits.isEmpty(), String.join("; ", limits), startedEpochMs, openDoneEpochMs,
                holdDoneEpochMs, finishedEpochMs, tally.firstFailures());
    }

    private static double cpuPercent(long ticks, long wallNanos) {
        if (wallNanos <= 0) {
            return 0;
        }
        return 100.0 * ticks / ProcSelf.USER_HZ / (wallNanos / (double) NANOS_PER_SECOND);
    }
}
