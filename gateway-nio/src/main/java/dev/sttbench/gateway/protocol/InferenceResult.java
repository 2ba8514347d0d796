package dev.sttbench.gateway.protocol;

/**
 * The six fields of an inference response as validated spans of the response body: values are copied into
 * the partial byte for byte, so numbers keep their exact text and nothing is parsed into objects.
 */
public final class InferenceResult
{
    static final int RMS = 0;
    static final int ZERO_CROSSINGS = 1;
    static final int CHECKSUM = 2;
    static final int SAMPLES = 3;
    static final int TRANSCRIPT = 4;
    static final int AUDIO_BYTES = 5;
    static final int FIELD_COUNT = 6;

    final int[] offsets = new int[FIELD_COUNT];
    final int[] lengths = new int[FIELD_COUNT];
    byte[] body;
}
