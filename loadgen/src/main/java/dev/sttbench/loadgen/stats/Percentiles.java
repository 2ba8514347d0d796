package dev.sttbench.loadgen.stats;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** p50/p95/p99/p99.9/max of a microsecond histogram, in milliseconds with 3 decimals (all 0 when empty). */
public record Percentiles(double p50Ms, double p95Ms, double p99Ms, double p999Ms, double maxMs) {
    private static final double MICROS_PER_MILLI = 1_000.0;

    public static Percentiles of(Histogram micros) {
        if (micros.getTotalCount() == 0) {
            return new Percentiles(0, 0, 0, 0, 0);
        }
        return new Percentiles(
                toMs(micros.getValueAtPercentile(50.0)),
                toMs(micros.getValueAtPercentile(95.0)),
                toMs(micros.getValueAtPercentile(99.0)),
                toMs(micros.getValueAtPercentile(99.9)),
                toMs(micros.getMaxValue()));
    }

    private static double toMs(long micros) {
        return micros / MICROS_PER_MILLI;
    }

    /** The public suite's JSON shape: {@code p50_ms p95_ms p99_ms p999_ms max_ms}. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("p50_ms", millis(p50Ms));
        json.put("p95_ms", millis(p95Ms));
        json.put("p99_ms", millis(p99Ms));
        json.put("p999_ms", millis(p999Ms));
        json.put("max_ms", millis(maxMs));
        return json;
    }

    /** Milliseconds as a plain 3-decimal JSON number (never exponent notation). */
    public static BigDecimal millis(double ms) {
        return BigDecimal.valueOf(Math.round(ms * MICROS_PER_MILLI), 3);
    }
}
