package dev.sttbench.loadgen.net;

import dev.sttbench.loadgen.cli.RunOptions;
import dev.sttbench.loadgen.schedule.RunSchedule;
import dev.sttbench.loadgen.stats.RunStats;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One selector thread driving its share of the sessions, open loop: the duty cycle that wires a
 * {@link Connector} (connect and upgrade), a {@link SendScheduler} (frames by the clock, through the write
 * or io_uring {@link SendPath}) and a {@link Receiver} (server frames, validation, close), and owns how
 * sessions end: the close at the window's end, failures, and every timeout.
 *
 * <p>Each turn starts the sessions whose time has come, sends the buckets that are due, checks deadlines
 * every 50 ms, then selects with a timeout to whichever of those comes next. Read interest stays on:
 * server messages are rare (about one per session per second).
 */
public final class ClientLoop implements Runnable {
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final long HOUSEKEEPING_INTERVAL_NANOS = 50 * NANOS_PER_MILLI;
    private static final byte[] CLOSE_NORMAL = WebSocketClientCodec.closePayload(WebSocketClientCodec.CLOSE_NORMAL);

    private final RunSchedule schedule;
    private final LoopTimeouts timeouts;
    private final int rtPriority;
    private final Session[] sessions;
    private final RunStats stats = new RunStats();
    private final RunClock clock;
    private final Selector selector;
    private final MaskedFrames frames;
    private final SendScheduler sender;
    private final Connector connector;
    private final Receiver receiver;
    private int unfinished;
    private long nextHousekeepingNanos;

    /**
     * @param sessionIds      this loop's sessions, in start order
     * @param rtPriority      SCHED_FIFO priority the loop's thread takes when it starts; 0 keeps normal scheduling
     * @param ioUring         queue the frames due at a wake-up as io_uring sends, submitted once, instead of one
     *                        {@code write} per frame
     * @param sendBufferBytes SO_SNDBUF of each session's socket; 0 leaves the kernel's autotuning
     */
    public ClientLoop(Target target, RunSchedule schedule, LoopTimeouts timeouts, long runStartNanos,
                      List<Integer> sessionIds, boolean keepSamples, int rtPriority, boolean ioUring,
                      int sendBufferBytes, long seed)
            throws IOException {
        this.schedule = schedule;
        this.timeouts = timeouts;
        this.rtPriority = rtPriority;
        this.sessions = new Session[sessionIds.size()];
        for (int i = 0; i < sessions.length; i++) {
            int id = sessionIds.get(i);
            sessions[i] = new Session(id, schedule.startOffsetNanos(id));
        }
        this.unfinished = sessions.length;
        this.clock = new RunClock(runStartNanos);
        SplittableRandom random = new SplittableRandom(seed);
        this.frames = new MaskedFrames(random.nextLong());
        this.selector = Selector.open();
        SessionLifecycle lifecycle = new Lifecycle();
        SendPath path = ioUring
                ? new IoUringSendPath(frames, schedule, stats, clock, lifecycle)
                : new WriteSendPath(frames, schedule, stats, clock, lifecycle);
        this.sender = new SendScheduler(path, sessions.length);
        this.connector = new Connector(target, sessions, timeouts.connectNanos(), sendBufferBytes, selector, random,
                frames, sender, stats, clock, lifecycle);
        this.receiver = new Receiver(schedule, keepSamples, connector, sender, frames, stats, lifecycle);
        stats.windowNanos = schedule.measureEndNanos() - schedule.measureStartNanos();
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
            sender.close();
            stats.loopCpuNanos = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        }
    }

    private void loop() throws IOException {
        long awake = clock.now();
        while (unfinished > 0) {
            long now = clock.now();
            connector.startDue(now);
            if (now >= sender.nextTickNanos()) {
                sender.sendDue(now);
            }
            if (now >= nextHousekeepingNanos) {
                housekeeping(now);
                nextHousekeepingNanos = now + HOUSEKEEPING_INTERVAL_NANOS;
            }
            if (unfinished == 0) {
                break;
            }
            long wake = Math.min(Math.min(connector.nextStartNanos(), sender.nextTickNanos()), nextHousekeepingNanos);
            long beforeSelect = clock.now();
            stats.busyNanos += Math.max(0, Math.min(beforeSelect, schedule.measureEndNanos())
                    - Math.max(awake, schedule.measureStartNanos()));
            int ready = wake <= beforeSelect
                    ? selector.selectNow()
                    : selector.select(Math.ceilDiv(wake - beforeSelect, NANOS_PER_MILLI));
            awake = clock.now();
            if (ready > 0) {
                handleReadyKeys(awake);
                sender.flush();
            }
        }
    }

    private void handleReadyKeys(long now) {
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
                    connector.onConnectable(session);
                    continue;
                }
                if (key.isWritable()) {
                    sender.onWritable(session, now);
                }
                if (key.isReadable() && session.state != Session.DONE) {
                    receiver.onReadable(session, now);
                }
            } catch (IOException e) {
                fail(session, "session " + session.id + ": " + session.describeState() + ": " + e);
            }
        }
    }

    /** Every 50 ms: hands over late completions, then ends sessions past a deadline, each counted by kind. */
    private void housekeeping(long now) {
        sender.flush();
        for (int i = 0; i < connector.started(); i++) {
            Session session = sessions[i];
            if (session.state == Session.DONE) {
                continue;
            }
            if (connector.connectExpired(session, now)) {
                stats.connectTimeouts++;
                finish(session);
            } else if (session.state == Session.CLOSING && now >= session.closeDeadlineNanos) {
                stats.closeTimeouts++;
                finish(session);
            } else if (session.sendStalled(now, timeouts.sendNanos())) {
                stats.sendTimeouts++;
                finish(session);
            } else if (now >= schedule.sessionDeadlineNanos()) {
                stats.sessionTimeouts++;
                finish(session);
            }
        }
    }

    private void startClosing(Session session, long now) {
        sender.remove(session);
        session.state = Session.CLOSING;
        session.closeDeadlineNanos = now + timeouts.closeGraceNanos();
        try {
            sender.sendControl(session, frames.control(WebSocketClientCodec.OPCODE_CLOSE, CLOSE_NORMAL), now);
        } catch (IOException e) {
            fail(session, "session " + session.id + ": send close: " + e);
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
            sender.remove(session);
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

    /** The parts' way to end sessions, kept off this class's public surface. */
    private final class Lifecycle implements SessionLifecycle {
        @Override
        public void closeAtWindowEnd(Session session, long now) {
            startClosing(session, now);
        }

        @Override
        public void fail(Session session, String why) {
            ClientLoop.this.fail(session, why);
        }

        @Override
        public void finish(Session session) {
            ClientLoop.this.finish(session);
        }
    }
}
