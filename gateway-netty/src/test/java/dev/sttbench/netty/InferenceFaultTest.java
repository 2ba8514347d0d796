package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;
import dev.sttbench.gateway.Stream;
import dev.sttbench.gateway.RawWebSocketClient;
import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.server.Transport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each inference fault becomes one error frame with gateway-nio's stage/kind rules; the session goes on and recovers. */
class InferenceFaultTest
{
    @Test
    void everyFaultIsOneErrorFrameWithItsStageKindAndRetryable() throws Exception
    {
        try (ScriptedService service = new ScriptedService();
            NettyGateway gateway = NettyHarness.gateway(service.port(), "INFERENCE_TIMEOUT_MS", "500",
                "FLUSH_INTERVAL_MS", "300", "FLUSH_PHASE_JITTER_MS", "0"))
        {
            service.script.add(body -> new ScriptedService.Reply(503, "busy", 0));
            service.script.add(body -> new ScriptedService.Reply(429, "slow down", 0));
            service.script.add(body -> new ScriptedService.Reply(404, "no", 0));
            service.script.add(body -> new ScriptedService.Reply(200, "{\"rms\":1.0}", 0));
            service.script.add(body -> new ScriptedService.Reply(200,
                ScriptedService.correct(body).body().replace("\"checksum\":", "\"checksum\":\"") + "x", 0));
            service.script.add(body -> new ScriptedService.Reply(200, ScriptedService.correct(body).body(), 1_500));

            try (Stream stream = new Stream(gateway.port(), 11))
            {
                assertError(stream.next(5_000), "inference_request", "http_5xx", true, 503L);
                assertError(stream.next(5_000), "inference_request", "http_429", true, 429L);
                assertError(stream.next(5_000), "inference_request", "http_4xx", false, 404L);
                assertError(stream.next(5_000), "inference_response_parse", "parse_error", false, 200L);
                assertError(stream.next(5_000), "inference_response_parse", "parse_error", false, 200L);
                final JsonObject timeout = stream.next(5_000);
                assertError(timeout, "inference_request", "timeout", true, null);
                assertNull(timeout.get("inference_elapsed_ms"));
                // The timed-out stream was reset: the next messages are fresh batches' partials.
                assertEquals("partial", stream.next(5_000).get("type"));
                assertEquals("partial", stream.next(5_000).get("type"));
            }
            assertEquals(1, NettyHarness.metric(gateway, "gateway_error_frames_total{kind=\"timeout\"}"));
            assertEquals(2, NettyHarness.metric(gateway, "gateway_error_frames_total{kind=\"parse_error\"}"));
        }
    }

    @Test
    void inferenceDownGivesConnectionResetsThenPartialsOnceItIsBack() throws Exception
    {
        final int port = Harness.freePort();
        try (NettyGateway gateway = NettyHarness.gateway(port, "FLUSH_INTERVAL_MS", "300", "FLUSH_PHASE_JITTER_MS", "0");
            Stream stream = new Stream(gateway.port(), 5))
        {
            final JsonObject error = stream.next(5_000);
            assertError(error, "inference_request", "connection_reset", true, null);
            assertNull(error.get("inference_elapsed_ms"));
            try (InferenceSimulator simulator = Harness.simulator("PORT", Integer.toString(port)))
            {
                final List<JsonObject> messages = stream.until(null, 10_000);
                for (final JsonObject message : messages.subList(0, messages.size() - 1))
                {
                    assertEquals("connection_reset", message.get("kind"));
                }
                assertEquals("partial", stream.next(5_000).get("type"));
                assertEquals(0, simulator.metrics().requests(Transport.HTTP_1_1));
            }
            assertTrue(NettyHarness.metric(gateway, "gateway_inference_connect_failures_total") >= 1);
        }
    }

    /** A client that leaves while its batch waits on a silent service frees its slot at once (its stream is reset). */
    @Test
    void aClientLeavingWithABatchOutFreesItsSlotAtOnce() throws Exception
    {
        try (ScriptedService service = new ScriptedService();
            NettyGateway gateway = NettyHarness.gateway(service.port(), "MAX_SESSIONS", "1", "WORKER_THREADS", "1",
                "INFERENCE_TIMEOUT_MS", "5000", "FLUSH_INTERVAL_MS", "300", "FLUSH_PHASE_JITTER_MS", "0"))
        {
            service.script.add(body -> new ScriptedService.Reply(200, ScriptedService.correct(body).body(), 30_000));
            try (Stream stream = new Stream(gateway.port(), 3))
            {
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (0 == NettyHarness.metric(gateway, "gateway_inference_requests_in_flight") && System.nanoTime() < deadline)
                {
                    Thread.sleep(10);
                }
                assertEquals(1, NettyHarness.metric(gateway, "gateway_inference_requests_in_flight"));
            }
            final long leftNanos = System.nanoTime();
            RawWebSocketClient next = null;
            while (null == next && System.nanoTime() - leftNanos < 2_000_000_000L)
            {
                try
                {
                    next = RawWebSocketClient.upgrade(gateway.port());
                }
                catch (final IOException refused)
                {
                    Thread.sleep(20);
                }
            }
            assertNotNull(next, "the slot was still held 2 s after its client left");
            next.close();
            assertEquals(0, NettyHarness.metric(gateway, "gateway_inference_requests_in_flight"));
        }
    }

    static void assertError(
        final JsonObject error, final String stage, final String kind, final boolean retryable, final Long status)
    {
        assertEquals("error", error.get("type"), error.toJson());
        assertEquals(stage, error.get("stage"), error.toJson());
        assertEquals(kind, error.get("kind"), error.toJson());
        assertEquals(retryable, error.get("retryable"), error.toJson());
        assertEquals(status, null == error.get("inference_status") ? null :
            ((BigDecimal)error.get("inference_status")).longValue(), error.toJson());
        assertTrue(((BigDecimal)error.get("oldest_age_ms")).doubleValue() >=
            ((BigDecimal)error.get("newest_age_ms")).doubleValue(), error.toJson());
        assertTrue(((BigDecimal)error.get("gateway_buffer_frames")).longValue() >=
            ((BigDecimal)error.get("frames")).longValue(), error.toJson());
    }
}
