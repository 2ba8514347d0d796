package dev.sttbench.loadgen.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class LoopLagTest {
    private static String scrape(long[] timerBuckets, long[] cycleBuckets, long timerMax) {
        StringBuilder out = new StringBuilder("# TYPE gateway_frames_in_total counter\ngateway_frames_in_total 5\n");
        histogram(out, LoopLag.TIMER_LATENESS, timerBuckets);
        histogram(out, LoopLag.CYCLE, cycleBuckets);
        out.append(LoopLag.TIMER_LATENESS).append("_quantile{quantile=\"1\"} ").append(timerMax).append('\n');
        return out.toString();
    }

    /** Cumulative buckets le=1, 2, 4, 8, +Inf from per-bucket counts. */
    private static void histogram(StringBuilder out, String name, long[] counts) {
        String[] bounds = {"1", "2", "4", "8", "+Inf"};
        long cumulative = 0;
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i];
            out.append(name).append("_bucket{le=\"").append(bounds[i]).append("\"} ").append(cumulative).append('\n');
        }
    }

    @Test
    void quantilesComeFromTheWindowsDifferenceNotFromSinceStart() {
        // Before the window: 1000 slow timers (the ramp-up). In the window: 98 at ≤ 1 µs, 2 at ≤ 8 µs.
        String start = scrape(new long[]{0, 0, 0, 0, 1000}, new long[]{0, 0, 0, 0, 500}, 50_000);
        String end = scrape(new long[]{98, 0, 0, 2, 1000}, new long[]{50, 50, 0, 0, 500}, 60_000);
        LoopLag lag = LoopLag.of(start, end);
        assertEquals(1, lag.timerLatenessP50Micros());
        assertEquals(8, lag.timerLatenessP99Micros());
        assertEquals(1, lag.cycleP50Micros());
        assertEquals(2, lag.cycleP99Micros());
        assertEquals(60_000, lag.timerLatenessMaxMicros(), "the maximum is since start");
        assertEquals(100, lag.timers());
    }

    @Test
    void aGatewayWithoutTheHistogramsHasNoLoopLag() {
        assertNull(LoopLag.of("gateway_frames_in_total 5\n", "gateway_frames_in_total 9\n"));
    }
}
