package dev.sttbench.loadgen.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunStatsTest {
    @Test
    void mergeAddsCountersHistogramsAndErrorDetails() {
        RunStats a = new RunStats();
        RunStats b = new RunStats();
        a.partials = 3;
        b.partials = 4;
        a.sendTimeouts = 1;
        b.closeTimeouts = 2;
        LatencyHistogram.recordNanos(a.newestLatency, 100_000_000L);
        LatencyHistogram.recordNanos(b.newestLatency, 200_000_000L);
        a.recordInferenceError("inference_request", "timeout", "late", null, true);
        b.recordInferenceError("inference_request", "timeout", "late", null, true);
        b.recordInferenceError("inference_request", "http_5xx", "boom", 503, true);
        b.recordProtocolError("bad");

        a.merge(b);

        assertEquals(7, a.partials);
        assertEquals(3, a.timeouts());
        assertEquals(3 + 1 + 3, a.errors());
        assertEquals(2, a.newestLatency.getTotalCount());
        assertEquals(List.of(
                Map.of("stage", "inference_request", "kind", "http_5xx", "count", 1L),
                Map.of("stage", "inference_request", "kind", "timeout", "count", 2L)), a.inferenceErrorCountList());
        assertEquals(2, a.inferenceErrorSamples.size(), "identical samples are kept once");
        assertEquals(List.of("bad"), a.protocolErrorSamples);
    }

    @Test
    void keepsOnlyAFewSamples() {
        RunStats stats = new RunStats();
        for (int i = 0; i < 20; i++) {
            stats.recordProtocolError("violation " + i);
            stats.recordInferenceError("inference_request", "timeout", "late " + i, null, true);
        }
        assertEquals(20, stats.protocolErrors);
        assertEquals(RunStats.MAX_KEPT_SAMPLES, stats.protocolErrorSamples.size());
        assertEquals(RunStats.MAX_KEPT_SAMPLES, stats.inferenceErrorSamples.size());
    }
}
