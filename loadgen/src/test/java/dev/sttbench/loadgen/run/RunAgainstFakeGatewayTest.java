package dev.sttbench.loadgen.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.cliftonlabs.json_simple.JsonArray;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.loadgen.Main;
import dev.sttbench.loadgen.cli.RunOptions;
import dev.sttbench.loadgen.net.ClientLoop;
import dev.sttbench.loadgen.net.RealtimeScheduling;
import dev.sttbench.loadgen.testing.FakeGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run command against the fake gateway, one contract breach at a time. */
class RunAgainstFakeGatewayTest {
    @TempDir
    Path tmp;

    private record Outcome(int exit, JsonObject summary, String stderr) {
    }

    private Outcome run(FakeGateway gateway, String... extra) throws Exception {
        Path json = tmp.resolve("summary.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] base = {"run", "--url", gateway.url(), "--sessions", "8", "--warmup-secs", "1", "--measure-secs", "2",
                "--session-start-spread-ms", "100", "--threads", "2", "--close-grace-ms", "2000",
                "--json-out", json.toString(), "--slo"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String stderr = err.toString(StandardCharsets.UTF_8);
        JsonObject summary = (JsonObject) Jsoner.deserialize(Files.readString(json));
        return new Outcome(exit, summary, stderr);
    }

    private static long count(JsonObject summary, String key) {
        return ((BigDecimal) summary.get(key)).longValueExact();
    }

    @Test
    void conformingGatewayPassesWithEveryFrameAccountedFor() throws Exception {
        try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.CONFORMING, 200)) {
            Outcome outcome = run(gateway);
            JsonObject summary = outcome.summary();
            // Other builds share this machine's two cores: a descheduled loop may make the run client-bound
            // (exit 2, INVALID); the gates themselves must pass either way.
            boolean clientBound = (Boolean) summary.get("client_bound");
            assertEquals(clientBound ? 2 : 0, outcome.exit(), outcome.stderr());
            assertEquals(0, ((JsonArray) ((JsonObject) summary.get("slo")).get("failed_gates")).size(), outcome.stderr());
            assertEquals(0, count(summary, "protocol_errors"), summary.toJson());
            assertEquals(8, count(summary, "sessions_connected"));
            // 8 sessions, 50 frames/s for warm-up + spread + measure (≈3.1 s): ≈1240 frames.
            long frames = count(summary, "frames_sent");
            assertTrue(frames > 1100 && frames <= 8 * 156, "frames_sent " + frames);
            // A partial every 200 ms for 2 s per session, give or take the window edges.
            long partials = count(summary, "partials");
            assertTrue(partials >= 8 * 8 && partials <= 8 * 11, "partials " + partials);
            assertTrue(outcome.stderr().startsWith(clientBound ? "8 INVALID client_bound | partials=" + partials
                    : "8 PASS ok | partials=" + partials), outcome.stderr());
        }
    }

    /**
     * With {@code --rt-priority} the loops run under SCHED_FIFO where the kernel allows it (root in CI);
     * elsewhere the run stops before connecting, naming the refusal.
     */
    @Test
    void rtPriorityRunsTheLoopsUnderFifoOrRefusesUpFront() throws Exception {
        boolean allowed;
        try {
            RealtimeScheduling.checkAllowed(1);
            allowed = true;
        } catch (IllegalStateException e) {
            allowed = false;
        }
        try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.CONFORMING, 200)) {
            if (allowed) {
                Outcome outcome = run(gateway, "--rt-priority", "1");
                JsonObject client = (JsonObject) outcome.summary().get("client");
                assertEquals(1, ((BigDecimal) client.get("rt_priority")).intValueExact());
                assertEquals(0, count(outcome.summary(), "protocol_errors"), outcome.summary().toJson());
                assertEquals(8, count(outcome.summary(), "sessions_connected"));
            } else {
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int exit = Main.run(new String[] {"run", "--url", gateway.url(), "--sessions", "1", "--rt-priority", "1"},
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                assertEquals(2, exit);
                assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("run: --rt-priority 1: sched_setscheduler"),
                        err.toString(StandardCharsets.UTF_8));
                assertEquals(0, gateway.connectionsAccepted());
            }
        }
    }

    /**
     * A gateway that stops reading fills the client's sockets: with either send path the held-back frames
     * must go out later, in order, none lost or doubled (the partials' contiguity would say so).
     */
    @Test
    void backpressureHoldsFramesBackAndLosesNoneOnEitherSendPath() throws Exception {
        List<String> paths = new ArrayList<>(List.of("write"));
        try {
            ClientLoop.resolveIoUring(RunOptions.SendPath.IO_URING);
            paths.add("io_uring");
        } catch (IOException e) {
            // io_uring unavailable here: the write path alone
        }
        for (String path : paths) {
            try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.STALL, 200)) {
                Outcome outcome = run(gateway, "--send-path", path, "--send-buffer-bytes", "4096");
                JsonObject summary = outcome.summary();
                JsonObject client = (JsonObject) summary.get("client");
                assertEquals(path, client.get("send_path"));
                assertTrue(count(client, "sends_held_back") > 0, path + ": " + client.toJson());
                assertEquals(0, count(summary, "protocol_errors"), path + ": " + summary.toJson());
                assertEquals(8, count(summary, "sessions_connected"));
                assertEquals(0, count((JsonObject) summary.get("timeouts"), "send"), path);
                assertTrue(count(summary, "partials") > 0, path);
            }
        }
    }

    @Test
    void ioUringSendPathDeliversEveryFrameInOrder() throws Exception {
        try {
            ClientLoop.resolveIoUring(RunOptions.SendPath.IO_URING);
        } catch (IOException e) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = Main.run(new String[] {"run", "--url", "ws://127.0.0.1:1/ws/stt", "--sessions", "1",
                    "--send-path", "io_uring"}, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(2, exit);
            assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("run: --send-path io_uring: "));
            return;
        }
        try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.CONFORMING, 200)) {
            Outcome outcome = run(gateway, "--send-path", "io_uring");
            JsonObject summary = outcome.summary();
            assertEquals("io_uring", ((JsonObject) summary.get("client")).get("send_path"));
            assertEquals(0, count(summary, "protocol_errors"), summary.toJson());
            long frames = count(summary, "frames_sent");
            assertTrue(frames > 1100 && frames <= 8 * 156, "frames_sent " + frames);
            long partials = count(summary, "partials");
            assertTrue(partials >= 8 * 8 && partials <= 8 * 11, "partials " + partials);
        }
    }

    @Test
    void lostFrameIsAProtocolErrorAndFailsTheSlo() throws Exception {
        try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.LOSE_FIRST_FRAME, 200)) {
            Outcome outcome = run(gateway);
            assertTrue(outcome.exit() >= 1, outcome.stderr());
            assertEquals(8, count(outcome.summary(), "protocol_errors"));
            JsonArray samples = (JsonArray) outcome.summary().get("protocol_error_samples");
            assertTrue(((String) samples.get(0)).contains("frames 1..1 lost"), samples.toJson());
            assertTrue(((JsonArray) ((JsonObject) outcome.summary().get("slo")).get("failed_gates")).contains("errors_ratio"));
        }
    }

    @Test
    void unexpectedKeyIsAProtocolErrorOnEveryPartial() throws Exception {
        try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.EXTRA_KEY, 200)) {
            Outcome outcome = run(gateway);
            assertTrue(outcome.exit() >= 1, outcome.stderr());
            assertEquals(0, count(outcome.summary(), "partials"));
            assertTrue(count(outcome.summary(), "protocol_errors") >= 8 * 10);
            assertTrue(outcome.stderr().contains("errors_ratio;no_partials |"), outcome.stderr());
        }
    }

    @Test
    void errorFramesAreCountedByStageAndKind() throws Exception {
        try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.ERROR_FRAMES, 200)) {
            Outcome outcome = run(gateway);
            JsonObject summary = outcome.summary();
            assertEquals(0, count(summary, "protocol_errors"), summary.toJson());
            long errors = count(summary, "inference_errors");
            assertTrue(errors >= 8 * 10, "inference_errors " + errors);
            JsonObject counted = (JsonObject) ((JsonArray) summary.get("inference_error_counts")).get(0);
            assertEquals("inference_request", counted.get("stage"));
            assertEquals("timeout", counted.get("kind"));
            assertEquals(errors, ((BigDecimal) counted.get("count")).longValueExact());
            JsonObject sample = (JsonObject) ((JsonArray) summary.get("inference_error_samples")).get(0);
            assertEquals("inference timed out", sample.get("message"));
            assertEquals(1, ((JsonArray) summary.get("inference_error_samples")).size());
        }
    }
}
