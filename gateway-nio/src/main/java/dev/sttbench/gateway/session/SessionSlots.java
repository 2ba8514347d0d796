package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;

/**
 * One loop's session memory, carved from its slab at startup into fixed slots: slot i holds ring i (audio then
 * arrival times) followed by outbound buffer i. A free stack hands slots to upgrades; running out means 503.
 */
public final class SessionSlots implements AutoCloseable
{
    private final OffHeapSlab slab;
    private final AudioRing[] rings;
    private final OutboundBuffer[] outbounds;
    private final int[] free;
    private int freeCount;

    public SessionSlots(final GatewayConfig config)
    {
        final int slots = config.sessionsPerLoop();
        final int ringBytes = AudioRing.bytesFor(config.sessionBufferFrames());
        final int slotBytes = ringBytes + config.outboundBufferBytes();
        slab = OffHeapSlab.reserve((int)config.slabBytesPerLoop());
        rings = new AudioRing[slots];
        outbounds = new OutboundBuffer[slots];
        free = new int[slots];
        for (int slot = 0; slot < slots; slot++)
        {
            final int offset = slot * slotBytes;
            rings[slot] = new AudioRing(slab.buffer(), offset, config.sessionBufferFrames());
            outbounds[slot] = new OutboundBuffer(slab.buffer(), offset + ringBytes, config.outboundBufferBytes());
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

    /** A free slot, or -1 when every slot is taken. */
    public int acquire()
    {
        return 0 == freeCount ? -1 : free[--freeCount];
    }

    public void release(final int slot)
    {
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
        slab.close();
    }
}
