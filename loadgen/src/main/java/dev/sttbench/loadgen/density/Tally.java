package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.stats.LatencyHistogram;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** What one loop counted. Written by the loop's thread only. */
final class Tally {
    final long[] failures = new long[Cause.values().length];
    /** The first failure of each cause, in words, for the summary on stderr. */
    final String[] firstFailure = new String[Cause.values().length];
    long opened;
    long checked;
    long alive;
    final Histogram pongMicros = LatencyHistogram.create();
    long framesSent;
    long partials;
    long errorFrames;
    long framesAnswered;
    /** The local address of the first connection, where the kernel picked it. */
    String observedSource;

    /** Cause key → the first failure of that cause, for the causes that occurred. */
    Map<String, String> firstFailures() {
        Map<String, String> first = new LinkedHashMap<>();
        for (Cause cause : Cause.values()) {
            if (firstFailure[cause.ordinal()] != null) {
                first.put(cause.key(), firstFailure[cause.ordinal()]);
            }
        }
        return first;
    }

    void fail(Cause cause, String detail) {
        failures[cause.ordinal()]++;
        if (firstFailure[cause.ordinal()] == null) {
            firstFailure[cause.ordinal()] = detail;
        }
    }
}
