package dev.sttbench.gateway.protocol;

import org.agrona.MutableDirectBuffer;

/** Writes the 14-key partial (PROTOCOL.md §1) by hand; constant parts are pre-encoded once. */
public final class PartialEncoder
{
    private static final byte[] OLDEST = JsonWriter.ascii("{\"type\":\"partial\",\"oldest_frame_seq\":");
    private static final byte[] NEWEST = JsonWriter.ascii(",\"newest_frame_seq\":");
    private static final byte[] FRAMES = JsonWriter.ascii(",\"frames\":");
    private static final byte[] RMS = JsonWriter.ascii(",\"rms\":");
    private static final byte[] ZERO_CROSSINGS = JsonWriter.ascii(",\"zero_crossings\":");
    private static final byte[] CHECKSUM = JsonWriter.ascii(",\"checksum\":");
    private static final byte[] SAMPLES = JsonWriter.ascii(",\"samples\":");
    private static final byte[] TRANSCRIPT = JsonWriter.ascii(",\"transcript\":\"");
    private static final byte[] AUDIO_BYTES = JsonWriter.ascii("\",\"audio_bytes\":");
    private static final byte[] INFLIGHT = JsonWriter.ascii(",\"inflight_model_jobs\":");
    private static final byte[] END = JsonWriter.ascii("}");

    private final JsonWriter writer = new JsonWriter();
    /** {@code ,"cpu_passes":N,"model_delay_ms":N,"flush_lateness_ms":} with this gateway's constants. */
    private final byte[] configuredFields;

    public PartialEncoder(final int cpuPasses, final long modelDelayMs)
    {
        configuredFields = JsonWriter.ascii(",\"cpu_passes\":" + cpuPasses + ",\"model_delay_ms\":" + modelDelayMs +
            ",\"flush_lateness_ms\":");
    }

    /** Encode at {@code index}; returns the encoded length. */
    public int encode(
        final MutableDirectBuffer buffer,
        final int index,
        final long oldestSeq,
        final int frames,
        final InferenceResult result,
        final long flushLatenessNanos,
        final long inflightModelJobs)
    {
        final byte[] body = result.body;
        final int[] offsets = result.offsets;
        final int[] lengths = result.lengths;
        return writer.wrap(buffer, index)
            .raw(OLDEST).natural(oldestSeq)
            .raw(NEWEST).natural(oldestSeq + frames - 1)
            .raw(FRAMES).natural(frames)
            .raw(RMS).raw(body, offsets[InferenceResult.RMS], lengths[InferenceResult.RMS])
            .raw(ZERO_CROSSINGS)
            .raw(body, offsets[InferenceResult.ZERO_CROSSINGS], lengths[InferenceResult.ZERO_CROSSINGS])
            .raw(CHECKSUM).raw(body, offsets[InferenceResult.CHECKSUM], lengths[InferenceResult.CHECKSUM])
            .raw(SAMPLES).raw(body, offsets[InferenceResult.SAMPLES], lengths[InferenceResult.SAMPLES])
            .raw(TRANSCRIPT).raw(body, offsets[InferenceResult.TRANSCRIPT], lengths[InferenceResult.TRANSCRIPT])
            .raw(AUDIO_BYTES).raw(body, offsets[InferenceResult.AUDIO_BYTES], lengths[InferenceResult.AUDIO_BYTES])
            .raw(configuredFields).millis(flushLatenessNanos)
            .raw(INFLIGHT).natural(inflightModelJobs)
            .raw(END)
            .index() - index;
    }
}
