package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;

/**
 * One loop's session memory. A slot is a session's index into the loop's off-heap slabs; the shared
 * {@link SessionLimit} decides admission (running out means 503), so every loop has a slot for every session
 * the gateway may hold. A session owns nothing else up front: its ring borrows audio chunks from the loop's
 * {@link AudioChunkPool} as audio arrives, its requests borrow bodies from the {@link RequestBodySlab}, and its
 * outbound buffer, a fixed page-aligned slice of a reserved slab, is only viewed (and its pages only committed)
 * once a write falls short; its pages go back to the OS when the session leaves. Chunks and bodies are committed to
 * the {@link AudioMemoryBudget} all loops share.
 */
public final class SessionSlots implements AutoCloseable
{
    private static final int PAGE_BYTES = 4096;

    private final SessionLimit limit;
    private final AudioChunkPool audio;
    private final RequestBodySlab requestBodies;
    private final OffHeapSlab outboundSlab;
    private final int outboundStride;
    private final int outboundBytes;
    private final int[] free;
    private int freeCount;

    public SessionSlots(final GatewayConfig config, final SessionLimit limit, final AudioMemoryBudget audioMemory)
    {
        this.limit = limit;
        final int slots = config.maxSessions();
        audio = new AudioChunkPool(config.audioChunksPerLoop(), audioMemory);
        requestBodies = new RequestBodySlab(config.requestBodiesPerLoop(), config.maxRequestBodyBytes(), audioMemory);
        outboundBytes = config.outboundBufferBytes();
        outboundStride = (outboundBytes + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES;
        outboundSlab = OffHeapSlab.reserve((long)slots * outboundStride);
        free = new int[slots];
        for (int slot = 0; slot < slots; slot++)
        {
            free[slot] = slots - 1 - slot;
        }
        freeCount = slots;
    }

    public int inUse()
    {
        return free.length - freeCount;
    }

    public AudioChunkPool audio()
    {
        return audio;
    }

    public RequestBodySlab requestBodies()
    {
        return requestBodies;
    }

    /** A slot for a new session, or -1 when the gateway already holds MAX_SESSIONS. */
    public int acquire()
    {
        if (!limit.tryAcquire())
        {
            return -1;
        }
        return free[--freeCount];
    }

    /** A session has left: its slot, and its place under MAX_SESSIONS, are free again. */
    public void release(final int slot)
    {
        free[freeCount++] = slot;
        limit.release();
    }

    /** The outbound buffer of {@code slot}, made when the session first needs one. */
    public OutboundBuffer outbound(final int slot)
    {
        return new OutboundBuffer(outboundSlab.slice((long)slot * outboundStride, outboundBytes));
    }

    /** Give a used outbound buffer's pages back to the OS. */
    public void releaseOutbound(final int slot)
    {
        outboundSlab.release((long)slot * outboundStride, outboundStride);
    }

    public void close()
    {
        audio.close();
        requestBodies.close();
        outboundSlab.close();
    }
}
