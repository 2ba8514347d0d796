package dev.sttbench.gateway.inference;

import dev.sttbench.gateway.protocol.ErrorKind;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.SimConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferenceClientTest
{
    private static final int FRAME_BYTES = 640;

    /**
     * {@code sendAsync}'s future completes on the common pool; a response must reach its loop without it, or any
     * task occupying the pool's workers (a single one on a 2-core host) delays every answer past its deadline.
     */
    @Test
    void aResponseIsPostedWhileEveryCommonPoolWorkerIsBusy() throws Exception
    {
        final int workers = ForkJoinPool.getCommonPoolParallelism();
        final CountDownLatch occupied = new CountDownLatch(workers);
        final CountDownLatch release = new CountDownLatch(1);
        final BlockingQueue<InferenceExchange> completions = new LinkedBlockingQueue<>();
        final InferenceCaller caller = completion -> {};
        try (InferenceSimulator simulator = simulator(100);
            InferenceClient client = new InferenceClient(URI.create("http://127.0.0.1:" + simulator.port()), 4, 5_000))
        {
            assertEquals(HttpClient.Version.HTTP_2, client.warmUp());
            for (int i = 0; i < workers; i++)
            {
                ForkJoinPool.commonPool().execute(() ->
                {
                    occupied.countDown();
                    awaitQuietly(release);
                });
            }
            assertTrue(occupied.await(10, TimeUnit.SECONDS), "every common pool worker occupied");

            final InferenceExchange exchange = client.newExchange(completions::add, 0, ByteBuffer.allocateDirect(60 * FRAME_BYTES));
            exchange.requestBody(FRAME_BYTES);
            client.send(exchange, caller);

            final InferenceExchange completion = completions.poll(10, TimeUnit.SECONDS);
            assertNotNull(completion, "no completion while the common pool is busy");
            assertNull(completion.failure());
            assertEquals(200, completion.status());
            assertEquals(caller, completion.caller());
            assertTrue(completion.responseLength() > 0);
            assertTrue(completion.isReusable());
            client.onCompletionHandled();
            assertEquals(0, client.inFlight());
        }
        finally
        {
            release.countDown();
        }
    }

    /**
     * One exchange carries batch after batch of different lengths (its request and body publisher are built once,
     * its body buffer grows): the simulator must see each body whole, as its audio_bytes says; a cancelled
     * exchange is not lent again.
     */
    @Test
    void anExchangeIsReusedForBatchesOfEveryLengthAndDroppedOnceCancelled() throws Exception
    {
        final BlockingQueue<InferenceExchange> completions = new LinkedBlockingQueue<>();
        final InferenceCaller caller = completion -> {};
        try (InferenceSimulator simulator = simulator(1);
            InferenceClient client = new InferenceClient(URI.create("http://127.0.0.1:" + simulator.port()), 4, 5_000))
        {
            assertEquals(HttpClient.Version.HTTP_2, client.warmUp());
            final InferenceExchange exchange = client.newExchange(completions::add, 0, ByteBuffer.allocateDirect(60 * FRAME_BYTES));
            for (final int frames : new int[]{ 50, 1, 27, 60 })
            {
                exchange.requestBody(frames * FRAME_BYTES);
                client.send(exchange, caller);
                final InferenceExchange done = completions.poll(10, TimeUnit.SECONDS);
                assertNotNull(done);
                client.onCompletionHandled();
                assertEquals(exchange, done);
                assertNull(done.failure(), "status " + done.status());
                final String body = new String(done.responseBody(), 0, done.responseLength(), StandardCharsets.US_ASCII);
                assertTrue(body.contains("\"audio_bytes\":" + frames * FRAME_BYTES), body);
                assertTrue(done.isReusable());
            }

            exchange.requestBody(FRAME_BYTES);
            final Future<?> request = client.send(exchange, caller);
            request.cancel(true);
            final InferenceExchange cancelled = completions.poll(10, TimeUnit.SECONDS);
            assertNotNull(cancelled);
            client.onCompletionHandled();
            assertEquals(ErrorKind.CONNECTION_RESET, cancelled.failure());
            assertFalse(cancelled.isReusable(), "the JDK may still write the cancelled response into it");
            assertNull(completions.poll(500, TimeUnit.MILLISECONDS), "exactly one outcome per request");
            assertEquals(0, client.inFlight());
        }
    }

    /** A simulator on an ephemeral port answering after exactly {@code modelDelayMs}. */
    private static InferenceSimulator simulator(final int modelDelayMs) throws Exception
    {
        return InferenceSimulator.start(SimConfig.fromEnv(Map.of("PORT", "0", "WORKER_THREADS", "1",
            "MODEL_DELAY_MS", Integer.toString(modelDelayMs), "MODEL_JITTER_SIGMA", "0", "MODEL_LONGTAIL_PROB", "0",
            "MODEL_BATCH_WAIT_MAX_MS", "0")));
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await(30, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
