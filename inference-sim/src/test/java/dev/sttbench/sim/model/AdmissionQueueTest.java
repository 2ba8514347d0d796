package dev.sttbench.sim.model;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdmissionQueueTest
{
    @Test
    void admitsUpToTheCapAndStartsQueuedJobsInArrivalOrder()
    {
        final AdmissionQueue queue = new AdmissionQueue(2);
        final List<Integer> started = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            final int id = i;
            queue.submit(() -> started.add(id));
        }
        assertEquals(List.of(0, 1), started);
        assertEquals(2, queue.inFlight());
        assertEquals(3, queue.queued());

        queue.release();
        assertEquals(List.of(0, 1, 2), started);
        queue.release();
        queue.release();
        assertEquals(List.of(0, 1, 2, 3, 4), started);
        assertEquals(2, queue.inFlight());
        assertEquals(0, queue.queued());

        queue.release();
        queue.release();
        assertEquals(0, queue.inFlight());
    }

    @Test
    void neverExceedsTheCapAndLosesNoJobUnderContention() throws Exception
    {
        final int cap = 3;
        final int submitters = 4;
        final int jobsPerSubmitter = 20_000;
        final AdmissionQueue queue = new AdmissionQueue(cap);
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        final CountDownLatch completed = new CountDownLatch(submitters * jobsPerSubmitter);
        // Jobs finish on other threads, as model delays finish on event loops.
        final ExecutorService finishers = Executors.newFixedThreadPool(3);
        try
        {
            final Runnable submitter = () ->
            {
                for (int i = 0; i < jobsPerSubmitter; i++)
                {
                    queue.submit(() ->
                    {
                        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                        finishers.execute(() ->
                        {
                            running.decrementAndGet();
                            completed.countDown();
                            queue.release();
                        });
                    });
                }
            };
            for (int t = 0; t < submitters; t++)
            {
                new Thread(submitter).start();
            }
            assertTrue(completed.await(120, TimeUnit.SECONDS), "jobs left: " + completed.getCount());
        }
        finally
        {
            finishers.shutdown();
            assertTrue(finishers.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertTrue(maxRunning.get() <= cap, "max running " + maxRunning.get());
        assertEquals(cap, maxRunning.get(), "the cap is reached under contention");
        assertEquals(0, queue.inFlight());
        assertEquals(0, queue.queued());
    }

    @Test
    void rejectsANonPositiveCap()
    {
        assertThrows(IllegalArgumentException.class, () -> new AdmissionQueue(0));
    }
}
