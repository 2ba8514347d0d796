package dev.sttbench.loadgen.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sttbench.loadgen.stats.SloGates.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class SloGatesTest {
    private static Percentiles p(double p50, double p95) {
        return new Percentiles(p50, p95, p95, p95, p95);
    }

    @Test
    void passesAtTheThresholds() {
        SloGates.Result result = SloGates.evaluate(p(200, 350), p(1200, 1650), 1, 100_000, false);
        assertEquals(Verdict.PASS, result.verdict());
        assertEquals(List.of(), result.failedGates());
    }

    @Test
    void eachGateFailsJustAboveItsThreshold() {
        assertEquals(List.of("newest_p50"), SloGates.evaluate(p(200.001, 300), p(1000, 1500), 0, 10, false).failedGates());
        assertEquals(List.of("newest_p95"), SloGates.evaluate(p(100, 350.001), p(1000, 1500), 0, 10, false).failedGates());
        assertEquals(List.of("oldest_p50"), SloGates.evaluate(p(100, 300), p(1200.001, 1500), 0, 10, false).failedGates());
        assertEquals(List.of("oldest_p95"), SloGates.evaluate(p(100, 300), p(1000, 1650.001), 0, 10, false).failedGates());
        assertEquals(List.of("errors_ratio"), SloGates.evaluate(p(100, 300), p(1000, 1500), 2, 100_000, false).failedGates());
        assertEquals(Verdict.FAIL, SloGates.evaluate(p(100, 300), p(1000, 1500), 2, 100_000, false).verdict());
    }

    @Test
    void noPartialsFailsTwice() {
        SloGates.Result result = SloGates.evaluate(p(0, 0), p(0, 0), 0, 0, false);
        assertEquals(List.of("errors_ratio", "no_partials"), result.failedGates());
        assertEquals(1.0, SloGates.errorsRatio(0, 0));
    }

    @Test
    void aClientBoundRunIsInvalidWhateverTheGates() {
        assertEquals(Verdict.INVALID, SloGates.evaluate(p(100, 300), p(1000, 1500), 0, 10, true).verdict());
    }
}
