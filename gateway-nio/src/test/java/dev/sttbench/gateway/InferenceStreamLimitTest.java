package dev.sttbench.gateway;

import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 #10: an inference service that caps concurrent HTTP/2 streams (real ones advertise 100–250) must cost no
 * batch. Hundreds of sessions flush at once against a simulator with MAX_CONCURRENT_STREAMS=100 and a slow model, so
 * far more requests are due than one connection may carry; every frame must still end in exactly one partial or
 * error frame, in seq order. Before the stream limit was respected, java.net.http failed every request beyond the
 * 100th at once ("too many concurrent streams"): connection_reset error frames for most batches.
 */
class InferenceStreamLimitTest
{
    private static final int FRAMES_PER_BURST = 5;

    /** 300 sessions' batches in flight at once against 100 streams per connection: partials only. */
    @Test
    void threeHundredConcurrentFlushesAgainstAHundredStreamsAreAllAnswered() throws Exception
    {
        try (InferenceSimulator simulator = simulator("MODEL_DELAY_MS", "1000");
            Gateway gateway = gateway(simulator, "INFERENCE_TIMEOUT_MS", "6000");
            Fleet fleet = new Fleet(gateway.port(), 300))
        {
            fleet.sendBurst();
            fleet.awaitAnswered();
            assertEquals(Map.of(), fleet.errors, "no error frame");
            assertEquals(0, Harness.metric(gateway, "gateway_inference_requests_queued"));
            assertEquals(0, Harness.metric(gateway, "gateway_inference_requests_rejected_total"));
            assertTrue(Harness.metric(gateway, "gateway_inference_connections") >= 3, gateway.metricsText());
            assertEquals(fleet.partials + Harness.metric(gateway, "gateway_inference_connections"),
                simulator.metrics().responses(200), "one request per partial, plus one warm-up GET per connection");
        }
    }

    /**
     * The simulator sends GOAWAY after every 40 requests on a connection (what nginx's keepalive_requests does), in
     * the middle of each burst: streams above the GOAWAY's last stream are refused and must be sent again, on a
     * new connection, within their deadline. Two bursts of 150 sessions: partials only.
     */
    @Test
    void goAwayMidRunLosesNoBatch() throws Exception
    {
        try (InferenceSimulator simulator = simulator("MODEL_DELAY_MS", "400", "MAX_REQUESTS_PER_CONNECTION", "40");
            Gateway gateway = gateway(simulator, "INFERENCE_TIMEOUT_MS", "6000");
            Fleet fleet = new Fleet(gateway.port(), 150))
        {
            for (int burst = 0; burst < 2; burst++)
            {
                fleet.sendBurst();
                fleet.awaitAnswered();
            }
            assertEquals(Map.of(), fleet.errors, "no error frame");
            assertEquals(0, Harness.metric(gateway, "gateway_inference_requests_queued"));
        }
    }

    /**
     * Connections lost with many of 150 batches in flight. First every connection is reset (no GOAWAY) while the
     * simulator keeps listening: the batches sent on them end as retryable connection_reset error frames (or, where
     * java.net.http resent one itself, as a partial), those still queued go out on new connections; none is lost. Then the simulator goes away for good mid-burst: those batches end as
     * connection_reset error frames. A simulator started on the same port then answers the next burst with partials
     * only (the connections probe it with one batch each, then take their full share again).
     */
    @Test
    void batchesLostWithTheirConnectionEndAsConnectionResetsAndNoneIsLost() throws Exception
    {
        final int port = Harness.freePort();
        final String[] settings = { "PORT", Integer.toString(port), "MODEL_DELAY_MS", "600" };
        InferenceSimulator simulator = simulator(settings);
        try (Gateway gateway = gateway(simulator, "INFERENCE_TIMEOUT_MS", "6000");
            Fleet fleet = new Fleet(gateway.port(), 150))
        {
            fleet.sendBurst();
            awaitInFlight(gateway, 60);
            simulator.dropConnections();
            fleet.awaitAnswered();
            assertTrue(fleet.errors.keySet().stream().allMatch("connection_reset"::equals), fleet.errors.toString());

            fleet.errors.clear();
            fleet.sendBurst();
            awaitInFlight(gateway, 60);
            simulator.close();
            simulator = null;
            fleet.awaitAnswered();
            assertEquals(Set.of("connection_reset"), fleet.errors.keySet(), fleet.errors.toString());

            simulator = simulator(settings);
            fleet.errors.clear();
            final long partialsBefore = fleet.partials;
            fleet.sendBurst();
            fleet.awaitAnswered();
            assertEquals(Map.of(), fleet.errors, "once the service is back: no error frame");
            assertEquals(150, fleet.partials - partialsBefore);
        }
        finally
        {
            if (null != simulator)
            {
                simulator.close();
            }
        }
    }

