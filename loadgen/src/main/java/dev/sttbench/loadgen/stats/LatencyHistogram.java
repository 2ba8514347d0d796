package dev.sttbench.loadgen.stats;

import org.HdrHistogram.Histogram;

/** The one histogram shape the load generator records: microseconds up to 60 s, 3 significant digits. */
public final class LatencyHistogram {
    public static final long HIGHEST_TRACKABLE_MICROS = 60_000_000L;
    private static final int SIGNIFICANT_DIGITS = 3;

    private LatencyHistogram() {
    }

    public static Histogram create() {
        return new Histogram(HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
    }

    /** Records {@code nanos} as microseconds, clamped to [0, 60 s] so an outlier is kept, not dropped. */
    public static void recordNanos(Histogram histogram, long nanos) {
        long micros = Math.max(0, nanos / 1_000);
        histogram.recordValue(Math.min(micros, HIGHEST_TRACKABLE_MICROS));
    }
}
