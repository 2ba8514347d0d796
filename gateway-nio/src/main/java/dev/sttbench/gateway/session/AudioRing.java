package dev.sttbench.gateway.session;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static dev.sttbench.gateway.config.GatewayConfig.FRAME_BYTES;
import static dev.sttbench.gateway.session.AudioChunkPool.ARRIVALS_OFFSET;
import static dev.sttbench.gateway.session.AudioChunkPool.FRAMES_OFFSET;
import static dev.sttbench.gateway.session.AudioChunkPool.FRAMES_PER_CHUNK;
import static dev.sttbench.gateway.session.AudioChunkPool.NO_CHUNK;

/**
 * One session's audio: up to {@code capacity} 640-byte frames, each with its arrival time, stored in chunks
 * borrowed from the loop's {@link AudioChunkPool}. Frame counter {@code c} lives in chunk
 * {@code chunks[(c / FRAMES_PER_CHUNK) % chunks.length]}, frame {@code c % FRAMES_PER_CHUNK}. {@code [head, tail)}
 * are the frames buffered for the next flush. {@link #freezeBatch(ByteBuffer)} copies them, in seq order, into
 * the request body and returns their chunks at once; the batch then only counts (its frames, first seq and
 * arrival times) until it is resolved, so that the ring's bound, {@code capacity}, covers the batch in flight
 * plus the frames behind it. A chunk is borrowed when the first frame is stored in it, so an idle or paused
 * session holds none. Frames stored in the ring always have contiguous seqs ({@link #seqOffset}): frames are
 * only shed while the ring is full or the pool is empty, and storing resumes only once the ring has drained.
 */
public final class AudioRing
{
    private final AudioChunkPool pool;
    private final UnsafeBuffer memory;
    private final int capacity;
    private final int[] chunks;

    private long head;
    private long tail;
    private long seqOffset;
    /** A frame is being unmasked at the tail (possibly across reads): its chunk must stay. */
    private boolean tailReserved;

    private int batchFrames;
    private long batchOldestSeq;
    private long batchOldestArrivalNanos;
    private long batchNewestArrivalNanos;

    public AudioRing(final AudioChunkPool pool, final int capacity)
    {
        this.pool = pool;
        this.capacity = capacity;
        memory = pool.memory();
        chunks = new int[AudioChunkPool.chunksFor(capacity)];
        Arrays.fill(chunks, NO_CHUNK);
    }

    /** Forget everything (returning its chunks) and number the next stored frame {@code nextSeq}. */
    public void reset(final long nextSeq)
    {
        releaseAll();
        tailReserved = false;
        head = 0;
        tail = 0;
        batchFrames = 0;
        seqOffset = nextSeq;
    }

    /** Return every chunk to the pool; the session is gone. */
    public void releaseAll()
    {
        for (int i = 0; i < chunks.length; i++)
        {
            if (NO_CHUNK != chunks[i])
            {
                pool.release(chunks[i]);
                chunks[i] = NO_CHUNK;
            }
        }
    }

    public int capacity()
    {
        return capacity;
    }

    public boolean isFull()
    {
        return size() == capacity;
    }

    public boolean isEmpty()
    {
        return 0 == size();
    }

    /** Frames held: the batch in flight plus those behind it. */
    public int size()
    {
        return (int)(tail - head) + batchFrames;
    }

    /** Frames buffered behind the batch in flight, i.e. what the next flush would send. */
    public int pending()
    {
        return (int)(tail - head);
    }

    public int batchSize()
    {
        return batchFrames;
    }

    /** Chunks this ring holds now. */
    public int chunksHeld()
    {
        int held = 0;
        for (final int chunk : chunks)
        {
            held += NO_CHUNK != chunk ? 1 : 0;
        }
        return held;
    }

    /** Restart numbering when the ring is empty, after frames were shed. */
    public void resumeAt(final long nextSeq)
    {
        seqOffset = nextSeq - tail;
    }

