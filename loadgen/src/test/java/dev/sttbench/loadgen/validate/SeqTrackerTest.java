package dev.sttbench.loadgen.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SeqTrackerTest {
    private final SeqTracker seqs = new SeqTracker();

    @Test
    void contiguousBatchesFromOneAreAccepted() {
        assertNull(seqs.accept(1, 50, 60));
        assertNull(seqs.accept(51, 51, 60));
        assertNull(seqs.accept(52, 60, 60));
        assertEquals(61, seqs.nextExpectedSeq());
    }

    @Test
    void firstBatchMustStartAtOne() {
        assertTrue(seqs.accept(2, 50, 60).contains("frames 1..1 lost"));
    }

    @Test
    void aGapIsALostFrameAndCountsOnce() {
        assertNull(seqs.accept(1, 10, 100));
        assertTrue(seqs.accept(13, 20, 100).contains("frames 11..12 lost"));
        assertNull(seqs.accept(21, 30, 100));
    }

    @Test
    void anOverlapIsAFrameDeliveredTwice() {
        assertNull(seqs.accept(1, 10, 100));
        assertTrue(seqs.accept(10, 20, 100).contains("frames 10..10 delivered twice"));
        assertNull(seqs.accept(21, 22, 100));
    }

    @Test
    void aBatchCannotNameFramesNotSent() {
        assertTrue(seqs.accept(1, 11, 10).contains("not sent yet"));
    }
}
