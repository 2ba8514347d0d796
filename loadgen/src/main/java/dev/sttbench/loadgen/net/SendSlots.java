package dev.sttbench.loadgen.net;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The buffers of a loop's io_uring sends: {@link #SLOTS} fixed slots of up to {@link #MAX_FRAMES} masked
 * frames each in one direct buffer, each owned by one queued or in-flight send until its completion, plus
 * what the completion needs (session, first due time, frame count) and the slots queued since the last
 * submit. Loop-confined.
 */
final class SendSlots {
    /** Sends queued or in flight at once; also the ring's size. */
    static final int SLOTS = 1024;
    /** Frames one send carries at most: a late session catches up by up to 80 ms per send. */
    static final int MAX_FRAMES = 4;
    private static final int SLOT_BYTES = MAX_FRAMES * MaskedFrames.AUDIO_FRAME_BYTES;

    final ByteBuffer buffer = ByteBuffer.allocateDirect(SLOTS * SLOT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final long baseAddress = MemorySegment.ofBuffer(buffer).address();
    final Session[] session = new Session[SLOTS];
    final long[] firstDue = new long[SLOTS];
    final int[] frames = new int[SLOTS];
    final boolean[] recordLag = new boolean[SLOTS];
    final int[] batch = new int[SLOTS];
    int batchSize;
    private final int[] free = new int[SLOTS];
    private int freeCount;

    SendSlots() {
        for (int i = 0; i < SLOTS; i++) {
            free[i] = SLOTS - 1 - i;
            // Every frame's header is the same but for its masking key, written per frame.
            for (int k = 0; k < MAX_FRAMES; k++) {
                MaskedFrames.writeAudioHeader(buffer, offset(i) + k * MaskedFrames.AUDIO_FRAME_BYTES);
            }
        }
        freeCount = SLOTS;
    }

    /** A free slot, or -1 when all are queued or in flight. */
    int take() {
        return freeCount == 0 ? -1 : free[--freeCount];
    }

    void release(int slot) {
        session[slot] = null;
        free[freeCount++] = slot;
    }

    void fill(int slot, Session owner, long firstDueNanos, int frameCount, boolean lag) {
        session[slot] = owner;
        firstDue[slot] = firstDueNanos;
        frames[slot] = frameCount;
        recordLag[slot] = lag;
        batch[batchSize++] = slot;
    }

    int offset(int slot) {
        return slot * SLOT_BYTES;
    }

    long address(int slot) {
        return baseAddress + offset(slot);
    }
}
