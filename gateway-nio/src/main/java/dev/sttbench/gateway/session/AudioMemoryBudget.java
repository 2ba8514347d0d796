package dev.sttbench.gateway.session;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The off-heap memory all loops together may commit to audio: pages of ring chunks ({@link AudioChunkPool}) and of
 * request bodies ({@link RequestBodySlab}). One counter shared by the loops, since any loop may hold every session.
 * It counts pages committed, not frames: it changes only when a chunk or body page is first touched or given back
 * to the OS, each of which costs a page fault or an {@code madvise} that dwarfs the atomic add; lending a warm chunk
 * again costs nothing.
 * <p>
 * A chunk is committed only within the budget (past it the ring's frame is shed). A request body is committed
 * whatever the budget: its flush moves audio out of chunks, so refusing it would hold the very chunks that pay for
 * it. While the budget is overdrawn, a chunk given back to its pool returns its pages to the OS at once rather than
 * staying warm, so a flush pays for its body with the chunks it empties and the committed total stays within one
 * batch per loop of the budget.
 */
public final class AudioMemoryBudget
{
    /** No budget: only the per-session ring bounds audio. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private final long limitBytes;
    private final AtomicLong committed = new AtomicLong();

    public AudioMemoryBudget(final long limitBytes)
    {
        this.limitBytes = limitBytes;
    }

    public long limitBytes()
    {
        return limitBytes;
    }

    public long committedBytes()
    {
        return committed.get();
    }

    /** Commit {@code bytes} if the budget allows them. */
    boolean tryCommit(final long bytes)
    {
        long current;
        do
        {
            current = committed.get();
            if (bytes > limitBytes - current)
            {
                return false;
            }
        }
        while (!committed.compareAndSet(current, current + bytes));
        return true;
    }

    /** Commit {@code bytes} whatever the budget (a request body; see the class comment). */
    void commit(final long bytes)
    {
        committed.getAndAdd(bytes);
    }

    void release(final long bytes)
    {
        committed.getAndAdd(-bytes);
    }

    /** More is committed than the budget allows: chunks given back now return their pages. */
    boolean isOverdrawn()
    {
        return committed.get() > limitBytes;
    }
}
