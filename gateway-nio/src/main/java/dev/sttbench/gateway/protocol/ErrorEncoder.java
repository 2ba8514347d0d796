package dev.sttbench.gateway.protocol;

import org.agrona.MutableDirectBuffer;

/** Writes the 16-key error frame (PROTOCOL.md §1) by hand. */
public final class ErrorEncoder
{
    /** Marks an absent HTTP status or elapsed time, written as JSON null. */
    public static final long ABSENT = -1;

    private static final byte[] START = JsonWriter.ascii("{\"type\":\"error\",");
    private static final byte[] OLDEST = JsonWriter.ascii("\"oldest_frame_seq\":");
    private static final byte[] NEWEST = JsonWriter.ascii(",\"newest_frame_seq\":");
    private static final byte[] FRAMES = JsonWriter.ascii(",\"frames\":");
    private static final byte[] AUDIO_BYTES = JsonWriter.ascii(",\"audio_bytes\":");
    private static final byte[] OLDEST_AGE = JsonWriter.ascii(",\"oldest_age_ms\":");
    private static final byte[] NEWEST_AGE = JsonWriter.ascii(",\"newest_age_ms\":");
    private static final byte[] LATENESS = JsonWriter.ascii(",\"flush_lateness_ms\":");
    private static final byte[] ELAPSED = JsonWriter.ascii(",\"inference_elapsed_ms\":");
    private static final byte[] INFLIGHT = JsonWriter.ascii(",\"inflight_gateway_batches\":");
    private static final byte[] BUFFERED = JsonWriter.ascii(",\"gateway_buffer_frames\":");
    private static final byte[] STATUS = JsonWriter.ascii(",\"inference_status\":");
    private static final byte[] RETRYABLE = JsonWriter.ascii(",\"retryable\":");
    private static final byte[] END = JsonWriter.ascii("}");

    private final JsonWriter writer = new JsonWriter();

    /**
     * Encode at {@code index}; returns the encoded length.
     *
     * @param inferenceElapsedNanos {@link #ABSENT} when no response came.
     * @param inferenceStatus       {@link #ABSENT} when no response came.
     */
    public int encode(
        final MutableDirectBuffer buffer,
        final int index,
        final ErrorKind kind,
        final long oldestSeq,
        final long frames,
        final int frameBytes,
        final long oldestAgeNanos,
        final long newestAgeNanos,
        final long flushLatenessNanos,
        final long inferenceElapsedNanos,
        final long inflightGatewayBatches,
        final long gatewayBufferFrames,
        final long inferenceStatus)
    {
        writer.wrap(buffer, index)
            .raw(START).raw(kind.encodedPrefix)
            .raw(OLDEST).natural(oldestSeq)
            .raw(NEWEST).natural(oldestSeq + frames - 1)
            .raw(FRAMES).natural(frames)
            .raw(AUDIO_BYTES).natural(frames * frameBytes)
            .raw(OLDEST_AGE).millis(oldestAgeNanos)
            .raw(NEWEST_AGE).millis(newestAgeNanos)
            .raw(LATENESS).millis(flushLatenessNanos)
            .raw(ELAPSED);
        if (ABSENT == inferenceElapsedNanos)
        {
            writer.nullValue();
        }
        else
        {
            writer.millis(inferenceElapsedNanos);
        }
        writer.raw(INFLIGHT).natural(inflightGatewayBatches)
            .raw(BUFFERED).natural(gatewayBufferFrames)
            .raw(STATUS);
        if (ABSENT == inferenceStatus)
        {
            writer.nullValue();
        }
        else
        {
            writer.natural(inferenceStatus);
        }
        return writer.raw(RETRYABLE).bool(kind.retryable()).raw(END).index() - index;
    }
}
