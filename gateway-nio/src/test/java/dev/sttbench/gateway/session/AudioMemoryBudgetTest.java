package dev.sttbench.gateway.session;

import org.junit.jupiter.api.Test;

import static dev.sttbench.gateway.session.AudioChunkPool.CHUNK_BYTES;
import static dev.sttbench.gateway.session.AudioChunkPool.NO_CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the chunk pool and the request-body slab commit to the shared audio memory budget, and when. */
class AudioMemoryBudgetTest
{
    private static final boolean LINUX = System.getProperty("os.name", "").startsWith("Linux");

    @Test
    void coldChunksPastTheBudgetAreRefusedAndWarmOnesAreLentAgainForFree()
    {
        final AudioMemoryBudget budget = new AudioMemoryBudget(2 * CHUNK_BYTES);
        try (AudioChunkPool pool = new AudioChunkPool(4, budget))
        {
            final int a = pool.acquire();
            final int b = pool.acquire();
            assertEquals(2 * CHUNK_BYTES, budget.committedBytes());
            assertEquals(NO_CHUNK, pool.acquire(), "a third chunk's pages would exceed the budget");
            assertEquals(1, pool.refusals());

            pool.release(a);
            assertEquals(2 * CHUNK_BYTES, budget.committedBytes(), "a free chunk keeps its pages until trimmed");
            assertEquals(a, pool.acquire(), "lent again: its pages are committed already");
            assertEquals(1, pool.refusals());

            pool.release(a);
            pool.release(b);
            pool.trim();
            assertEquals(2, pool.trim(), "free for a whole period");
            assertEquals(0, budget.committedBytes(), "pages given back are released from the budget");
            assertTrue(NO_CHUNK != pool.acquire());
            assertTrue(NO_CHUNK != pool.acquire());
            assertEquals(NO_CHUNK, pool.acquire());
        }
    }

    @Test
    void theBudgetIsSharedByEveryLoopsPool()
    {
        final AudioMemoryBudget budget = new AudioMemoryBudget(CHUNK_BYTES);
        try (AudioChunkPool first = new AudioChunkPool(4, budget);
            AudioChunkPool second = new AudioChunkPool(4, budget))
        {
            final int chunk = first.acquire();
            assertEquals(NO_CHUNK, second.acquire());
            first.release(chunk);
            first.trim();
            first.trim();
            assertTrue(NO_CHUNK != second.acquire());
        }
    }

    @Test
    void aChunkReturnedWhileTheBudgetIsOverdrawnGivesItsPagesBackAtOnce()
    {
        final AudioMemoryBudget budget = new AudioMemoryBudget(2 * CHUNK_BYTES);
        try (AudioChunkPool pool = new AudioChunkPool(4, budget);
            RequestBodySlab bodies = new RequestBodySlab(1, 256 * 640, budget))
        {
            final int a = pool.acquire();
            final int b = pool.acquire();
            pool.memory().putByte(AudioChunkPool.offset(a), (byte)7);
            final int slot = bodies.acquire();
            bodies.commit(slot, 12 * 640);
            assertEquals(3 * CHUNK_BYTES, budget.committedBytes(), "a body is committed whatever the budget");

            pool.release(a);
            assertEquals(2 * CHUNK_BYTES, budget.committedBytes(), "the emptied chunk paid for the body");
            if (LINUX)
            {
                assertEquals(0, pool.memory().getByte(AudioChunkPool.offset(a)), "its page reads as zero");
            }
            pool.release(b);
            assertEquals(2 * CHUNK_BYTES, budget.committedBytes(), "within the budget again: b stays warm");
            assertEquals(b, pool.acquire());
            assertEquals(NO_CHUNK, pool.acquire(), "a is cold and the budget is spent");
            assertEquals(0, pool.trim(), "nothing idle: b is lent, a has no pages");
        }
    }

    @Test
    void aBodySlotCommitsTheWholePagesOfItsLargestBodyUntilGivenBack()
    {
        final AudioMemoryBudget budget = new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED);
        try (RequestBodySlab bodies = new RequestBodySlab(2, 256 * 640, budget))
        {
            final int slot = bodies.acquire();
            bodies.commit(slot, 640);
            assertEquals(4096, budget.committedBytes());
            bodies.commit(slot, 30 * 640);
            assertEquals(5 * 4096, budget.committedBytes(), "19,200 bytes touch 5 pages");
            bodies.commit(slot, 50);
            assertEquals(5 * 4096, budget.committedBytes(), "a smaller body touches pages already committed");
            final int other = bodies.acquire();
            bodies.commit(other, 4096);
            assertEquals(6 * 4096, budget.committedBytes());
            bodies.release(slot);
            assertEquals(4096, budget.committedBytes());
            bodies.release(other);
            assertEquals(0, budget.committedBytes());
        }
    }

    @Test
    void anUnlimitedBudgetNeverRefuses()
    {
        final AudioMemoryBudget budget = new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED);
        assertTrue(budget.tryCommit(1L << 40));
        assertTrue(budget.tryCommit(1L << 40));
        assertFalse(budget.isOverdrawn());
    }
}
