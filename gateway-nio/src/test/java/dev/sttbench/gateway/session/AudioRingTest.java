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

    /** A ring of {@code capacity} frames over a pool that can fill it, numbering from seq 1. */
    private AudioRing ring(final int capacity)
    {
        pool = new AudioChunkPool(AudioChunkPool.chunksFor(capacity), new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED));
        final AudioRing ring = new AudioRing(pool, capacity);
        ring.reset(1);
        return ring;
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

    private static ByteBuffer body(final int frames)
    {
        return ByteBuffer.allocateDirect(frames * 640);
    }

    @Test
    void aFrozenBatchIsCopiedInSeqOrderAndItsChunksGoBackAtOnce()
    {
        final int f = FRAMES_PER_CHUNK;
        final AudioRing ring = ring(60);
        for (int frame = 1; frame <= f + 5; frame++)
        {
            store(ring, frame, frame * 10L);
        }
        assertEquals(2, pool.inUse());
        final ByteBuffer first = body(f + 5);
        assertEquals(f + 5, ring.freezeBatch(first));
        for (int frame = 1; frame <= f + 5; frame++)
        {
            assertEquals(frame, first.get((frame - 1) * 640), "frame " + frame);
            assertEquals(frame, first.get(frame * 640 - 1), "frame " + frame);
        }
        assertEquals(1, ring.batchOldestSeq());
        assertEquals(10, ring.batchOldestArrivalNanos());
        assertEquals((f + 5) * 10L, ring.batchNewestArrivalNanos());
        assertEquals(0, pool.inUse(), "the batch lives in the request body now");
        assertEquals(f + 5, ring.size(), "but it still counts against the ring's bound");
        assertEquals(0, ring.pending());

        // Behind the batch, the next frames start mid-chunk, in a chunk of their own.
        for (int frame = f + 6; frame <= 2 * f + 8; frame++)
        {
            store(ring, frame, frame * 10L);
        }
        assertEquals(2 * f + 8, ring.size());
        ring.releaseBatch();
        assertEquals(f + 3, ring.size());
        final ByteBuffer second = body(f + 3);
        assertEquals(f + 3, ring.freezeBatch(second));
        assertEquals(f + 6, ring.batchOldestSeq());
        assertEquals(f + 6, second.get(0));
        assertEquals(2 * f + 8, second.get((f + 2) * 640));
        ring.releaseBatch();
        assertTrue(ring.isEmpty());
        assertEquals(0, ring.chunksHeld(), "an empty ring holds no chunk");
        assertEquals(0, pool.inUse());
    }

    @Test
    void theBatchInFlightCountsAgainstTheBound()
    {
        final AudioRing ring = ring(4);
        store(ring, 1, 1);
        store(ring, 2, 2);
        store(ring, 3, 3);
        ring.freezeBatch(body(3));
        store(ring, 4, 4);
        assertTrue(ring.isFull());
        assertFalse(ring.reserveNext());
        ring.releaseBatch();
        assertTrue(ring.reserveNext());
    }

    @Test
    void aFrameBeingUnmaskedKeepsItsChunkWhenTheBatchBeforeItIsFrozen()
    {
        final AudioRing ring = ring(40);
        // Fewer frames than a chunk holds, so the next frame goes into the same chunk.
        for (int frame = 1; frame <= FRAMES_PER_CHUNK - 2; frame++)
        {
            store(ring, frame, frame);
        }
        assertTrue(ring.reserveNext());
        final int writeIndex = ring.writeIndex();
        ring.freezeBatch(body(FRAMES_PER_CHUNK - 2));
        ring.releaseBatch();
        assertEquals(1, ring.chunksHeld());
        assertEquals(writeIndex, ring.writeIndex());
        ring.commit(99);
        assertEquals(1, ring.freezeBatch(body(1)));
        assertEquals(FRAMES_PER_CHUNK - 1, ring.batchOldestSeq());
        assertEquals(99, ring.batchOldestArrivalNanos());
    }

    @Test
    void aFullRingOrAnEmptyPoolRefusesTheNextFrame()
    {
        pool = new AudioChunkPool(1, new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED));
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
        final AudioRing ring = ring(2);
        store(ring, 1, 1);
        store(ring, 2, 2);
        ring.freezeBatch(body(2));
        ring.releaseBatch();
        ring.resumeAt(9);
        store(ring, 9, 3);
        assertEquals(1, ring.freezeBatch(body(1)));
        assertEquals(9, ring.batchOldestSeq());
        assertFalse(ring.isFull());
    }

    @Test
    void chunksFreeForAWholeTrimPeriodGiveTheirPagesBack()
    {
        pool = new AudioChunkPool(4, new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED));
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
