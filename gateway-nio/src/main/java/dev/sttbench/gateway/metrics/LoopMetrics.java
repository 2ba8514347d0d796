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
    private static final int ERROR_FRAMES_BASE = 14;
    private static final int LATENESS_BUCKETS_BASE = ERROR_FRAMES_BASE + ErrorKind.count();

    /** Upper bounds (ms) of the flush-lateness histogram buckets; the last bucket is +Inf. */
    static final long[] LATENESS_BOUNDS_MS = { 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000 };

    private final AtomicLongArray counters =
        new AtomicLongArray(LATENESS_BUCKETS_BASE + LATENESS_BOUNDS_MS.length + 1);

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
