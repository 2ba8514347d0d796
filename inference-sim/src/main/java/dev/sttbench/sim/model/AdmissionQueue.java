package dev.sttbench.sim.model;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the jobs served at once at {@code maxConcurrent}; the rest wait in FIFO order and start as slots free.
 * Shared by every event loop, so it is lock-free: a CAS on the in-flight count plus a concurrent queue.
 */
public final class AdmissionQueue
{
    /** A job that is started once it holds a slot, and returns the slot with {@link #release()} when done. */
    public interface Job
    {
        /** Called once, on any thread, when the job holds a slot. */
        void admitted();
    }

    private final int maxConcurrent;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final ConcurrentLinkedQueue<Job> waiting = new ConcurrentLinkedQueue<>();

    public AdmissionQueue(final int maxConcurrent)
    {
        if (maxConcurrent < 1)
        {
            throw new IllegalArgumentException("maxConcurrent must be >= 1: " + maxConcurrent);
        }
        this.maxConcurrent = maxConcurrent;
    }

    /**
     * Start the job now if a slot is free and nobody is waiting, else queue it.
     *
     * @param job the job.
     */
    public void submit(final Job job)
    {
        if (waiting.isEmpty() && tryAcquire())
        {
            job.admitted();
            return;
        }
        queued.incrementAndGet();
        waiting.offer(job);
        // A slot may have been released between the failed acquire and the offer: drain so it is not lost.
        drain();
    }

    /** Return a slot taken by an admitted job, starting the oldest waiting job if any. */
    public void release()
    {
        inFlight.decrementAndGet();
        drain();
    }

    /** @return jobs holding a slot. */
    public int inFlight()
    {
        return inFlight.get();
    }

    /** @return jobs waiting for a slot. */
    public int queued()
    {
        return queued.get();
    }

    private void drain()
    {
        while (!waiting.isEmpty() && tryAcquire())
        {
            final Job next = waiting.poll();
            if (null == next)
            {
                inFlight.decrementAndGet(); // another thread took it: give the slot back and look again
            }
            else
            {
                queued.decrementAndGet();
                next.admitted();
            }
        }
    }

    private boolean tryAcquire()
    {
        int current;
        do
        {
            current = inFlight.get();
            if (current >= maxConcurrent)
            {
                return false;
            }
        }
        while (!inFlight.compareAndSet(current, current + 1));
        return true;
    }
}
