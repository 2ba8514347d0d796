package dev.sttbench.loadgen.schedule;

import dev.sttbench.loadgen.audio.Pcm;

/**
 * The session timeline of the public suite, as nanosecond offsets from the run's start.
 *
 * <p>Session {@code i} of {@code n} starts at {@code ramp*i/n + spread*i/n}; the measured window opens
 * at {@code ramp + spread + warm-up} (every session admitted and warm) and lasts {@code measure}. A
 * session sends frames until the window closes, then closes its connection; it must be done by
 * {@code window end + session grace}. Frame {@code seq} of a session is due at its frame origin plus
 * {@code (seq - 1) * 20 ms}.
 */
public final class RunSchedule {
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final int sessions;
    private final long rampUpNanos;
    private final long spreadNanos;
    private final long measureStartNanos;
    private final long measureEndNanos;
    private final long sessionDeadlineNanos;

    public RunSchedule(int sessions, long rampUpSecs, long spreadMs, long warmupSecs, long measureSecs,
                       long sessionGraceSecs) {
        if (sessions <= 0) {
            throw new IllegalArgumentException("sessions must be positive");
        }
        this.sessions = sessions;
        this.rampUpNanos = rampUpSecs * NANOS_PER_SECOND;
        this.spreadNanos = spreadMs * NANOS_PER_MILLI;
        this.measureStartNanos = rampUpNanos + spreadNanos + warmupSecs * NANOS_PER_SECOND;
        this.measureEndNanos = measureStartNanos + measureSecs * NANOS_PER_SECOND;
        this.sessionDeadlineNanos = measureEndNanos + sessionGraceSecs * NANOS_PER_SECOND;
    }

    public int sessions() {
        return sessions;
    }

    /** When session {@code id} connects: its linear share of the ramp-up plus its share of the spread. */
    public long startOffsetNanos(int id) {
        return scale(rampUpNanos, id) + scale(spreadNanos, id);
    }

    private long scale(long duration, int id) {
        return Math.multiplyExact(duration, (long) id) / sessions;
    }

    public long measureStartNanos() {
        return measureStartNanos;
    }

    /** The window closes here; it is also when every session stops sending and starts closing. */
    public long measureEndNanos() {
        return measureEndNanos;
    }

    /** A session not finished by then is a session timeout. */
    public long sessionDeadlineNanos() {
        return sessionDeadlineNanos;
    }

    /** Whether a message received at {@code nanos} is recorded. */
    public boolean inMeasuredWindow(long nanos) {
        return nanos >= measureStartNanos && nanos < measureEndNanos;
    }

    /**
     * The frame origin of a session whose handshake completed at {@code handshakeNanos}: the next whole
     * millisecond, so frames fall on the loop's 1 ms send buckets exactly.
     */
    public static long frameOriginNanos(long handshakeNanos) {
        return Math.floorDiv(handshakeNanos, NANOS_PER_MILLI) * NANOS_PER_MILLI + NANOS_PER_MILLI;
    }

    /** Due time of frame {@code seq} (from 1) of a session with frame origin {@code originNanos}. */
    public static long dueNanos(long originNanos, long seq) {
        return originNanos + (seq - 1) * Pcm.FRAME_INTERVAL_NANOS;
    }
}
