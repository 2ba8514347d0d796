package dev.sttbench.loadgen.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.cliftonlabs.json_simple.JsonArray;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.gateway.Gateway;
import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.loadgen.testing.FakeGateway;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.SimConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code loadgen density} against the real gateway and simulator, in process on loopback. */
@Timeout(120)
class DensityEndToEndTest {
    private static InferenceSimulator simulator;
    private static Gateway gateway;
    private static String url;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        simulator = InferenceSimulator.start(SimConfig.fromEnv(Map.of("PORT", "0", "MODEL_DELAY_MS", "20",
                "WORKER_THREADS", "1")));
        gateway = startGateway(Map.of());
        url = "ws://127.0.0.1:" + gateway.port() + "/ws/stt";
    }

    /** A gateway on an ephemeral port with a short flush, so frames are answered soon after they are sent. */
    private static Gateway startGateway(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("PORT", "0",
                "INFERENCE_URL", "http://127.0.0.1:" + simulator.port(), "CPU_PASSES", "4", "MODEL_DELAY_MS", "20",
                "FLUSH_INTERVAL_MS", "500", "FLUSH_PHASE_JITTER_MS", "200", "WORKER_THREADS", "1"));
        env.putAll(extra);
        return Gateway.start(GatewayConfig.fromEnv(env));
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

    private static void assertAllWell(DensityRun run, int connections) {
        assertEquals(0, run.exit(), run.why());
        DensityResultTest.assertShape(run.json());
        assertEquals(url, run.at("url"));
        assertEquals(connections, run.number("connections_requested"));
        assertEquals(connections, run.number("open.opened"), run.why());
        assertEquals(0, run.number("failures_total"), run.why());
        assertEquals(connections, run.number("liveness.checked"), run.why());
        assertEquals(connections, run.number("liveness.alive"), run.why());
        assertTrue(run.decimal("liveness.pong_max_ms") >= run.decimal("liveness.pong_p99_ms"));
        assertTrue(run.decimal("liveness.pong_p99_ms") >= run.decimal("liveness.pong_p50_ms"));
        assertTrue(run.decimal("liveness.pong_p50_ms") > 0, run.why());
        assertEquals(run.number("frames.sent"), run.number("frames.answered"), run.why());
        assertTrue(run.decimal("loadgen.cpu_seconds") > 0, run.why());
        assertTrue(run.number("loadgen.peak_rss_kb") > 10_000, run.why());
        assertTrue(run.stderr().contains("density PASS: " + connections + " of " + connections), run.why());
        long started = run.number("started_epoch_ms");
        long openDone = run.number("open_done_epoch_ms");
        long holdDone = run.number("hold_done_epoch_ms");
        long finished = run.number("finished_epoch_ms");
        assertTrue(started <= openDone && openDone <= holdDone && holdDone <= finished, run.why());
    }

    @Test
    void silentConnectionsAllOpenStayAliveAndClose() throws Exception {
        Path out = tmp.resolve("d/density.json");
        DensityRun run = DensityRun.of("--url", url, "--connections", "300", "--hold", "2", "--out", out.toString());
        assertAllWell(run, 300);
        assertEquals(run.json(), Jsoner.deserialize(Files.readString(out)), "--out holds what stdout shows");
        assertEquals(0, run.number("frames.sent"));
        assertEquals(0, run.number("frames.partials"));
        assertEquals(1, run.number("processes"));
        assertEquals(new JsonArray(List.of("127.0.0.1")), run.at("source_addresses"));
        assertEquals(2000, run.number("open.requested_rate_per_s"));
        long hold = run.number("hold_done_epoch_ms") - run.number("open_done_epoch_ms");
        assertTrue(hold >= 1990 && hold < 3000, "held " + hold + " ms (epoch milliseconds truncate)");
        assertTrue(run.stderr().contains("density: 1 process: 300 connections + 64 spare descriptors fit"), run.why());
        assertTrue(run.stderr().contains("source addresses: the kernel's choice"), run.why());
    }

    @Test
    void streamingConnectionsHaveEveryFrameAnswered() throws Exception {
        DensityRun run = DensityRun.of("--url", url, "--connections", "100", "--frame-interval-ms", "200", "--hold", "2",
                "--rate", "0", "--processes", "1");
        assertAllWell(run, 100);
        // 2 s of hold at one frame per 200 ms, plus whatever went out while the others opened.
        long sent = run.number("frames.sent");
        assertTrue(sent >= 100 * 10 && sent <= 100 * 13, "sent " + sent);
        assertTrue(run.number("frames.partials") >= 100, run.why());
        assertEquals(0, run.number("frames.error_frames"), run.why());
        assertEquals(0, run.number("open.requested_rate_per_s"));
    }

    @Test
    void sessionsPastTheGatewaysLimitAreRefusedWith503() throws Exception {
        Gateway small = startGateway(Map.of("MAX_SESSIONS", "40"));
        try {
            DensityRun run = DensityRun.of("--url", "ws://127.0.0.1:" + small.port() + "/ws/stt", "--connections", "60",
                    "--hold", "0", "--processes", "1");
            assertEquals(3, run.exit(), run.why());
            DensityResultTest.assertShape(run.json());
            assertEquals(40, run.number("open.opened"), run.why());
            assertEquals(20, run.number("failures.http_503"), run.why());
            assertEquals(20, run.number("failures_total"), run.why());
            assertEquals(40, run.number("liveness.alive"), run.why());
            assertTrue(run.stderr().contains("http_503 20 (first: connection "), run.why());
        } finally {
            small.close();
        }
    }

    @Test
    void twoProcessesSplitTheConnectionsAndMergeTheirResults() throws Exception {
        DensityRun run = DensityRun.of("--url", url, "--connections", "41", "--frame-interval-ms", "100", "--hold", "1",
                "--processes", "2");
        assertAllWell(run, 41);
        assertEquals(2, run.number("processes"));
        assertTrue(run.number("frames.sent") >= 41 * 10, run.why());
        assertTrue(run.stderr().contains("[0/2] density PASS: 21 of 21"), run.why());
        assertTrue(run.stderr().contains("[1/2] density PASS: 20 of 20"), run.why());
        assertTrue(!run.stdout().contains("pong_histogram"), "the children's histograms stay between them and the parent");
    }

    @Test
    void errorFramesAnswerFramesWithoutFailingThem() throws Exception {
        try (FakeGateway fake = new FakeGateway(FakeGateway.Behaviour.ERROR_FRAMES, 200)) {
            DensityRun run = DensityRun.of("--url", fake.url(), "--connections", "5", "--frame-interval-ms", "50",
                    "--hold", "1", "--processes", "1");
            assertEquals(0, run.exit(), run.why());
            assertEquals(0, run.number("frames.partials"));
            assertTrue(run.number("frames.error_frames") > 0, run.why());
            assertEquals(run.number("frames.sent"), run.number("frames.answered"), run.why());
        }
    }

    @Test
    void aLostFrameIsAProtocolFailure() throws Exception {
        try (FakeGateway fake = new FakeGateway(FakeGateway.Behaviour.LOSE_FIRST_FRAME, 200)) {
            // 20 ms frames against a 200 ms flush: every first batch holds several frames, one of them lost.
            DensityRun run = DensityRun.of("--url", fake.url(), "--connections", "5", "--frame-interval-ms", "20",
                    "--hold", "1", "--processes", "1");
            assertEquals(3, run.exit(), run.why());
            assertEquals(5, run.number("failures.protocol"), run.why());
            assertTrue(run.stderr().contains("expected a batch from 1"), run.why());
        }
    }
}
