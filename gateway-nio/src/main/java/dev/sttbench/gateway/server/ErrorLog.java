package dev.sttbench.gateway.server;

import dev.sttbench.gateway.metrics.LoopMetrics;

/**
 * Where a loop's errors go: every one is counted ({@code gateway_loop_errors_total}), at most one line per
 * second reaches stderr, with how many were left out since, so that an error repeated per event (an accept
 * failing at the fd limit, a flood of bad connections) cannot turn into a stream of log lines.
 */
final class ErrorLog
{
    private static final long PRINT_INTERVAL_NANOS = 1_000_000_000L;

    private final String source;
    private final LoopMetrics metrics;
    private long nextPrintNanos = Long.MIN_VALUE;
    private long suppressed;

    ErrorLog(final String source, final LoopMetrics metrics)
    {
        this.source = source;
        this.metrics = metrics;
    }

    void record(final String what, final Throwable ex)
    {
        metrics.increment(LoopMetrics.LOOP_ERRORS);
        final long now = System.nanoTime();
        if (now - nextPrintNanos < 0)
        {
            suppressed++;
            return;
        }
        nextPrintNanos = now + PRINT_INTERVAL_NANOS;
        System.err.println(source + ": " + what + ": " + ex +
            (suppressed > 0 ? " (" + suppressed + " more errors since the last line)" : ""));
        suppressed = 0;
    }

    /** An error that ends the loop: always printed, with its stack trace. */
    void fatal(final String what, final Throwable ex)
    {
        metrics.increment(LoopMetrics.LOOP_ERRORS);
        System.err.println(source + ": " + what + ": " + ex);
        ex.printStackTrace(System.err);
    }
}
