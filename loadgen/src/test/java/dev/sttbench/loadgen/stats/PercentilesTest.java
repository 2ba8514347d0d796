package dev.sttbench.loadgen.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class PercentilesTest {
    @Test
    void percentilesOfAUniformMillisecondRamp() {
        Histogram micros = LatencyHistogram.create();
        for (int ms = 1; ms <= 1000; ms++) {
            LatencyHistogram.recordNanos(micros, ms * 1_000_000L);
        }
        Percentiles p = Percentiles.of(micros);
        // 3 significant digits: values within 0.1% of the exact rank.
        assertEquals(500, p.p50Ms(), 0.5);
        assertEquals(950, p.p95Ms(), 1);
        assertEquals(990, p.p99Ms(), 1);
        assertEquals(999, p.p999Ms(), 1);
        assertEquals(1000, p.maxMs(), 1);
    }

    @Test
    void emptyHistogramReportsZeros() {
        assertEquals(new Percentiles(0, 0, 0, 0, 0), Percentiles.of(LatencyHistogram.create()));
    }

    @Test
    void outliersAreClampedNotDropped() {
        Histogram micros = LatencyHistogram.create();
        LatencyHistogram.recordNanos(micros, -5);
        LatencyHistogram.recordNanos(micros, 3_600_000_000_000L);
        assertEquals(2, micros.getTotalCount());
        assertEquals(0, micros.getMinValue());
        assertEquals(60_000, Percentiles.of(micros).maxMs(), 60);
    }

    @Test
    void jsonCarriesTheSuiteFieldNamesInMillisecondsWith3Decimals() {
        var json = new Percentiles(150.1234, 210, 250.5, 300.25, 400).toJson();
        assertEquals("[p50_ms, p95_ms, p99_ms, p999_ms, max_ms]", json.keySet().toString());
        assertEquals("150.123", json.get("p50_ms").toString());
        assertEquals("210.000", json.get("p95_ms").toString());
    }
}
