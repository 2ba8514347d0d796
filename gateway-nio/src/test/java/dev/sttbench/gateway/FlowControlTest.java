package dev.sttbench.gateway;

import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.gateway.session.RequestBodySlab;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One batch in flight per session, the overflow policy, the audio memory budget, and a client that stops reading. */
class FlowControlTest
{
    @Test
    void slowInferenceKeepsOneRequestInFlightAndTheNextPartialCoversEverything() throws Exception
    {
        try (InferenceSimulator simulator = Harness.simulator("MODEL_DELAY_MS", "2500", "MODEL_JITTER_SIGMA", "0",
            "MODEL_LONGTAIL_PROB", "0", "MODEL_BATCH_WAIT_MAX_MS", "0");
            Gateway gateway = Harness.gateway(simulator.port(), "INFERENCE_TIMEOUT_MS", "6000",
                "FLUSH_PHASE_JITTER_MS", "0");
            Stream stream = new Stream(gateway.port(), 9))
        {
            final CompletableFuture<Long> maxInFlight = CompletableFuture.supplyAsync(() ->
            {
                long max = 0;
                for (int i = 0; i < 60; i++)
                {
                    max = Math.max(max, Harness.metric(gateway, "gateway_inference_requests_in_flight"));
                    sleep(100);
                }
                return max;
            });
            final JsonObject first = stream.next(10_000);
            assertEquals("partial", first.get("type"), first.toJson());
            final JsonObject second = stream.next(10_000);
            assertEquals("partial", second.get("type"), second.toJson());
            assertTrue(Harness.longOf(second, "frames") >= 100,
                "the batch after a 2.5 s request holds every frame since: " + second.toJson());
            assertEquals(1, maxInFlight.get(10, TimeUnit.SECONDS));
            assertTrue(Harness.metric(gateway, "gateway_flushes_skipped_total") >= 2);
        }
    }

    @Test
    void aFullRingShedsFramesAndReportsTheirRangeInOrder() throws Exception
    {
        try (InferenceSimulator simulator = Harness.simulator("MODEL_DELAY_MS", "600", "MODEL_JITTER_SIGMA", "0",
            "MODEL_LONGTAIL_PROB", "0", "MODEL_BATCH_WAIT_MAX_MS", "0");
            Gateway gateway = Harness.gateway(simulator.port(), "SESSION_BUFFER_FRAMES", "20",
                "FLUSH_PHASE_JITTER_MS", "0");
            Stream stream = new Stream(gateway.port(), 4))
        {
            // A batch holds at most the 20 frames of the ring; the 600 ms service lets the ring fill behind it.
            final List<JsonObject> messages = stream.until("buffer_overflow", 10_000);
            for (final JsonObject message : messages.subList(0, messages.size() - 1))
            {
                assertEquals("partial", message.get("type"), message.toJson());
                assertTrue(Harness.longOf(message, "frames") <= 20, message.toJson());
            }
            final JsonObject overflow = messages.getLast();
            assertEquals("error", overflow.get("type"));
            assertEquals("gateway_buffer", overflow.get("stage"));
            assertEquals(Boolean.TRUE, overflow.get("retryable"));
            assertEquals(null, overflow.get("inference_status"));
            assertEquals(null, overflow.get("inference_elapsed_ms"));
            assertEquals(0, Harness.longOf(overflow, "gateway_buffer_frames"));
            assertEquals("partial", stream.next(10_000).get("type"), "storing resumes after the report");
            assertTrue(Harness.metric(gateway, "gateway_frames_shed_total") >= Harness.longOf(overflow, "frames"));
        }
    }

    /**
     * A slow service (1.5 s) keeps up to 2 s of each session's audio in flight and as much behind it: at most ~200
     * frames a ring, within SESSION_BUFFER_FRAMES (256), so nothing is shed for want of ring slots. Twelve sessions
     * then hold ~1.7 MiB of chunks and bodies; a 1 MiB budget makes the gateway shed frames instead, each named by a
     * buffer_overflow error frame, while it stays up and answers every other frame with its partial.
     */
    @Test
    void aSpentAudioMemoryBudgetShedsFramesAndEveryFrameIsNamedOnce() throws Exception
    {
        final long budget = 1L << 20;
        try (InferenceSimulator simulator = Harness.simulator("MODEL_DELAY_MS", "1500", "MODEL_JITTER_SIGMA", "0",
            "MODEL_LONGTAIL_PROB", "0", "MODEL_BATCH_WAIT_MAX_MS", "0");
            Gateway gateway = Harness.gateway(simulator.port(), "AUDIO_MEMORY_MB", "1", "INFERENCE_TIMEOUT_MS", "6000"))
        {
            final List<Stream> streams = new ArrayList<>();
            try
            {
                for (int session = 0; session < 12; session++)
                {
                    streams.add(new Stream(gateway.port(), 20 + session));
                }
                long maxCommitted = 0;
                for (int i = 0; i < 80; i++)
                {
                    maxCommitted = Math.max(maxCommitted, Harness.metric(gateway, "gateway_audio_memory_committed_bytes"));
                    sleep(100);
                }
                streams.forEach(Stream::stopSending);

                long shedFrames = 0;
                long overflowFrames = 0;
                for (final Stream stream : streams)
                {
                    long named = 0;
                    while (named < stream.framesSent())
                    {
                        final JsonObject message = stream.next(10_000);
                        named = Harness.longOf(message, "newest_frame_seq");
                        if ("error".equals(message.get("type")))
                        {
                            assertEquals("buffer_overflow", message.get("kind"), message.toJson());
                            shedFrames += Harness.longOf(message, "frames");
                            overflowFrames++;
                        }
                    }
                    assertEquals(stream.framesSent(), named, "every frame sent is named once, in order");
                }
                assertTrue(overflowFrames > 0, "frames were shed for want of memory");
                assertEquals(shedFrames, Harness.metric(gateway, "gateway_frames_shed_total"));
                assertTrue(Harness.metric(gateway, "gateway_audio_memory_refusals_total") > 0);
                assertEquals(budget, Harness.metric(gateway, "gateway_audio_memory_budget_bytes"));
                // A flush commits its body before the chunks it empties pay for it: one batch per loop at most.
                assertTrue(maxCommitted <= budget + 2L * RequestBodySlab.bytesPerSlot(256 * 640),
                    "committed at most " + maxCommitted);
                assertEquals(200, Harness.httpGet(gateway.port(), "/health").statusCode());
            }
            finally
            {
                streams.forEach(Stream::close);
            }
        }
    }

    @Test
    void aClientThatStopsReadingIsClosedWith1008() throws Exception
    {
        try (InferenceSimulator simulator = Harness.simulator();
            Gateway gateway = Harness.gateway(simulator.port(), "OUTBOUND_BUFFER_BYTES", "8192");
            RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
        {
            final ByteArrayOutputStream pings = new ByteArrayOutputStream();
            for (int i = 0; i < 1_000; i++)
            {
                pings.writeBytes(RawWebSocketClient.frame(RawWebSocketClient.PING, true, new byte[125]));
            }
            final byte[] burst = pings.toByteArray();
            for (int i = 0; i < 2_000 && 0 == Harness.metric(gateway, "gateway_outbound_drops_total"); i++)
            {
                client.sendRaw(burst);
            }
            assertEquals(1, Harness.metric(gateway, "gateway_outbound_drops_total"));
            assertEquals(1008, client.awaitCloseCode());
        }
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
