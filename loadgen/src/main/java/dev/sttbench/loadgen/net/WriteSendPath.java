package dev.sttbench.loadgen.net;

import dev.sttbench.loadgen.audio.Pcm;
import dev.sttbench.loadgen.schedule.RunSchedule;
import dev.sttbench.loadgen.stats.LatencyHistogram;
import dev.sttbench.loadgen.stats.RunStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One {@code write} of 648 bytes per frame, from one direct buffer whose header is written once: no timer,
 * no interest-op change and no allocation per frame. A short write parks the rest in the session, and its
 * later frames wait until OP_WRITE has drained it. The fallback where io_uring is unavailable.
 */
final class WriteSendPath implements SendPath {
    private final ByteBuffer frame = ByteBuffer.allocateDirect(MaskedFrames.AUDIO_FRAME_BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
    private final MaskedFrames frames;
    private final RunSchedule schedule;
    private final RunStats stats;
    private final RunClock clock;
    private final SessionLifecycle lifecycle;

    WriteSendPath(MaskedFrames frames, RunSchedule schedule, RunStats stats, RunClock clock,
                  SessionLifecycle lifecycle) {
        this.frames = frames;
        this.schedule = schedule;
        this.stats = stats;
        this.clock = clock;
        this.lifecycle = lifecycle;
        MaskedFrames.writeAudioHeader(frame, 0);
    }

    @Override
    public void attach(Session session) {
        // a SocketChannel is all this path writes to
    }

    /**
     * Writes the due frames one by one, reading the clock for each rather than taking {@code now}: the send lag
     * is the time of each frame's write, and a late loop catches up frame by frame.
     */
    @Override
    public void sendDueFrames(Session session, long now, boolean recordLag) {
        while (!session.hasPending()) {
            long due = session.nextDueNanos;
            if (due >= schedule.measureEndNanos()) {
                lifecycle.closeAtWindowEnd(session, clock.now());
                return;
            }
            long writeTime = clock.now();
            if (due > writeTime) {
                return;
            }
            sendFrame(session, due, writeTime, recordLag);
            if (session.state != Session.STREAMING) {
                return;
            }
        }
    }

    private void sendFrame(Session session, long due, long now, boolean recordLag) {
        frames.writeAudio(frame, 0, session.id, session.nextSeq);
        frame.clear();
        int written;
        try {
            written = session.channel.write(frame);
        } catch (IOException e) {
            lifecycle.fail(session, "session " + session.id + ": send frame " + session.nextSeq + ": " + e);
            return;
        }
        if (recordLag && due >= schedule.measureStartNanos()) {
            LatencyHistogram.recordNanos(stats.sendLag, now - due);
        }
        stats.framesSent++;
        session.nextSeq++;
        session.nextDueNanos += Pcm.FRAME_INTERVAL_NANOS;
        if (written < MaskedFrames.AUDIO_FRAME_BYTES) {
            stats.sendsHeldBack++;
            session.park(frame, due);
        }
    }

    @Override
    public void flush() {
        // every frame was written when it was found due
    }

    @Override
    public void close() {
        // the buffer is the garbage collector's
    }
}
