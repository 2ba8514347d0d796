package dev.sttbench.gateway.session;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AudioRingTest
{
    private static void store(final AudioRing ring, final int marker, final long arrival)
    {
        for (int i = 0; i < 640; i++)
        {
            ring.audio().putByte(ring.writeIndex() + i, (byte)marker);
        }
        ring.commit(arrival);
    }

    @Test
    void batchesKeepSeqOrderAcrossTheWrap()
    {
        final ByteBuffer slab = ByteBuffer.allocateDirect(100 + AudioRing.bytesFor(4));
        final AudioRing ring = new AudioRing(slab, 100, 4);
        ring.reset(1);
        store(ring, 1, 10);
        store(ring, 2, 20);
        store(ring, 3, 30);
        assertEquals(3, ring.freezeBatch());
        assertEquals(1, ring.batchOldestSeq());
        assertEquals(10, ring.batchOldestArrivalNanos());
        assertEquals(30, ring.batchNewestArrivalNanos());
        store(ring, 4, 40);
        assertTrue(ring.isFull());
        assertEquals(1, ring.pending());
        ring.releaseBatch();
        store(ring, 5, 50);
        store(ring, 6, 60);
        assertEquals(3, ring.freezeBatch());
        assertEquals(4, ring.batchOldestSeq());

        final ByteBuffer[] views = new ByteBuffer[2];
        assertEquals(2, ring.batchViews(views));
        assertEquals(640, views[0].remaining());
        assertEquals(1280, views[1].remaining());
        assertEquals(4, views[0].get(0));
        assertEquals(5, views[1].get(0));
        assertEquals(6, views[1].get(640));
        ring.releaseBatch();
        assertTrue(ring.isEmpty());
    }

    @Test
    void numberingResumesAfterShedFrames()
    {
        final AudioRing ring = new AudioRing(ByteBuffer.allocateDirect(AudioRing.bytesFor(2)), 0, 2);
        ring.reset(1);
        store(ring, 1, 1);
        store(ring, 2, 2);
        ring.freezeBatch();
        ring.releaseBatch();
        ring.resumeAt(9);
        store(ring, 9, 3);
        assertEquals(1, ring.freezeBatch());
        assertEquals(9, ring.batchOldestSeq());
        assertFalse(ring.isFull());
    }
}
