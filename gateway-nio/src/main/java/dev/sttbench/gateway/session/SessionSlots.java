package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;

/**
 * One loop's session memory. Slots (a free stack; running out means 503) each own a ring and an outbound
 * buffer. Rings borrow their audio chunks from the loop's {@link AudioChunkPool} as audio arrives, requests their
 * bodies from its {@link RequestBodySlab}; outbound
 * buffers are fixed page-aligned slices of a second slab, whose pages the kernel commits only when a write falls
 * short, and which go back to the OS when a session that used its buffer leaves.
 */
public final class SessionSlots implements AutoCloseable
{
    private final AudioChunkPool audio;
    private final RequestBodySlab requestBodies;
    private static final int PAGE_BYTES = 4096;

    private final OffHeapSlab outboundSlab;
    private final int outboundStride;
    private final AudioRing[] rings;
    private final OutboundBuffer[] outbounds;
    private final int[] free;
    private int freeCount;

    public SessionSlots(final GatewayConfig config)
    {
        final int slots = config.sessionsPerLoop();
        audio = new AudioChunkPool(config.audioChunksPerLoop());
        requestBodies = new RequestBodySlab(slots, config.sessionBufferFrames() * GatewayConfig.FRAME_BYTES);
        outboundStride = (config.outboundBufferBytes() + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES;
        outboundSlab = OffHeapSlab.reserve(Math.multiplyExact(slots, outboundStride));
        rings = new AudioRing[slots];
        outbounds = new OutboundBuffer[slots];
        free = new int[slots];
        for (int slot = 0; slot < slots; slot++)
        {
            rings[slot] = new AudioRing(audio, config.sessionBufferFrames());
            outbounds[slot] = new OutboundBuffer(
                outboundSlab.buffer(), slot * outboundStride, config.outboundBufferBytes());
            free[slot] = slots - 1 - slot;
        }
        freeCount = slots;
    }

    public int capacity()
    {
        return rings.length;
    }

    public int inUse()
    {
        return rings.length - freeCount;
    }

    public AudioChunkPool audio()
    {
        return audio;
    }

    public RequestBodySlab requestBodies()
    {
        return requestBodies;
    }

    /** A free slot, or -1 when every slot is taken. */
    public int acquire()
    {
        return 0 == freeCount ? -1 : free[--freeCount];
    }

    /** Return a slot; its ring gives back its audio chunks, a used outbound buffer its pages. */
    public void release(final int slot)
    {
        rings[slot].releaseAll();
        if (outbounds[slot].clearUsed())
        {
            outboundSlab.release(slot * outboundStride, outboundStride);
        }
        free[freeCount++] = slot;
    }

    public AudioRing ring(final int slot)
    {
        return rings[slot];
    }

    public OutboundBuffer outbound(final int slot)
    {
        return outbounds[slot];
    }

    public void close()
    {
        audio.close();
        requestBodies.close();
        outboundSlab.close();
    }
}
