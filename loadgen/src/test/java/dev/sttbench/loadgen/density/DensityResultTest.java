package dev.sttbench.loadgen.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.loadgen.cli.Flags;
import dev.sttbench.loadgen.run.PrettyJson;
import dev.sttbench.loadgen.stats.LatencyHistogram;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class DensityResultTest {
    /** The keys another worker's report script reads, in order. */
    static final List<String> TOP_KEYS = List.of("command", "url", "connections_requested", "frame_interval_ms",
            "hold_seconds", "processes", "source_addresses", "open", "failures", "failures_total", "liveness", "frames",
            "loadgen", "started_epoch_ms", "open_done_epoch_ms", "hold_done_epoch_ms", "finished_epoch_ms");
    static final Set<String> OPEN_KEYS = Set.of("opened", "seconds", "rate_per_s", "requested_rate_per_s");
    static final Set<String> FAILURE_KEYS = Set.of("refused", "timeout", "reset", "http_503", "http_other", "protocol",
            "local_address", "closed_by_server", "dead", "unanswered_frames", "close_timeout");
    static final Set<String> LIVENESS_KEYS = Set.of("checked", "alive", "pong_p50_ms", "pong_p99_ms", "pong_max_ms");
    static final Set<String> FRAMES_KEYS = Set.of("sent", "partials", "error_frames", "answered");
    static final Set<String> LOADGEN_KEYS = Set.of("cpu_seconds", "open_cpu_pct", "hold_cpu_pct", "peak_rss_kb",
            "limited", "limited_reason");

    /** Asserts {@code json} has exactly the documented shape. */
    static void assertShape(JsonObject json) {
        assertEquals(TOP_KEYS, List.copyOf(json.keySet().stream().sorted(
                (a, b) -> TOP_KEYS.indexOf(a) - TOP_KEYS.indexOf(b)).toList()));
        assertEquals(Set.copyOf(TOP_KEYS), json.keySet());
        assertEquals(OPEN_KEYS, ((JsonObject) json.get("open")).keySet());
        assertEquals(FAILURE_KEYS, ((JsonObject) json.get("failures")).keySet());
        assertEquals(LIVENESS_KEYS, ((JsonObject) json.get("liveness")).keySet());
        assertEquals(FRAMES_KEYS, ((JsonObject) json.get("frames")).keySet());
        assertEquals(LOADGEN_KEYS, ((JsonObject) json.get("loadgen")).keySet());
        long total = 0;
        for (Object count : ((JsonObject) json.get("failures")).values()) {
            total += ((BigDecimal) count).longValueExact();
        }
        assertEquals(total, ((BigDecimal) json.get("failures_total")).longValueExact());
        assertEquals("density", json.get("command"));
    }

    private static DensityOptions options() throws Exception {
        Flags flags = DensityOptions.flags();
        flags.parse(new String[] {"--url", "ws://127.0.0.1:1/ws/stt", "--connections", "300", "--rate", "1000"});
        return DensityOptions.from(flags);
    }

    private static DensityResult child(long opened, long dead, long[] pongMillis, long started, double openCpu) {
        long[] failures = new long[Cause.values().length];
        failures[Cause.DEAD.ordinal()] = dead;
        Histogram pongs = LatencyHistogram.create();
        for (long ms : pongMillis) {
            pongs.recordValue(ms * 1000);
        }
        return new DensityResult("ws://127.0.0.1:1/ws/stt", 150, 0, 30, 1, List.of("127.0.0." + opened % 7),
                opened, 0.5, opened / 0.5, 500, failures, opened, opened - dead, pongs, 10, 3, 1, 10, 1.5, openCpu,
                2.0, 100_000, openCpu > 90, openCpu > 90 ? "used a lot" : "", started, started + 500, started + 30_500,
                started + 31_000, Map.of());
    }

    @Test
    void theJsonHasTheDocumentedShapeAndAChildsRoundTrips() throws Exception {
        DensityResult result = child(150, 2, new long[] {1, 2, 3, 400}, 1_000, 12.5);
        JsonObject json = (JsonObject) Jsoner.deserialize(PrettyJson.write(result.toJson(false)));
        assertShape(json);
        assertEquals(2L, ((BigDecimal) json.get("failures_total")).longValueExact());
        double max = ((BigDecimal) ((JsonObject) json.get("liveness")).get("pong_max_ms")).doubleValue();
        assertEquals(400.0, max, 0.5, "HdrHistogram's 3 significant digits");
        JsonObject withHistogram = (JsonObject) Jsoner.deserialize(PrettyJson.write(result.toJson(true)));
        assertTrue(((JsonObject) withHistogram.get("liveness")).containsKey("pong_histogram"));
        DensityResult back = DensityResult.fromJson(withHistogram);
        assertEquals(result.toJson(false), back.toJson(false));
        assertEquals(result.pongMicros(), back.pongMicros());
    }

    @Test
    void mergingAddsCountsAndPoolsTheHistograms() throws Exception {
        // 99 fast pongs in one child, one slow in the other: the pooled p99 is fast, a max of p99s would be slow.
        long[] fast = new long[99];
        java.util.Arrays.fill(fast, 2);
        DensityResult a = child(99, 0, fast, 1_000, 40);
        DensityResult b = child(51, 50, new long[] {900}, 900, 95);
        DensityResult merged = DensityResult.merge(options(), List.of(a, b), 0.25, 60_000, 99_999);
        assertEquals(2, merged.processes());
        assertEquals(300, merged.connectionsRequested());
        assertEquals(150, merged.opened());
        assertEquals(50, merged.failures(Cause.DEAD));
        assertEquals(50, merged.failuresTotal());
        assertEquals(150, merged.checked());
        assertEquals(100, merged.alive());
        assertEquals(20, merged.framesSent());
        assertEquals(20, merged.framesAnswered());
        assertEquals(300.0, merged.openRatePerS(), 1e-9, "processes open in parallel: rates add up");
        assertEquals(1000.0, merged.requestedRatePerS());
        assertEquals(3.25, merged.cpuSeconds(), 1e-9);
        assertEquals(95, merged.openCpuPct(), 1e-9, "the busiest process");
        assertEquals(260_000, merged.peakRssKb());
        assertTrue(merged.limited());
        assertTrue(merged.limitedReason().startsWith("process 1/2: used a lot"), merged.limitedReason());
        assertEquals(900, merged.startedEpochMs());
        assertEquals(31_500, merged.holdDoneEpochMs());
        assertEquals(99_999, merged.finishedEpochMs());
        JsonObject json = (JsonObject) Jsoner.deserialize(PrettyJson.write(merged.toJson(false)));
        assertShape(json);
        JsonObject liveness = (JsonObject) json.get("liveness");
        assertEquals(2.0, ((BigDecimal) liveness.get("pong_p99_ms")).doubleValue(), 0.01, "pooled, not max of p99s");
        assertEquals(900.0, ((BigDecimal) liveness.get("pong_max_ms")).doubleValue(), 1.0);
        assertFalse(merged.passed());
        assertTrue(merged.summary().startsWith("density FAIL: 150 of 300"), merged.summary());
    }
}
