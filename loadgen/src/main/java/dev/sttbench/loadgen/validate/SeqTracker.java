package dev.sttbench.loadgen.validate;

/**
 * Contiguity of one session's batches: consecutive partial and error batches must tile the sent frames
 * without a gap or an overlap, the first starting at seq 1, and never name a frame not yet sent.
 */
public final class SeqTracker {
    private long nextExpectedSeq = 1;

    /**
     * Accepts batch {@code [oldest, newest]} when {@code sentFrames} frames have been sent; returns null
     * when it continues the session exactly, else the violation. After a violation the tracker resumes
     * after {@code newest} so one lost or repeated frame counts once, not on every later batch.
     */
    public String accept(long oldest, long newest, long sentFrames) {
        String violation = null;
        if (newest > sentFrames) {
            violation = "batch [" + oldest + ", " + newest + "] names frames not sent yet (sent " + sentFrames + ")";
        } else if (oldest > nextExpectedSeq) {
            violation = "frames " + nextExpectedSeq + ".." + (oldest - 1) + " lost (batch starts at " + oldest + ")";
        } else if (oldest < nextExpectedSeq) {
            violation = "frames " + oldest + ".." + Math.min(newest, nextExpectedSeq - 1) + " delivered twice";
        }
        nextExpectedSeq = Math.max(nextExpectedSeq, newest + 1);
        return violation;
    }

    public long nextExpectedSeq() {
        return nextExpectedSeq;
    }
}
