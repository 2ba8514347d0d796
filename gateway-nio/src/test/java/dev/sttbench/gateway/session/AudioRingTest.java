package dev.sttbench.gateway.session;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static dev.sttbench.gateway.session.AudioChunkPool.FRAMES_PER_CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AudioRingTest
{
    private AudioChunkPool pool;

    @AfterEach
    void closePool()
    {
        pool.close();
    }

    private static void store(final AudioRing ring, final int marker, final long arrival)
    {
        assertTrue(ring.reserveNext());
        for (int i = 0; i < 640; i++)
        {
            ring.audio().putByte(ring.writeIndex() + i, (byte)marker);
        }
        ring.commit(arrival);
    }

    @Test
    void batchesKeepSeqOrderAcrossChunksAndReturnThemWhenResolved()
    {
        final int f = FRAMES_PER_CHUNK;
        pool = new AudioChunkPool(AudioChunkPool.chunksFor(60));
        final AudioRing ring = new AudioRing(pool, 60);
        ring.reset(1);
        for (int frame = 1; frame <= f + 5; frame++)
        {
            store(ring, frame, frame * 10L);
        }
        assertEquals(2, pool.inUse());
        assertEquals(f + 5, ring.freezeBatch());
        assertEquals(1, ring.batchOldestSeq());
        assertEquals(10, ring.batchOldestArrivalNanos());
        assertEquals((f + 5) * 10L, ring.batchNewestArrivalNanos());

        final ByteBuffer[] views = new ByteBuffer[AudioChunkPool.chunksFor(60)];
        assertEquals(2, ring.batchViews(views));
        assertEquals(f * 640, views[0].remaining());
        assertEquals(5 * 640, views[1].remaining());
        assertEquals(1, views[0].get(views[0].position()));
        assertEquals(f, views[0].get(views[0].limit() - 1));
        assertEquals(f + 1, views[1].get(views[1].position()));

        store(ring, f + 6, (f + 6) * 10L);
        assertEquals(1, ring.pending());
        ring.releaseBatch();
        // The first chunk is free; the second still holds frame f + 6.
        assertEquals(1, pool.inUse());
        assertEquals(1, ring.chunksHeld());

        for (int frame = f + 7; frame <= 2 * f + 5; frame++)
        {
            store(ring, frame, frame * 10L);
        }
        assertEquals(f, ring.freezeBatch());
        assertEquals(f + 6, ring.batchOldestSeq());
        assertEquals(2, ring.batchViews(views));
        assertEquals((f - 5) * 640, views[0].remaining());
        assertEquals(f + 6, views[0].get(views[0].position()));
        assertEquals(2 * f + 1, views[1].get(views[1].position()));
        ring.releaseBatch();
        assertTrue(ring.isEmpty());
        assertEquals(0, ring.chunksHeld(), "an empty ring holds no chunk");
        assertEquals(0, pool.inUse());
    }

    @Test
    void aFrameBeingUnmaskedKeepsItsChunkWhenTheBatchBeforeItResolves()
    {
        pool = new AudioChunkPool(AudioChunkPool.chunksFor(40));
        final AudioRing ring = new AudioRing(pool, 40);
        ring.reset(1);
        // Fewer frames than a chunk holds, so the next frame goes into the same chunk.
        for (int frame = 1; frame <= FRAMES_PER_CHUNK - 2; frame++)
        {
            store(ring, frame, frame);
        }
        ring.freezeBatch();
        assertTrue(ring.reserveNext());
        final int writeIndex = ring.writeIndex();
        ring.releaseBatch();
        assertEquals(1, ring.chunksHeld());
        assertEquals(writeIndex, ring.writeIndex());
        ring.commit(99);
        assertEquals(1, ring.freezeBatch());
        assertEquals(FRAMES_PER_CHUNK - 1, ring.batchOldestSeq());
        assertEquals(99, ring.batchOldestArrivalNanos());
    }

    @Test
    void aFullRingOrAnEmptyPoolRefusesTheNextFrame()
    {
        pool = new AudioChunkPool(1);
        final AudioRing first = new AudioRing(pool, 4);
        final AudioRing second = new AudioRing(pool, 4);
        first.reset(1);
        second.reset(1);
        for (int frame = 1; frame <= 4; frame++)
        {
            store(first, frame, frame);
        }
        assertTrue(first.isFull());
        assertFalse(first.reserveNext());
        assertFalse(second.reserveNext(), "no chunk left to lend");
        first.releaseAll();
        assertTrue(second.reserveNext());
    }

    @Test
    void numberingResumesAfterShedFrames()
    {
        pool = new AudioChunkPool(AudioChunkPool.chunksFor(2));
        final AudioRing ring = new AudioRing(pool, 2);
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

    @Test
    void chunksFreeForAWholeTrimPeriodGiveTheirPagesBack()
    {
        pool = new AudioChunkPool(4);
        final int a = pool.acquire();
        final int b = pool.acquire();
        pool.memory().putByte(AudioChunkPool.offset(a), (byte)7);
        pool.release(a);
        pool.release(b);
        assertEquals(0, pool.trim(), "still in use during this period");
        assertEquals(7, pool.memory().getByte(AudioChunkPool.offset(a)));
        assertEquals(2, pool.trim(), "free for a whole period");
        assertEquals(0, pool.trim(), "already given back");
        if (System.getProperty("os.name", "").startsWith("Linux"))
        {
            assertEquals(0, pool.memory().getByte(AudioChunkPool.offset(a)), "a released page reads as zero");
        }
        assertEquals(b, pool.acquire(), "the chunk released last is lent first");
    }
}
