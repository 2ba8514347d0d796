package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;
import dev.sttbench.gateway.Stream;
import dev.sttbench.gateway.RawWebSocketClient;
import dev.sttbench.gateway.Pcm;
import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SIGTERM drain: in process through {@link NettyGateway#close()}, and as a real process. */
class ShutdownTest
{
    @Test
    void closeLetsTheInFlightBatchResolveThenClosesWith1001() throws Exception
    {
        try (InferenceSimulator simulator = Harness.simulator("MODEL_DELAY_MS", "700", "MODEL_JITTER_SIGMA", "0",
            "MODEL_LONGTAIL_PROB", "0", "MODEL_BATCH_WAIT_MAX_MS", "0"))
        {
            final NettyGateway gateway = NettyHarness.gateway(simulator.port(), "FLUSH_PHASE_JITTER_MS", "0");
            try (Stream stream = new Stream(gateway.port(), 2))
            {
                while (0 == NettyHarness.metric(gateway, "gateway_inference_requests_in_flight"))
                {
                    Thread.sleep(10);
                }
                gateway.close();
                // The batch in flight, then what was buffered behind it: every frame read is named before the 1001.
                assertEquals("partial", stream.next(5_000).get("type"));
                while (!stream.client.messages.isEmpty())
                {
                    assertEquals("partial", stream.next(100).get("type"));
                }
                assertEquals(1001, stream.client.closeCode.get(5, TimeUnit.SECONDS));
            }
            assertThrows(ConnectException.class, () -> RawWebSocketClient.connect(gateway.port()));
        }
    }

    @Test
    void drainFlushesEverythingTheClientSentBeforeClosingWith1001() throws Exception
    {
        try (InferenceSimulator simulator = Harness.simulator("MODEL_DELAY_MS", "20"))
        {
            // No flush falls in the test: everything sent waits in the gateway when the drain starts.
            final NettyGateway gateway = NettyHarness.gateway(simulator.port(), "FLUSH_INTERVAL_MS", "600000",
                "FLUSH_PHASE_JITTER_MS", "600000");
            try (RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
            {
                client.soTimeout(10_000);
                client.sendStart();
                for (long seq = 1; seq <= 37; seq++)
                {
                    client.send(RawWebSocketClient.BINARY, true, Pcm.frame(3, seq));
                }
                Thread.sleep(200);
                final Thread closer = new Thread(gateway::close, "drain");
                closer.start();
                long answered = 0;
                while (true)
                {
                    final RawWebSocketClient.Frame frame = client.readFrame();
                    if (RawWebSocketClient.CLOSE == frame.opcode())
                    {
                        assertEquals(1001, frame.closeCode());
                        break;
                    }
                    final JsonObject message = Harness.json(frame.text());
                    assertEquals("partial", message.get("type"), message.toJson());
                    assertEquals(answered + 1, Harness.longOf(message, "oldest_frame_seq"), message.toJson());
                    answered = Harness.longOf(message, "newest_frame_seq");
                }
                assertEquals(37, answered, "every frame sent before the drain is answered before 1001");
                closer.join(10_000);
            }
        }
    }

    @Test
    void sigtermDrainsAndExitsZeroAndAMalformedVariableExitsTwo() throws Exception
    {
        final Process process = gatewayProcess(Map.of("PORT", "0", "INFERENCE_URL", "http://127.0.0.1:9"));
        final BufferedReader stdout =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        final List<String> lines = new ArrayList<>();
        String line;
        while (null != (line = stdout.readLine()) && !line.startsWith("listening port="))
        {
            lines.add(line);
        }
        assertTrue(null != line, "no listening line in " + lines);
        assertTrue(String.join("\n", lines).contains("transport epoll (native)"), String.join("\n", lines));
        final int port = Integer.parseInt(line.substring("listening port=".length()));
        try (RawWebSocketClient client = RawWebSocketClient.upgrade(port))
        {
            client.sendStart();
            process.destroy();
            assertEquals(1001, client.awaitCloseCode());
        }
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());

        final Process malformed = gatewayProcess(Map.of("FLUSH_INTERVAL_MS", "soon"));
        assertTrue(malformed.waitFor(10, TimeUnit.SECONDS));
        assertEquals(2, malformed.exitValue());
        final String stderr = new String(malformed.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(stderr.contains("FLUSH_INTERVAL_MS"), stderr);
    }

    private static Process gatewayProcess(final Map<String, String> env) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1"));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        return builder.start();
    }
}
