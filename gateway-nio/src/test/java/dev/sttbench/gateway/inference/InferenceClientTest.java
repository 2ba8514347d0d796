package dev.sttbench.gateway.inference;

import dev.sttbench.gateway.protocol.ErrorKind;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.SimConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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

    /**
     * Issue 11 #10: the peer allows 10 streams, the client is configured for 100 on one connection. java.net.http
     * fails the 11th request at once ("too many concurrent streams"); the client takes that as the peer's limit,
     * queues the rest and sends each as a stream frees up: all 30 answered, none failed.
     */
    @Test
    void aPeerLimitBelowTheConfiguredOneIsLearnedAndTheRestQueued() throws Exception
    {
        final BlockingQueue<InferenceExchange> completions = new LinkedBlockingQueue<>();
        try (InferenceSimulator simulator = simulator(200, "MAX_CONCURRENT_STREAMS", "10");
            InferenceClient client = new InferenceClient(URI.create("http://127.0.0.1:" + simulator.port()), 4, 5_000,
                100, 1, 100))
        {
            assertEquals(HttpClient.Version.HTTP_2, client.warmUp());
            final List<InferenceExchange> sent = sendAll(client, completions, 30);
            int maxQueued = client.queued();
            for (int i = 0; i < sent.size(); i++)
            {
                final InferenceExchange done = completions.poll(10, TimeUnit.SECONDS);
                assertNotNull(done, "answer " + i);
                assertNull(done.failure(), "status " + done.status());
                assertEquals(200, done.status());
                maxQueued = Math.max(maxQueued, client.queued());
                client.onCompletionHandled();
            }
            assertTrue(maxQueued >= 10, "batches waited for a stream: " + maxQueued);
            assertEquals(0, client.queued());
            assertEquals(0, client.inFlight());
            final String metrics = client.metricsText();
            assertTrue(metrics.contains("gateway_inference_requests_requeued_total "), metrics);
            assertTrue(metrics.contains("gateway_inference_stream_limit 1") && !metrics.contains("limit 100\n"),
                "learned about 10: " + metrics);
        }
    }

    /**
     * Two streams per connection, at most two connections, three batches may wait: the first connection takes two;
     * the third batch opens a second connection and waits, with the next two, until its GET /health is answered
     * (java.net.http would upgrade each request to h2c on a TCP connection of its own until then); the other five
     * fail at once as timeouts, never sent, their exchanges reusable. Then the waiting three go out.
     */
    @Test
    void connectionsGrowToTheirMaximumThenTheQueueThenBatchesAreRejected() throws Exception
    {
        final BlockingQueue<InferenceExchange> completions = new LinkedBlockingQueue<>();
        try (InferenceSimulator simulator = simulator(500);
            InferenceClient client = new InferenceClient(URI.create("http://127.0.0.1:" + simulator.port()), 4, 5_000,
                2, 2, 3))
        {
            assertEquals(HttpClient.Version.HTTP_2, client.warmUp());
            final long start = System.nanoTime();
            sendAll(client, completions, 10);
            assertEquals(2, client.connections());
            for (int i = 0; i < 5; i++)
            {
                final InferenceExchange rejected = completions.poll(1, TimeUnit.SECONDS);
                assertNotNull(rejected, "a rejection is posted at once");
                assertEquals(ErrorKind.TIMEOUT, rejected.failure());
                assertEquals(InferenceExchange.NO_STATUS, rejected.status());
                assertTrue(rejected.isReusable(), "never sent: nothing of the JDK's holds it");
                client.onCompletionHandled();
            }
            assertTrue(client.metricsText().contains("gateway_inference_requests_rejected_total 5\n"), client.metricsText());
            for (int i = 0; i < 5; i++)
            {
                final InferenceExchange done = completions.poll(10, TimeUnit.SECONDS);
                assertNotNull(done, "answer " + i);
                assertNull(done.failure());
                client.onCompletionHandled();
                if (3 == i)
                {
                    assertTrue(System.nanoTime() - start < 850_000_000L, "four answers within one model delay: both connections served");
                }
            }
            assertEquals(0, client.queued());
            assertEquals(2, simulator.connections());
        }
    }

    /** The loop's deadline cancels a batch still waiting for a stream: it leaves the queue, one timeout outcome. */
    @Test
    void aQueuedBatchCancelledAtItsDeadlineLeavesTheQueue() throws Exception
    {
        final BlockingQueue<InferenceExchange> completions = new LinkedBlockingQueue<>();
        try (InferenceSimulator simulator = simulator(300);
            InferenceClient client = new InferenceClient(URI.create("http://127.0.0.1:" + simulator.port()), 4, 5_000,
                1, 1, 10))
        {
            assertEquals(HttpClient.Version.HTTP_2, client.warmUp());
            final InferenceExchange first = client.newExchange(completions::add, 0, ByteBuffer.allocateDirect(FRAME_BYTES));
            first.requestBody(FRAME_BYTES);
            client.send(first, completion -> {});
            final InferenceExchange second = client.newExchange(completions::add, 1, ByteBuffer.allocateDirect(FRAME_BYTES));
            second.requestBody(FRAME_BYTES);
            final Future<?> waiting = client.send(second, completion -> {});
            assertEquals(1, client.queued());
            waiting.cancel(true);
            assertEquals(0, client.queued());
            final InferenceExchange cancelled = completions.poll(1, TimeUnit.SECONDS);
            assertEquals(second, cancelled);
            assertEquals(ErrorKind.TIMEOUT, cancelled.failure());
            client.onCompletionHandled();
            final InferenceExchange answered = completions.poll(10, TimeUnit.SECONDS);
            assertEquals(first, answered);
            assertNull(answered.failure());
            client.onCompletionHandled();
            assertNull(completions.poll(500, TimeUnit.MILLISECONDS), "exactly one outcome per batch");
            assertEquals(1, simulator.metrics().responses(200) - 1, "the cancelled batch was never sent");
        }
    }

    @Test
    void theJdksRefusalsAreRecognisedByTheirMessages()
    {
        assertTrue(InferenceClient.isRefusal(new java.util.concurrent.CompletionException(
            new java.io.IOException("too many concurrent streams"))));
        assertTrue(InferenceClient.isRefusal(new java.io.IOException("request not processed by peer")));
        assertFalse(InferenceClient.isRefusal(new java.io.IOException("EOF reached while reading")));
        assertFalse(InferenceClient.isRefusal(new java.util.concurrent.CancellationException()));
        assertTrue(InferenceClient.isStreamLimit(new java.io.IOException("too many concurrent streams")));
        assertFalse(InferenceClient.isStreamLimit(new java.io.IOException("request not processed by peer")),
            "a peer's refusal teaches nothing about the stream limit");
    }

    private static List<InferenceExchange> sendAll(
        final InferenceClient client, final BlockingQueue<InferenceExchange> completions, final int count)
    {
        final List<InferenceExchange> sent = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final InferenceExchange exchange = client.newExchange(completions::add, i, ByteBuffer.allocateDirect(FRAME_BYTES));
            exchange.requestBody(FRAME_BYTES);
            client.send(exchange, completion -> {});
            sent.add(exchange);
        }
        return sent;
    }

    /** A simulator on an ephemeral port answering after exactly {@code modelDelayMs}, plus {@code more} settings. */
    private static InferenceSimulator simulator(final int modelDelayMs, final String... more) throws Exception
    {
        final Map<String, String> env = new HashMap<>(Map.of("PORT", "0", "WORKER_THREADS", "1",
            "MODEL_DELAY_MS", Integer.toString(modelDelayMs), "MODEL_JITTER_SIGMA", "0", "MODEL_LONGTAIL_PROB", "0",
            "MODEL_BATCH_WAIT_MAX_MS", "0"));
        for (int i = 0; i < more.length; i += 2)
        {
            env.put(more[i], more[i + 1]);
        }
        return InferenceSimulator.start(SimConfig.fromEnv(env));
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
