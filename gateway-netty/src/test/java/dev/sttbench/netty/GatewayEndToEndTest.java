package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;
import dev.sttbench.gateway.Pcm;
import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.server.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The happy path through a real simulator, with the JDK's WebSocket client as an independent peer. */
class GatewayEndToEndTest
{
    private static final Set<String> PARTIAL_KEYS = Set.of("type", "oldest_frame_seq", "newest_frame_seq", "frames",
        "rms", "zero_crossings", "checksum", "samples", "transcript", "audio_bytes", "cpu_passes", "model_delay_ms",
        "flush_lateness_ms", "inflight_model_jobs");

    private static InferenceSimulator simulator;
    private static NettyGateway gateway;

    @BeforeAll
    static void start()
    {
        simulator = Harness.simulator();
        gateway = NettyHarness.gateway(simulator.port());
    }

    @AfterAll
    static void stop()
    {
        gateway.close();
        simulator.close();
    }

    @Test
    void partialsAreGoldenContiguousOnCadenceAndTravelOverHttp2PriorKnowledge() throws Exception
    {
        final long framesSent = streamAndCheckPartials(gateway, 7);
        assertEquals(0, simulator.metrics().requests(Transport.HTTP_1_1), "every POST must travel as HTTP/2");
        assertEquals(0, simulator.metrics().requests(Transport.H2C_UPGRADE), "h2c by prior knowledge, no upgrade");
        assertTrue(simulator.metrics().requests(Transport.H2C_PRIOR_KNOWLEDGE) >= 4);
        assertTrue(NettyHarness.metric(gateway, "gateway_partials_total") >= 4);
        assertTrue(NettyHarness.metric(gateway, "gateway_frames_in_total") >= framesSent);
        assertEquals(2, NettyHarness.metric(gateway, "gateway_inference_connections"), "one HTTP/2 connection per event loop");
    }

    /** READ_INTERVAL_MS: sockets read on a tick instead of when readable; every frame still lands in its partial. */
    @Test
    void readTicksKeepEveryFrameAndTheCadence() throws Exception
    {
        try (NettyGateway ticking = NettyHarness.gateway(simulator.port(), "READ_INTERVAL_MS", "250"))
        {
            streamAndCheckPartials(ticking, 8);
        }
    }

    /**
     * A loop stalled past a read tick and a flush, as a CFS quota stalls it, runs both in one pass of tasks on waking:
     * the flush still sends what the socket holds by then, not only what the loop read before the stall.
     */
    @Test
    void aStalledLoopReadsTheSocketBeforeItFlushes() throws Exception
    {
        try (NettyGateway ticking = NettyHarness.gateway(simulator.port(), "READ_INTERVAL_MS", "500",
                "WORKER_THREADS", "1");
            Harness.JdkClient client = new Harness.JdkClient(ticking.port());
            ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor())
        {
            client.start();
            final AtomicLong seq = new AtomicLong();
            sender.scheduleAtFixedRate(() -> client.sendFrame(Pcm.frame(9, seq.incrementAndGet())),
                0, 20, TimeUnit.MILLISECONDS);
            client.next(5_000);
            final AtomicLong sentWhenAwake = new AtomicLong();
            ticking.eventLoops().next().execute(() ->
            {
                try
                {
                    Thread.sleep(1_500);
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                }
                sentWhenAwake.set(seq.get());
            });
            final JsonObject partial = Harness.json(client.next(5_000).text());
            final long newest = Harness.longOf(partial, "newest_frame_seq");
            assertTrue(newest >= sentWhenAwake.get() - 15, "the flush after the stall named frames up to " + newest +
                " while " + sentWhenAwake.get() + " had been sent when the loop woke");
        }
    }

    /** Streams one session until 4 partials came; checks them; returns the frames they name. */
    private static long streamAndCheckPartials(final NettyGateway gateway, final long sessionId) throws Exception
    {
        final List<Harness.Received> partials = new ArrayList<>();
        try (Harness.JdkClient client = new Harness.JdkClient(gateway.port());
            ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor())
        {
            client.start();
            final AtomicLong seq = new AtomicLong();
            sender.scheduleAtFixedRate(() -> client.sendFrame(Pcm.frame(sessionId, seq.incrementAndGet())),
                0, 20, TimeUnit.MILLISECONDS);
            while (partials.size() < 4)
            {
                partials.add(client.next(5_000));
            }
        }

        long expectedOldest = 1;
        for (final Harness.Received received : partials)
        {
            final JsonObject partial = Harness.json(received.text());
            assertEquals(PARTIAL_KEYS, partial.keySet(), received.text());
            assertEquals("partial", partial.get("type"));
            final long oldest = Harness.longOf(partial, "oldest_frame_seq");
            final long newest = Harness.longOf(partial, "newest_frame_seq");
            assertEquals(expectedOldest, oldest, "no frame lost or repeated between partials");
            assertEquals(newest - oldest + 1, Harness.longOf(partial, "frames"));
            final Pcm.Stub expected = Pcm.stub(Pcm.frames(sessionId, oldest, newest), 4);
            assertEquals(expected.checksum(), Harness.longOf(partial, "checksum"));
            assertEquals(expected.zeroCrossings(), Harness.longOf(partial, "zero_crossings"));
            assertEquals(expected.samples(), Harness.longOf(partial, "samples"));
            assertEquals(expected.audioBytes(), Harness.longOf(partial, "audio_bytes"));
            assertEquals(expected.transcript(), partial.get("transcript"));
            assertEquals(expected.rms(), ((BigDecimal)partial.get("rms")).doubleValue(), 1e-9);
            assertEquals(4, Harness.longOf(partial, "cpu_passes"));
            assertEquals(75, Harness.longOf(partial, "model_delay_ms"));
            assertTrue(((BigDecimal)partial.get("flush_lateness_ms")).doubleValue() >= 0);
            assertTrue(Harness.longOf(partial, "inflight_model_jobs") >= 0);
            expectedOldest = newest + 1;
        }
        for (int i = 2; i < partials.size(); i++)
        {
            final long gapMs = (partials.get(i).nanos() - partials.get(i - 1).nanos()) / 1_000_000;
            assertTrue(gapMs >= 750 && gapMs <= 1500, "partials " + gapMs + " ms apart");
        }
        return expectedOldest - 1;
    }
}
