package dev.sttbench.gateway.session;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * MAX_SESSIONS across every loop. The kernel spreads connections over the loops' {@code SO_REUSEPORT} listeners
 * unevenly, so a per-loop share would admit more than the cap on one loop while refusing on another; one
 * counter shared by the loops admits exactly the cap. Touched once per upgrade and once per departure.
 */
public final class SessionLimit
{
    private final int max;
    private final AtomicInteger admitted = new AtomicInteger();

    public SessionLimit(final int max)
    {
        this.max = max;
    }

    /** Admit one more session unless the cap is reached. */
    public boolean tryAcquire()
    {
        int current;
        do
        {
            current = admitted.get();
            if (current >= max)
            {
                return false;
            }
        }
        while (!admitted.compareAndSet(current, current + 1));
        return true;
    }

    public void release()
    {
        admitted.decrementAndGet();
    }

    public int admitted()
    {
        return admitted.get();
    }

    public int max()
    {
        return max;
    }
}