    /**
     * Make room for the next frame at the tail: false when the ring is full or the pool has no chunk to lend
     * (the caller sheds the frame). On true, the frame is unmasked into {@link #audio()} at {@link #writeIndex()}
     * and then {@link #commit(long)}ed.
     */
    public boolean reserveNext()
    {
        if (isFull())
        {
            return false;
        }
        final int index = chunkIndex(tail);
        if (NO_CHUNK == chunks[index])
        {
            final int chunk = pool.acquire();
            if (NO_CHUNK == chunk)
            {
                return false;
            }
            chunks[index] = chunk;
        }
        tailReserved = true;
        return true;
    }

    /** The buffer every frame is unmasked into (the pool's memory); see {@link #writeIndex()}. */
    public UnsafeBuffer audio()
    {
        return memory;
    }

    /** Where in {@link #audio()} the frame at the tail goes; valid after {@link #reserveNext()}. */
    public int writeIndex()
    {
        return frameOffset(tail);
    }

    /** Store the frame unmasked at {@link #writeIndex()}; returns its seq. */
    public long commit(final long arrivalNanos)
    {
        memory.putLong(arrivalOffset(tail), arrivalNanos);
        tailReserved = false;
        return seqOffset + tail++;
    }

    /**
     * Freeze everything pending as the batch in flight: copy its audio in seq order into
     * {@code body[0, pending() * 640)} (absolute: the buffer's position and limit are left alone), note its first
     * seq and arrival times, and return its chunks, but the one a frame is being unmasked into. Returns its frame
     * count.
     */
    public int freezeBatch(final ByteBuffer body)
    {
        final int frames = (int)(tail - head);
        batchFrames = frames;
        batchOldestSeq = seqOffset + head;
        batchOldestArrivalNanos = memory.getLong(arrivalOffset(head));
        batchNewestArrivalNanos = memory.getLong(arrivalOffset(tail - 1));
        int offset = 0;
        for (long from = head; from < tail; )
        {
            final long to = Math.min((from / FRAMES_PER_CHUNK + 1) * FRAMES_PER_CHUNK, tail);
            final int length = (int)(to - from) * FRAME_BYTES;
            memory.getBytes(frameOffset(from), body, offset, length);
            offset += length;
            from = to;
        }
        final long firstChunk = head / FRAMES_PER_CHUNK;
        final long lastChunk = (tail - 1) / FRAMES_PER_CHUNK;
        final long keptChunk = tailReserved ? tail / FRAMES_PER_CHUNK : -1;
        for (long c = firstChunk; c <= lastChunk; c++)
        {
            if (c != keptChunk)
            {
                final int index = (int)(c % chunks.length);
                pool.release(chunks[index]);
                chunks[index] = NO_CHUNK;
            }
        }
        head = tail;
        return frames;
    }

    /** The batch in flight is resolved: its frames no longer count. */
    public void releaseBatch()
    {
        batchFrames = 0;
    }

    public long batchOldestSeq()
    {
        return batchOldestSeq;
    }

    public long batchOldestArrivalNanos()
    {
        return batchOldestArrivalNanos;
    }

    public long batchNewestArrivalNanos()
    {
        return batchNewestArrivalNanos;
    }

    private int chunkIndex(final long counter)
    {
        return (int)((counter / FRAMES_PER_CHUNK) % chunks.length);
    }

    private int frameOffset(final long counter)
    {
        return AudioChunkPool.offset(chunks[chunkIndex(counter)]) + FRAMES_OFFSET +
            (int)(counter % FRAMES_PER_CHUNK) * FRAME_BYTES;
    }

    private int arrivalOffset(final long counter)
    {
        return AudioChunkPool.offset(chunks[chunkIndex(counter)]) + ARRIVALS_OFFSET +
            (int)(counter % FRAMES_PER_CHUNK) * Long.BYTES;
    }
}