    /**
     * One connection of 10 streams, at most 20 batches waiting, a 1 s model and a 1.5 s deadline, 60 sessions flushing
     * at once: 10 are answered, the queue holds 20 (some go out as streams free up, the rest time out in it) and the
     * other 30 fail at once. Every seq still ends in exactly one partial or timeout error frame, and the queue never
     * grows past its bound.
     */
    @Test
    void pastTheQueueBoundBatchesEndAsTimeoutsNotUnboundedGrowth() throws Exception
    {
        try (InferenceSimulator simulator = simulator("MODEL_DELAY_MS", "1000", "MAX_CONCURRENT_STREAMS", "10");
            Gateway gateway = gateway(simulator, "INFERENCE_TIMEOUT_MS", "1500", "INFERENCE_MAX_STREAMS", "10",
                "INFERENCE_MAX_CONNECTIONS", "1", "INFERENCE_QUEUE_MAX", "20");
            Fleet fleet = new Fleet(gateway.port(), 60))
        {
            fleet.sendBurst();
            long maxQueued = 0;
            final long deadline = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < deadline)
            {
                maxQueued = Math.max(maxQueued, Harness.metric(gateway, "gateway_inference_requests_queued"));
                Thread.sleep(5);
            }
            fleet.awaitAnswered();
            assertTrue(maxQueued > 0 && maxQueued <= 20, "queued at most 20: " + maxQueued);
            assertTrue(fleet.errors.keySet().stream().allMatch("timeout"::equals), fleet.errors.toString());
            assertTrue(fleet.errors.getOrDefault("timeout", 0) >= 30, fleet.errors.toString());
            assertTrue(Harness.metric(gateway, "gateway_inference_requests_rejected_total") >= 30);
            assertTrue(fleet.partials >= 10);
            assertEquals(0, Harness.metric(gateway, "gateway_inference_requests_queued"));
        }
    }

    private static void awaitInFlight(final Gateway gateway, final long requests) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (Harness.metric(gateway, "gateway_inference_requests_in_flight") < requests && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
    }

    private static InferenceSimulator simulator(final String... settings)
    {
        final List<String> env = new ArrayList<>(List.of("MAX_CONCURRENT_STREAMS", "100", "MODEL_JITTER_SIGMA", "0",
            "MODEL_LONGTAIL_PROB", "0", "MODEL_BATCH_WAIT_MAX_MS", "0"));
        env.addAll(List.of(settings));
        return Harness.simulator(env.toArray(new String[0]));
    }

    /** Batches flushed every 500 ms from each session's start (no phase jitter): a burst is one batch or two. */
    private static Gateway gateway(final InferenceSimulator simulator, final String... settings)
    {
        final List<String> env = new ArrayList<>(List.of("MAX_SESSIONS", "400", "FLUSH_INTERVAL_MS", "500",
            "FLUSH_PHASE_JITTER_MS", "0"));
        env.addAll(List.of(settings));
        return Harness.gateway(simulator.port(), env.toArray(new String[0]));
    }

    /**
     * Many raw WebSocket sessions driven from the test thread: each burst writes {@link #FRAMES_PER_BURST} reference
     * frames on every session; {@link #awaitAnswered()} reads each session's messages until its last frame is
     * answered, checking that seq ranges follow each other without gap or overlap and that partials carry the stub's
     * checksum for exactly their frames.
     */
    private static final class Fleet implements AutoCloseable
    {
        final Map<String, Integer> errors = new TreeMap<>();
        long partials;
        private final List<RawWebSocketClient> clients = new ArrayList<>();
        private final long[] sent;
        private final long[] answered;

        Fleet(final int port, final int sessions) throws IOException
        {
            sent = new long[sessions];
            answered = new long[sessions];
            for (int i = 0; i < sessions; i++)
            {
                final RawWebSocketClient client = RawWebSocketClient.upgrade(port);
                clients.add(client);
                client.sendStart();
            }
        }

        void sendBurst() throws IOException
        {
            for (int i = 0; i < clients.size(); i++)
            {
                final ByteArrayOutputStream burst = new ByteArrayOutputStream();
                for (int k = 0; k < FRAMES_PER_BURST; k++)
                {
                    burst.writeBytes(RawWebSocketClient.frame(RawWebSocketClient.BINARY, true, Pcm.frame(i, ++sent[i])));
                }
                clients.get(i).sendRaw(burst.toByteArray());
            }
        }

        void awaitAnswered() throws IOException
        {
            for (int i = 0; i < clients.size(); i++)
            {
                while (answered[i] < sent[i])
                {
                    final RawWebSocketClient.Frame frame = clients.get(i).readFrame();
                    assertEquals(RawWebSocketClient.TEXT, frame.opcode(), "session " + i);
                    final JsonObject message = Harness.json(frame.text());
                    final long oldest = Harness.longOf(message, "oldest_frame_seq");
                    final long newest = Harness.longOf(message, "newest_frame_seq");
                    assertEquals(answered[i] + 1, oldest, "seq ranges follow each other: " + frame.text());
                    assertTrue(newest <= sent[i], frame.text());
                    if ("partial".equals(message.get("type")))
                    {
                        assertEquals(Pcm.stub(Pcm.frames(i, oldest, newest), 4).checksum(),
                            Harness.longOf(message, "checksum"), frame.text());
                        partials++;
                    }
                    else
                    {
                        assertEquals("error", message.get("type"), frame.text());
                        assertEquals(Stream.ERROR_KEYS, message.keySet(), frame.text());
                        assertEquals(true, message.get("retryable"), frame.text());
                        errors.merge((String)message.get("kind"), 1, Integer::sum);
                    }
                    answered[i] = newest;
                }
            }
        }

        public void close() throws IOException
        {
            for (final RawWebSocketClient client : clients)
            {
                client.close();
            }
        }
    }
}
