package dev.sttbench.gateway.inference;

import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.SimConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        final BlockingQueue<InferenceCompletion> completions = new LinkedBlockingQueue<>();
        final InferenceCaller caller = completion -> {};
        try (InferenceSimulator simulator = InferenceSimulator.start(SimConfig.fromEnv(Map.of("PORT", "0",
            "WORKER_THREADS", "1", "MODEL_DELAY_MS", "100", "MODEL_JITTER_SIGMA", "0", "MODEL_LONGTAIL_PROB", "0",
            "MODEL_BATCH_WAIT_MAX_MS", "0")));
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

            client.send(new ByteBuffer[]{ ByteBuffer.allocateDirect(FRAME_BYTES) }, 1, FRAME_BYTES, caller, completions::add);

            final InferenceCompletion completion = completions.poll(10, TimeUnit.SECONDS);
            assertNotNull(completion, "no completion while the common pool is busy");
            assertNull(completion.failure());
            assertEquals(200, completion.status());
            assertEquals(caller, completion.caller());
            assertTrue(completion.body().length > 0);
            client.onCompletionHandled();
            assertEquals(0, client.inFlight());
        }
        finally
        {
            release.countDown();
        }
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
