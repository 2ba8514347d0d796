package dev.sttbench.gateway;

import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static dev.sttbench.gateway.RawWebSocketClient.BINARY;
import static dev.sttbench.gateway.RawWebSocketClient.PING;
import static dev.sttbench.gateway.RawWebSocketClient.PONG;
import static dev.sttbench.gateway.RawWebSocketClient.TEXT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session that stops sending goes quiet (no timer, read interest on) and wakes up when its client sends again,
 * losing nothing: with read ticks and with reads as soon as readable.
 */
class QuietSessionTest
{
    private static InferenceSimulator simulator;

    @BeforeAll
    static void start()
    {
        simulator = Harness.simulator("MODEL_DELAY_MS", "5");
    }

    @AfterAll
    static void stop()
    {
        simulator.close();
    }

    @ParameterizedTest
    @ValueSource(strings = { "500", "0" })
    void aSilentSessionGoesQuietAnswersPingsAndResumesWhenAudioComes(final String readIntervalMs) throws Exception
    {
        try (Gateway gateway = Harness.gateway(simulator.port(), "READ_INTERVAL_MS", readIntervalMs,
            "FLUSH_INTERVAL_MS", "200", "FLUSH_PHASE_JITTER_MS", "0", "MODEL_DELAY_MS", "5");
            RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
        {
            client.soTimeout(5_000);
            client.sendStart();
            assertTrue(awaitQuiet(gateway, 1), "a session with nothing to read or flush goes quiet");

            final byte[] payload = "are you there".getBytes(StandardCharsets.US_ASCII);
            client.send(PING, true, payload);
            final RawWebSocketClient.Frame pong = client.readFrame();
            assertEquals(PONG, pong.opcode());
            assertArrayEquals(payload, pong.payload());

            for (int round = 1; round <= 2; round++)
            {
                final long firstSeq = (round - 1) * 10L + 1;
                for (long seq = firstSeq; seq < firstSeq + 10; seq++)
                {
                    client.send(BINARY, true, Pcm.frame(1, seq));
                }
                long answered = firstSeq - 1;
                while (answered < firstSeq + 9)
                {
                    final RawWebSocketClient.Frame partial = client.readFrame();
                    assertEquals(TEXT, partial.opcode());
                    final var message = Harness.json(new String(partial.payload(), StandardCharsets.UTF_8));
                    assertEquals("partial", message.get("type"), message.toJson());
                    assertEquals(answered + 1, Harness.longOf(message, "oldest_frame_seq"), message.toJson());
                    answered = Harness.longOf(message, "newest_frame_seq");
                }
                assertEquals(firstSeq + 9, answered, "every frame of round " + round + " answered once");
                assertTrue(awaitQuiet(gateway, 1), "quiet again after round " + round);
            }
        }
    }

    private static boolean awaitQuiet(final Gateway gateway, final long sessions) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            if (Harness.metric(gateway, "gateway_sessions_quiet") == sessions)
            {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
