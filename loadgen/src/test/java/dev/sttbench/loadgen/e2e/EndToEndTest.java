package dev.sttbench.loadgen.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.cliftonlabs.json_simple.JsonArray;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.gateway.Gateway;
import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.loadgen.Main;
import dev.sttbench.loadgen.stats.SamplesCsv;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.SimConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The load generator against the real gateway and simulator, in process on loopback. */
@Timeout(120)
class EndToEndTest {
    private static InferenceSimulator simulator;
    private static Gateway gateway;
    private static String url;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        simulator = InferenceSimulator.start(SimConfig.fromEnv(Map.of("PORT", "0", "MODEL_DELAY_MS", "20",
                "WORKER_THREADS", "1")));
        gateway = Gateway.start(GatewayConfig.fromEnv(Map.of("PORT", "0",
                "INFERENCE_URL", "http://127.0.0.1:" + simulator.port(), "CPU_PASSES", "4", "MODEL_DELAY_MS", "20",
                "FLUSH_INTERVAL_MS", "1000", "FLUSH_PHASE_JITTER_MS", "1000", "WORKER_THREADS", "1")));
        url = "ws://127.0.0.1:" + gateway.port() + "/ws/stt";
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    private static long number(JsonObject json, String key) {
        return ((BigDecimal) json.get(key)).longValueExact();
    }

    @Test
    void runProducesACompleteSummaryAndSamples() throws Exception {
        Path json = tmp.resolve("out/summary.json");
        Path csv = tmp.resolve("out/samples.csv");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new String[] {"run", "--url", url, "--sessions", "20", "--warmup-secs", "1",
                "--measure-secs", "3", "--session-start-spread-ms", "500", "--threads", "1", "--service-name", "nio",
                "--json-out", json.toString(), "--samples-out", csv.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String verdict = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, verdict);

        JsonObject summary = (JsonObject) Jsoner.deserialize(Files.readString(json));
        assertEquals(summary, Jsoner.deserialize(out.toString(StandardCharsets.UTF_8)), "stdout carries the same summary");
        for (String key : List.of("url", "service_name", "samples_file", "sessions", "repeat", "warmup_secs",
                "measure_secs", "ramp_up_secs", "session_start_spread_ms", "partials", "protocol_errors",
                "inference_errors", "inference_error_counts", "inference_error_samples", "timeouts",
                "newest_frame_to_partial_latency", "oldest_frame_to_partial_latency", "flush_lateness", "send_lag",
                "frames_sent", "sessions_connected", "client", "client_bound", "slo")) {
            assertTrue(summary.containsKey(key), "summary lacks " + key);
        }
        assertEquals(url, summary.get("url"));
        assertEquals(csv.toString(), summary.get("samples_file"));
        assertEquals(20, number(summary, "sessions"));
        assertEquals(20, number(summary, "sessions_connected"));
        assertEquals(0, number(summary, "protocol_errors"), summary.toJson());
        assertEquals(0, number(summary, "inference_errors"), summary.toJson());
        JsonObject timeouts = (JsonObject) summary.get("timeouts");
        assertEquals(Set.of("connect", "send", "close", "session"), timeouts.keySet());
        for (Object count : timeouts.values()) {
            assertEquals(0, ((BigDecimal) count).intValueExact(), summary.toJson());
        }
        // 3 s window, one partial per session per second: about 60, fewer at the window's edges.
        long partials = number(summary, "partials");
        assertTrue(partials >= 40 && partials <= 80, "partials " + partials);
        // 20 sessions × 50 frames/s × (0.5 s spread + 1 s warm-up + 3 s window), less the spread's head start.
        long frames = number(summary, "frames_sent");
        assertTrue(frames >= 20 * 50 * 4 && frames <= 20 * 50 * 9 / 2 + 20, "frames " + frames);

        JsonObject newest = (JsonObject) summary.get("newest_frame_to_partial_latency");
        JsonObject oldest = (JsonObject) summary.get("oldest_frame_to_partial_latency");
        assertEquals(Set.of("p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms"), newest.keySet());
        double newestP50 = ((BigDecimal) newest.get("p50_ms")).doubleValue();
        double oldestP50 = ((BigDecimal) oldest.get("p50_ms")).doubleValue();
        // A batch spans about one flush interval: the oldest frame waited about 1 s longer than the newest.
        assertTrue(newestP50 > 20 && newestP50 < 1000, "newest p50 " + newestP50);
        assertTrue(oldestP50 - newestP50 > 800 && oldestP50 - newestP50 < 1200, "oldest p50 " + oldestP50);

        JsonObject client = (JsonObject) summary.get("client");
        assertEquals(1, number(client, "threads"));
        assertTrue(((BigDecimal) client.get("cpu_seconds")).doubleValue() > 0);
        JsonObject slo = (JsonObject) summary.get("slo");
        boolean clientBound = (Boolean) summary.get("client_bound");
        assertEquals(clientBound ? "INVALID" : "PASS", slo.get("verdict"), verdict);
        assertEquals(new JsonArray(), slo.get("failed_gates"));
        assertTrue(verdict.startsWith("20 " + slo.get("verdict")), verdict);

        List<String> rows = Files.readAllLines(csv);
        assertEquals(SamplesCsv.HEADER, rows.get(0));
        assertEquals(partials + 1, rows.size());
        double previousReceived = -1;
        for (int i = 1; i < rows.size(); i++) {
            String[] cells = rows.get(i).split(",");
            assertEquals(11, cells.length, rows.get(i));
            assertEquals(i - 1, Integer.parseInt(cells[0]));
            long oldestSeq = Long.parseLong(cells[2]);
            long newestSeq = Long.parseLong(cells[3]);
            assertEquals(newestSeq - oldestSeq + 1, Long.parseLong(cells[4]));
            assertEquals(Long.parseLong(cells[4]) * 640, Long.parseLong(cells[6]));
            double received = Double.parseDouble(cells[10]);
            assertTrue(received >= previousReceived && received < 3000, rows.get(i));
            previousReceived = received;
        }
    }

    @Test
    void theGatewayPassesEveryConformanceCheck() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = Main.run(new String[] {"conformance", "--url", url},
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        String report = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, report);
        assertEquals(17, report.lines().filter(line -> line.startsWith("PASS ")).count(), report);
    }
}
