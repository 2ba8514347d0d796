package dev.sttbench.gateway;

import com.github.cliftonlabs.json_simple.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each inference fault becomes one error frame; the session goes on and recovers. */
class InferenceFaultTest
{
    /** A scripted HTTP/1.1 inference service: each POST takes the next behaviour, then it answers correctly. */
    private static final class ScriptedService implements AutoCloseable
    {
        private final HttpServer server;
        private final ConcurrentLinkedQueue<Function<byte[], Reply>> script = new ConcurrentLinkedQueue<>();

        record Reply(int status, String body, long delayMs)
        {
        }

        ScriptedService() throws IOException
        {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/health", exchange -> respond(exchange, new Reply(200, "ok", 0)));
            server.createContext("/infer", exchange ->
            {
                final byte[] body = exchange.getRequestBody().readAllBytes();
                final Function<byte[], Reply> next = script.poll();
                respond(exchange, null == next ? correct(body) : next.apply(body));
            });
            server.start();
        }

        static Reply correct(final byte[] body)
        {
            final Pcm.Stub stub = Pcm.stub(body, 4);
            return new Reply(200, String.format(Locale.ROOT, "{\"rms\":%s,\"zero_crossings\":%d,\"checksum\":%d," +
                "\"samples\":%d,\"transcript\":\"%s\",\"audio_bytes\":%d}", stub.rms(), stub.zeroCrossings(),
                stub.checksum(), stub.samples(), stub.transcript(), stub.audioBytes()), 0);
        }

        private static void respond(final HttpExchange exchange, final Reply reply) throws IOException
        {
            try
            {
                Thread.sleep(reply.delayMs());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            final byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(reply.status(), bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        }

        int port()
        {
            return server.getAddress().getPort();
        }

        public void close()
        {
            server.stop(0);
        }
    }

    @Test
    void everyFaultIsOneErrorFrameWithItsStageKindAndRetryable() throws Exception
    {
        try (ScriptedService service = new ScriptedService();
            Gateway gateway = Harness.gateway(service.port(), "INFERENCE_TIMEOUT_MS", "500",
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
                // The late answer to the timed-out batch is dropped: the next message is a fresh batch's partial.
                assertEquals("partial", stream.next(5_000).get("type"));
                assertEquals("partial", stream.next(5_000).get("type"));
            }
            assertEquals(1, Harness.metric(gateway, "gateway_error_frames_total{kind=\"timeout\"}"));
            assertEquals(2, Harness.metric(gateway, "gateway_error_frames_total{kind=\"parse_error\"}"));
        }
    }

    @Test
    void inferenceDownGivesConnectionResetsThenPartialsOnceItIsBack() throws Exception
    {
        final int port = Harness.freePort();
        try (Gateway gateway = Harness.gateway(port, "FLUSH_INTERVAL_MS", "300", "FLUSH_PHASE_JITTER_MS", "0");
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
                assertTrue(simulator.metrics().requests(dev.sttbench.sim.server.Transport.HTTP_1_1) <= 1,
                    "after recovery batches travel as HTTP/2");
            }
        }
    }

    /**
     * Issue 11 #4: a client leaves while its batch waits on a service that does not answer. Its slot must come back
     * by the inference deadline (the request is cancelled), not when, or if, the service answers: with
     * MAX_SESSIONS=1 the next client is admitted within a second instead of getting 503 for half a minute.
     */
    @Test
    void aSlotHeldByAnUnansweredBatchComesBackAtTheDeadlineAfterItsClientLeft() throws Exception
    {
        try (ScriptedService service = new ScriptedService();
            Gateway gateway = Harness.gateway(service.port(), "MAX_SESSIONS", "1", "WORKER_THREADS", "1",
                "INFERENCE_TIMEOUT_MS", "500", "FLUSH_INTERVAL_MS", "300", "FLUSH_PHASE_JITTER_MS", "0"))
        {
            service.script.add(body -> new ScriptedService.Reply(200, ScriptedService.correct(body).body(), 30_000));
            try (Stream stream = new Stream(gateway.port(), 3))
            {
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (!service.script.isEmpty() && System.nanoTime() < deadline)
                {
                    Thread.sleep(10);
                }
                assertTrue(service.script.isEmpty(), "the batch reached the service");
            }
            final long leftNanos = System.nanoTime();
            RawWebSocketClient next = null;
            while (null == next && System.nanoTime() - leftNanos < 3_000_000_000L)
            {
                try
                {
                    next = RawWebSocketClient.upgrade(gateway.port());
                }
                catch (final IOException refused)
                {
                    Thread.sleep(50);
                }
            }
            assertNotNull(next, "the slot was still held 3 s after its client left");
            next.close();
        }
    }

    private static void assertError(
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
