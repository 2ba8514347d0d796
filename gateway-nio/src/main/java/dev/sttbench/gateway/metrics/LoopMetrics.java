package dev.sttbench.gateway.metrics;

import dev.sttbench.gateway.protocol.ErrorKind;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One event loop's counters. The loop is the only writer (plain read, release store: no contended atomics on
 * the data path); {@code /metrics} reads every loop's array and sums.
 */
public final class LoopMetrics
{
    public static final int SESSIONS = 0;
    public static final int FRAMES_IN = 1;
    public static final int FLUSHES = 2;
    public static final int FLUSHES_SKIPPED = 3;
    public static final int PARTIALS = 4;
    public static final int BUFFERED_FRAMES = 5;
    public static final int FRAMES_SHED = 6;
    public static final int OUTBOUND_DROPS = 7;
    public static final int UPGRADES_REJECTED = 8;
    public static final int PROTOCOL_CLOSES = 9;
    public static final int FLUSH_LATENESS_SUM_MICROS = 10;
    public static final int FLUSH_LATENESS_COUNT = 11;
    public static final int LATE_COMPLETIONS = 12;
    public static final int CONNECTIONS_ABORTED = 13;
    /** Gauges the loop sets once per housekeeping tick. */
    public static final int AUDIO_CHUNKS_IN_USE = 14;
    public static final int AUDIO_CHUNKS_TRIMMED = 15;
    public static final int LOOP_ERRORS = 16;
    public static final int EXCHANGES_IDLE = 17;
    public static final int ACCEPT_PAUSES = 18;
    /** Flushes put off because every request body of the loop was lent. */
    public static final int FLUSHES_DEFERRED = 19;
    /** Streaming sessions with no tick, waiting for their client to send again. */
    public static final int QUIET_SESSIONS = 20;
    public static final int REQUEST_HEAD_TIMEOUTS = 21;
    public static final int START_TIMEOUTS = 22;
    public static final int IDLE_TIMEOUTS = 23;
    public static final int SEND_TIMEOUTS = 24;
    /** Audio chunks the memory budget refused (each sheds a frame), as of the last housekeeping tick. */
    public static final int AUDIO_MEMORY_REFUSALS = 25;
    private static final int ERROR_FRAMES_BASE = 26;
    private static final int LATENESS_BUCKETS_BASE = ERROR_FRAMES_BASE + ErrorKind.count();

    /** Upper bounds (ms) of the flush-lateness histogram buckets; the last bucket is +Inf. */
    static final long[] LATENESS_BOUNDS_MS = { 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000 };

    /**
     * Loop-lag histograms in microseconds, bucket {@code b} holding values in {@code (2^(b-1), 2^b]} (bucket 0:
     * ≤ 1 µs, the last: everything above 2^(LAG_BUCKETS-2) µs ≈ 1 s), then the maximum.
     */
    static final int LAG_BUCKETS = 22;
    /** How late each due timer (read tick or flush) ran. */
    public static final int TIMER_LATENESS = LATENESS_BUCKETS_BASE + LATENESS_BOUNDS_MS.length + 1;
    /** How long each duty cycle worked (from waking up to going back to wait). */
    public static final int CYCLE_TIME = TIMER_LATENESS + LAG_BUCKETS + 1;

    private final AtomicLongArray counters = new AtomicLongArray(CYCLE_TIME + LAG_BUCKETS + 1);

    public void increment(final int counter)
    {
        add(counter, 1);
    }

    public void add(final int counter, final long delta)
    {
        counters.setRelease(counter, counters.getPlain(counter) + delta);
    }

    public void errorFrame(final ErrorKind kind)
    {
        increment(ERROR_FRAMES_BASE + kind.ordinal());
    }

    public void flushLateness(final long latenessNanos)
    {
        final long micros = Math.max(0, latenessNanos) / 1_000;
        int bucket = 0;
        while (bucket < LATENESS_BOUNDS_MS.length && micros > LATENESS_BOUNDS_MS[bucket] * 1_000)
        {
            bucket++;
        }
        increment(LATENESS_BUCKETS_BASE + bucket);
        add(FLUSH_LATENESS_SUM_MICROS, micros);
        increment(FLUSH_LATENESS_COUNT);
    }

    public void set(final int counter, final long value)
    {
        counters.setRelease(counter, value);
    }

    public void timerLateness(final long latenessNanos)
    {
        lag(TIMER_LATENESS, latenessNanos);
    }

    public void cycleTime(final long nanos)
    {
        lag(CYCLE_TIME, nanos);
    }

    /** Record into the lag histogram at {@code base}: one bucket increment and a maximum, no allocation. */
    private void lag(final int base, final long nanos)
    {
        final long micros = Math.max(0, nanos) / 1_000;
        final int bucket = Math.min(LAG_BUCKETS - 1, 64 - Long.numberOfLeadingZeros(Math.max(0, micros - 1)));
        increment(base + bucket);
        if (micros > counters.getPlain(base + LAG_BUCKETS))
        {
            counters.setRelease(base + LAG_BUCKETS, micros);
        }
    }

    /** Upper bound (µs) of lag bucket {@code bucket}; the last is unbounded. */
    static long lagBucketBoundMicros(final int bucket)
    {
        return bucket < LAG_BUCKETS - 1 ? 1L << bucket : Long.MAX_VALUE;
    }

    public long get(final int counter)
    {
        return counters.getAcquire(counter);
    }

    long errorFrames(final ErrorKind kind)
    {
        return get(ERROR_FRAMES_BASE + kind.ordinal());
    }

    long latenessBucket(final int bucket)
    {
        return get(LATENESS_BUCKETS_BASE + bucket);
    }
}
