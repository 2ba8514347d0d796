package dev.sttbench.gateway.session;

import java.nio.ByteBuffer;

/**
 * One loop's request bodies: a slot per possible request (a session has at most one outstanding; see
 * {@code GatewayConfig.requestBodiesPerLoop()}), each big enough for the largest batch (SESSION_BUFFER_FRAMES
 * frames), in one {@link OffHeapSlab} reserved at startup.
 * An exchange keeps its slot while it is pooled; a slot given back has its pages returned to the OS. The pages a
 * slot's bodies touched are committed to the {@link AudioMemoryBudget} (a slot's largest body so far, in whole
 * pages), not against the heap, nor against the JVM's direct-memory limit, which {@code ByteBuffer.allocateDirect}
 * bodies hit at 2250 throttled sessions (about 750 requests in flight).
 * Confined to the loop thread.
 */
public final class RequestBodySlab implements AutoCloseable
{
    private static final int PAGE_BYTES = 4096;

    private final OffHeapSlab slab;
    private final AudioMemoryBudget budget;
    private final int slotBytes;
    private final int[] free;
    /** Per slot: bytes of its pages committed, i.e. touched since it was last given back. */
    private final int[] committedBytes;
    private int freeCount;

    public RequestBodySlab(final int slots, final int maxBodyBytes, final AudioMemoryBudget budget)
    {
        this.budget = budget;
        slotBytes = bytesPerSlot(maxBodyBytes);
        slab = OffHeapSlab.reserve(Math.multiplyExact(slots, slotBytes));
        committedBytes = new int[slots];
        free = new int[slots];
        for (int i = 0; i < slots; i++)
        {
            free[i] = slots - 1 - i;
        }
        freeCount = slots;
    }

    /** Bytes a slot for bodies of up to {@code maxBodyBytes} takes: whole pages. */
    public static int bytesPerSlot(final int maxBodyBytes)
    {
        return (maxBodyBytes + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES;
    }

    /** A free slot, or -1 when every slot is taken. */
    public int acquire()
    {
        return 0 == freeCount ? -1 : free[--freeCount];
    }

    /**
     * A body of {@code bodyBytes} is about to be written into {@code slot}: commit the pages it touches beyond those
     * already committed. Never refused: see {@link AudioMemoryBudget}.
     */
    public void commit(final int slot, final int bodyBytes)
    {
        final int bytes = bytesPerSlot(bodyBytes); // the body's whole pages
        if (bytes > committedBytes[slot])
        {
            budget.commit(bytes - committedBytes[slot]);
            committedBytes[slot] = bytes;
        }
    }

    /** A view of slot {@code slot}, made once per exchange. */
    public ByteBuffer view(final int slot)
    {
        return slab.buffer().slice(slot * slotBytes, slotBytes);
    }

    /** Give a slot back, and its pages to the OS. */
    public void release(final int slot)
    {
        slab.release(slot * slotBytes, slotBytes);
        budget.release(committedBytes[slot]);
        committedBytes[slot] = 0;
        free[freeCount++] = slot;
    }

    public int inUse()
    {
        return free.length - freeCount;
    }

    public void close()
    {
        slab.close();
    }
}
