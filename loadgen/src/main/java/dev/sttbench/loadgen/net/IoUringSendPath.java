package dev.sttbench.loadgen.net;

import dev.sttbench.loadgen.audio.Pcm;
import dev.sttbench.loadgen.schedule.RunSchedule;
import dev.sttbench.loadgen.stats.LatencyHistogram;
import dev.sttbench.loadgen.stats.RunStats;
import java.io.IOException;

/**
 * The frames due at a wake-up go out as io_uring sends, one per session (up to {@link SendSlots#MAX_FRAMES}
 * frames when it is catching up), handed to the kernel with one {@code io_uring_enter} at the end of the
 * wake-up ({@link #flush}); the send lag is recorded then.
 *
 * <p>Why: on a virtualized host a syscall costs about a microsecond before any work is done; one entry per
 * wake-up instead of one per frame, and the kernel handling a bucket's sends as one batch, took a C client
 * from 8.0 to 5.9 µs per frame (loadgen/README.md, "Measured efficiency").
 *
 * <p>A session has at most one send queued or in flight, so its bytes cannot be reordered. A send to a
 * full socket waits in the kernel and completes later (or short, or {@code -EAGAIN}); its unsent rest is
 * parked in the session exactly as a short {@code write}'s.
 */
final class IoUringSendPath implements SendPath {
    private final IoUring ring;
    private final SendSlots slots = new SendSlots();
    private final MaskedFrames frames;
    private final RunSchedule schedule;
    private final RunStats stats;
    private final RunClock clock;
    private final SessionLifecycle lifecycle;
    /** Reaping completions of sends that did not complete when submitted (the socket was full). */
    private boolean reapingLate;

    IoUringSendPath(MaskedFrames frames, RunSchedule schedule, RunStats stats, RunClock clock,
                    SessionLifecycle lifecycle) throws IOException {
        this.ring = IoUring.open(SendSlots.SLOTS);
        this.frames = frames;
        this.schedule = schedule;
        this.stats = stats;
        this.clock = clock;
        this.lifecycle = lifecycle;
    }

    @Override
    public void attach(Session session) {
        session.fd = SocketDescriptor.of(session.channel);
    }

    /** Queues the session's due frames as one send into a free slot; submitted by {@link #flush}. */
    @Override
    public void sendDueFrames(Session session, long now, boolean recordLag) {
        if (session.hasPending() || session.sending) {
            return;
        }
        long due = session.nextDueNanos;
        if (due >= schedule.measureEndNanos()) {
            lifecycle.closeAtWindowEnd(session, now);
            return;
        }
        if (due > now) {
            return;
        }
        int slot = slots.take();
        if (slot < 0) {
            flush();
            slot = slots.take();
            if (slot < 0) {
                return; // every slot in flight: the frames stay due and go out at the next wake-up
            }
        }
        int count = 0;
        int offset = slots.offset(slot);
        while (count < SendSlots.MAX_FRAMES && due <= now && due < schedule.measureEndNanos()) {
            frames.writeAudio(slots.buffer, offset + count * MaskedFrames.AUDIO_FRAME_BYTES, session.id,
                    session.nextSeq + count);
            count++;
            due += Pcm.FRAME_INTERVAL_NANOS;
        }
        slots.fill(slot, session, session.nextDueNanos, count, recordLag);
        ring.queueSend(session.fd, slots.address(slot), count * MaskedFrames.AUDIO_FRAME_BYTES, slot);
        session.sending = true;
        session.sendingSinceNanos = session.nextDueNanos;
        session.nextSeq += count;
        session.nextDueNanos = due;
        stats.framesSent += count;
    }

    /**
     * Submits the queued sends, records their send lag, and handles every completion; again while
     * completions queue more (a session that was held back catching up).
     */
    @Override
    public void flush() {
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
                // Never seen; without this a refusing kernel would spin the loop in flush.
                throw new IOException("the kernel took none of " + ring.queued() + " queued sends");
            }
        } catch (IOException e) {
            throw new IllegalStateException("io_uring submit failed", e);
        }
        long sent = clock.now();
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
        int count = slots.frames[slot];
        int bytes = count * MaskedFrames.AUDIO_FRAME_BYTES;
        boolean complete = result == bytes;
        boolean failed = !complete && result < 0 && result != -IoUring.EAGAIN;
        if (session.state != Session.DONE && !complete && !failed) {
            // The socket is full: keep the unsent rest, exactly as a short write does (copied before release).
            int offset = slots.offset(slot);
            session.park(slots.buffer.duplicate().limit(offset + bytes).position(offset + Math.max(0, result)),
                    slots.firstDue[slot]);
        }
        slots.release(slot);
        if (session.state == Session.DONE) {
            return;
        }
        session.sending = false;
        if (failed) {
            lifecycle.fail(session, "session " + session.id + ": send of " + count + " frames failed: errno " + -result);
            return;
        }
        if (!complete || reapingLate) {
            stats.sendsHeldBack++;
        }
        if (complete && session.state == Session.STREAMING) {
            // Frames that waited behind a held-back send are late through the server's doing, not ours.
            sendDueFrames(session, clock.now(), !reapingLate);
        }
    }

    @Override
    public void close() {
        ring.close();
    }
}
