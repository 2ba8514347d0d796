package dev.sttbench.gateway.session;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One loop's audio memory: fixed 8 KiB chunks of an {@link OffHeapSlab}, lent to session rings as audio
 * arrives and returned when the batch holding them resolves, so memory follows what is buffered rather than
 * what could be. Confined to the loop thread.
 * <pre>
 * chunk (CHUNK_BYTES = 8192, two pages)
 *   [0, 96)          arrival nanos: FRAMES_PER_CHUNK x long, frame i at ARRIVALS_OFFSET + 8 i
 *   [96, 128)        unused
 *   [128, 7808)      audio: FRAMES_PER_CHUNK (12) x 640 B frames from FRAMES_OFFSET, unmasked straight here
 *   [7808, 8192)     unused (5 % in all)
 * </pre>
 * Arrival times come first so that a chunk's first six frames, all a sparse sender (a frame every few seconds)
 * ever stores before its flush, touch one page, not two: the kernel commits the second only when frame 7 comes.
 * 8 KiB measured against 16 KiB (25 frames) at 2000 sessions: 22 against 29 KB of audio chunks per session
 * (a session's last, partly filled chunk is the waste).
 * Free chunks are a LIFO stack, so the most recently used (resident) chunks are lent first. Pages of chunks
 * that stayed free for a whole {@link #trim()} period (a departed session's, or a surge's) go back to the OS;
 * the stack's bottom {@code coldCount} entries are known to hold no pages.
 * <p>
 * Every chunk that holds pages (lent, or free and still warm) is committed to the gateway's
 * {@link AudioMemoryBudget}: lending a cold chunk commits it, and is refused past the budget; giving pages back
 * releases it. While the budget is overdrawn a returned chunk gives its pages back at once.
 */
public final class AudioChunkPool implements AutoCloseable
{
    public static final int CHUNK_BYTES = 8 * 1024;
    public static final int FRAMES_PER_CHUNK = 12;
    static final int ARRIVALS_OFFSET = 0;
    static final int FRAMES_OFFSET = 128;
    public static final int NO_CHUNK = -1;
    /** The most chunks one pool addresses: its slab is one buffer of at most 2 GiB. */
    public static final int MAX_CHUNKS = Integer.MAX_VALUE / CHUNK_BYTES;

    private final OffHeapSlab slab;
    private final AudioMemoryBudget budget;
    private final UnsafeBuffer memory;
    private final int[] free;
    private int freeCount;
    private int coldCount;
    private int minFreeSinceTrim;
    /** Cold chunks the budget refused to commit. */
    private long refusals;

    public AudioChunkPool(final int chunks, final AudioMemoryBudget budget)
    {
        if (chunks > MAX_CHUNKS)
        {
            throw new IllegalArgumentException(chunks + " chunks exceed 2 GiB");
        }
        this.budget = budget;
        slab = OffHeapSlab.reserve(chunks * CHUNK_BYTES);
        memory = new UnsafeBuffer(slab.buffer());
        free = new int[chunks];
        for (int i = 0; i < chunks; i++)
        {
            free[i] = chunks - 1 - i;
        }
        freeCount = chunks;
        coldCount = chunks;
        minFreeSinceTrim = chunks;
    }

    /** Chunks a ring of {@code frames} frames may hold at once: its frames may start mid-chunk. */
    public static int chunksFor(final int frames)
    {
        return (frames + FRAMES_PER_CHUNK - 1) / FRAMES_PER_CHUNK + 1;
    }

    /** All chunks, as one buffer; chunk {@code c} starts at {@link #offset(int)}. */
    public UnsafeBuffer memory()
    {
        return memory;
    }

    public static int offset(final int chunk)
    {
        return chunk * CHUNK_BYTES;
    }

    public int inUse()
    {
        return free.length - freeCount;
    }

    /** Cold chunks the audio memory budget refused so far. */
    public long refusals()
    {
        return refusals;
    }

    /** A chunk, or {@link #NO_CHUNK} when every chunk is lent or the next one would exceed the memory budget. */
    public int acquire()
    {
        if (0 == freeCount)
        {
            return NO_CHUNK;
        }
        if (freeCount <= coldCount)
        {
            // The chunk on top holds no pages: writing to it commits them.
            if (!budget.tryCommit(CHUNK_BYTES))
            {
                refusals++;
                return NO_CHUNK;
            }
            coldCount = freeCount - 1;
        }
        final int chunk = free[--freeCount];
        if (freeCount < minFreeSinceTrim)
        {
            minFreeSinceTrim = freeCount;
        }
        return chunk;
    }

    public void release(final int chunk)
    {
        if (budget.isOverdrawn())
        {
            // A request body was committed past the budget: this chunk's pages pay for it now instead of staying
            // warm. It joins the cold entries at the bottom; the warm one it displaces goes on top.
            slab.release(offset(chunk), CHUNK_BYTES);
            budget.release(CHUNK_BYTES);
            free[freeCount++] = free[coldCount];
            free[coldCount++] = chunk;
        }
        else
        {
            free[freeCount++] = chunk;
        }
    }

    /**
     * Give back the pages of chunks that stayed free since the last trim (those at the bottom of the stack not
     * already cold). Called periodically by the loop; the steady state releases nothing.
     *
     * @return chunks whose pages were released.
     */
    public int trim()
    {
        final int idle = minFreeSinceTrim;
        int released = 0;
        for (int i = coldCount; i < idle; i++)
        {
            slab.release(offset(free[i]), CHUNK_BYTES);
            released++;
        }
        if (idle > coldCount)
        {
            coldCount = idle;
        }
        minFreeSinceTrim = freeCount;
        budget.release((long)released * CHUNK_BYTES);
        return released;
    }

    public void close()
    {
        slab.close();
    }
}
