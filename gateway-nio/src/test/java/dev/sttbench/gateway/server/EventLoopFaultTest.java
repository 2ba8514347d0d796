package dev.sttbench.gateway.server;

import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.session.AudioMemoryBudget;
import dev.sttbench.gateway.session.SessionLimit;
import dev.sttbench.gateway.inference.InferenceClient;
import dev.sttbench.gateway.metrics.MetricsRenderer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A fault in one connection's handling closes that connection only; a fault of the loop itself is reported. */
class EventLoopFaultTest
{
    @Test
    void aRuntimeExceptionInOneConnectionClosesItAndTheLoopServesTheNext() throws Exception
    {
        final CompletableFuture<Throwable> loopFailure = new CompletableFuture<>();
        final Supplier<String> health = () ->
        {
            throw new IllegalStateException("bug in a handler");
        };
        try (RunningLoop running = RunningLoop.start(health, loopFailure))
        {
            assertEquals("", running.get("/health"), "the faulty request's connection is closed without a response");

            final String metrics = running.get("/metrics");
            assertTrue(metrics.startsWith("HTTP/1.1 200"), metrics);
            assertTrue(metrics.contains("gateway_connections_aborted_total 1\n"), metrics);
            assertFalse(loopFailure.isDone(), "the loop must survive a fault of one connection");
        }
    }

    @Test
    void anErrorKillsTheLoopAndIsReportedSoTheProcessCanStop() throws Exception
    {
        final CompletableFuture<Throwable> loopFailure = new CompletableFuture<>();
        final Supplier<String> health = () ->
        {
            throw new AssertionError("broken invariant");
        };
        try (RunningLoop running = RunningLoop.start(health, loopFailure))
        {
            running.get("/health");
            assertInstanceOf(AssertionError.class, loopFailure.get(10, TimeUnit.SECONDS));
        }
    }

    private record RunningLoop(EventLoop loop, InferenceClient inference, int port) implements AutoCloseable
    {
        static RunningLoop start(final Supplier<String> health, final CompletableFuture<Throwable> loopFailure)
            throws IOException
        {
            final GatewayConfig config = GatewayConfig.fromEnv(Map.of("PORT", "0", "WORKER_THREADS", "1", "MAX_SESSIONS", "2"));
            final ServerSocketChannel listener = ServerSocketChannel.open();
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            final int port = ((InetSocketAddress)listener.getLocalAddress()).getPort();
            // Nothing listens on port 1: no request is made in these tests anyway.
            final InferenceClient inference = new InferenceClient(URI.create("http://127.0.0.1:1"), 4, 2000);
            final AtomicReference<EventLoop> self = new AtomicReference<>();
            final AudioMemoryBudget audioMemory = new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED);
            final EventLoop loop = new EventLoop(0, config, listener, new SessionLimit(config.maxSessions()), audioMemory,
                inference, () -> MetricsRenderer.render(List.of(self.get().metrics()), 0, audioMemory), health,
                loopFailure::complete);
            self.set(loop);
            new Thread(loop, "event-loop-under-test").start();
            return new RunningLoop(loop, inference, port);
        }

        String get(final String path) throws IOException
        {
            try (Socket socket = new Socket("127.0.0.1", port))
            {
                socket.setSoTimeout(5_000);
                final OutputStream out = socket.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                final InputStream in = socket.getInputStream();
                return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
        }

        public void close() throws InterruptedException
        {
            loop.drain();
            loop.awaitStopped();
            loop.releaseMemory();
            inference.close();
        }
    }
}
