package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * One session's audio: a ring of fixed 640-byte slots in the loop's off-heap slab, with each slot's arrival
 * time beside it. Three counters split it: {@code [head, batchEnd)} is the batch in flight (frozen, read by the
 * HTTP client), {@code [batchEnd, tail)} is buffered behind it. Frames stored in the ring always have
 * contiguous seqs ({@link #seqOffset}), because frames are only shed once the ring is full and storing resumes
 * only when it is empty again.
 */
public final class AudioRing
{
    private static final int FRAME_BYTES = GatewayConfig.FRAME_BYTES;

    private final UnsafeBuffer audio;
    private final ByteBuffer audioBytes;
    private final UnsafeBuffer arrivals;
    private final int capacity;

    private long head;
    private long batchEnd;
    private long tail;
    private long seqOffset;

    /**
     * @param slab     the loop's slab.
     * @param offset   where this ring's audio starts in the slab; its arrival times follow the audio.
     * @param capacity slots.
     */
    public AudioRing(final ByteBuffer slab, final int offset, final int capacity)
    {
        this.capacity = capacity;
        final int audioLength = capacity * FRAME_BYTES;
        audioBytes = slab.slice(offset, audioLength);
        audio = new UnsafeBuffer(slab, offset, audioLength);
        arrivals = new UnsafeBuffer(slab, offset + audioLength, capacity * Long.BYTES);
    }

    /** Bytes of slab one ring of {@code capacity} slots takes. */
    public static int bytesFor(final int capacity)
    {
        return capacity * (FRAME_BYTES + Long.BYTES);
    }

    /** Forget everything and number the next stored frame {@code nextSeq}. */
    public void reset(final long nextSeq)
    {
        head = 0;
        batchEnd = 0;
        tail = 0;
        seqOffset = nextSeq;
    }

    public int capacity()
    {
        return capacity;
    }

    public boolean isFull()
    {
        return tail - head == capacity;
    }

    public boolean isEmpty()
    {
        return tail == head;
    }

    /** Frames held: the batch in flight plus those behind it. */
    public int size()
    {
        return (int)(tail - head);
    }

    /** Frames buffered behind the batch in flight, i.e. what the next flush would send. */
    public int pending()
    {
        return (int)(tail - batchEnd);
    }

    public int batchSize()
    {
        return (int)(batchEnd - head);
    }

    /** Restart numbering when the ring is empty, after frames were shed. */
    public void resumeAt(final long nextSeq)
    {
        seqOffset = nextSeq - tail;
    }

    /** The buffer to unmask the next frame into; see {@link #writeIndex()}. */
    public UnsafeBuffer audio()
    {
        return audio;
    }

    public int writeIndex()
    {
        return slot(tail) * FRAME_BYTES;
    }

    /** Store the frame unmasked at {@link #writeIndex()}; returns its seq. */
    public long commit(final long arrivalNanos)
    {
        arrivals.putLong(slot(tail) * Long.BYTES, arrivalNanos);
        return seqOffset + tail++;
    }

    /** Freeze everything pending as the batch in flight; returns its frame count. */
    public int freezeBatch()
    {
        batchEnd = tail;
        return (int)(batchEnd - head);
    }

    /** Release the batch's slots once it is resolved. */
    public void releaseBatch()
    {
        head = batchEnd;
    }

    public long batchOldestSeq()
    {
        return seqOffset + head;
    }

    public long batchOldestArrivalNanos()
    {
        return arrivals.getLong(slot(head) * Long.BYTES);
    }

    public long batchNewestArrivalNanos()
    {
        return arrivals.getLong(slot(batchEnd - 1) * Long.BYTES);
    }

    /**
     * Views of the frozen batch for the request body, in seq order: the batch occupies one contiguous range, or
     * two when it wraps. Returns the number of views written to {@code views}.
     */
    public int batchViews(final ByteBuffer[] views)
    {
        final int first = slot(head);
        final int frames = batchSize();
        final int firstRun = Math.min(frames, capacity - first);
        views[0] = audioBytes.slice(first * FRAME_BYTES, firstRun * FRAME_BYTES);
        if (firstRun == frames)
        {
            return 1;
        }
        views[1] = audioBytes.slice(0, (frames - firstRun) * FRAME_BYTES);
        return 2;
    }

    private int slot(final long counter)
    {
        return (int)(counter % capacity);
    }
}
