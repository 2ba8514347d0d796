package dev.sttbench.sim.stub;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The deterministic inference stub of PROTOCOL.md §2, bit-exact with the public suite.
 * <p>
 * Every pass visits the same samples, so the sum of squares and the zero crossings inside a pass are the same
 * for every pass: they are computed once and scaled, plus one possible crossing at each of the
 * {@code passes - 1} pass boundaries (last sample of a pass followed by the first). Only the checksum, which
 * mixes in the pass number, walks the samples {@code passes} times; its xor-multiply chain is the cost that
 * {@code cpu_passes} is meant to represent.
 */
public final class PcmStub
{
    static final int FNV_OFFSET_BASIS = (int)2166136261L;
    static final int FNV_PRIME = 16777619;
    private static final int SAMPLE_BIAS = 32768;

    private static final String[] TRANSCRIPTS = {
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "hello", "world", "yes", "no",
        "okay", "right", "left", "stop", "go", "wait", "ready", "done", "again", "now", "later", "never",
    };

    private PcmStub()
    {
    }

    /**
     * Run the stub over the readable bytes of {@code body} without changing its indices.
     *
     * @param body   s16le PCM of even length.
     * @param passes passes over the samples, {@code 0..}{@link dev.sttbench.sim.SimConfig#MAX_CPU_PASSES}.
     * @param result receives the six response fields.
     */
    public static void compute(final ByteBuf body, final int passes, final StubResult result)
    {
        final int length = body.readableBytes();
        if (0 != (length & 1))
        {
            throw new IllegalArgumentException("odd body length: " + length);
        }
        if (1 == body.nioBufferCount())
        {
            compute(body.nioBuffer(body.readerIndex(), length).order(ByteOrder.LITTLE_ENDIAN), passes, result);
            return;
        }
        // Several components (an aggregated HTTP/1.1 body): a sample may straddle two, so read a pooled flat copy.
        final ByteBuf flat = body.alloc().directBuffer(length);
        try
        {
            flat.writeBytes(body, body.readerIndex(), length);
            compute(flat.nioBuffer(0, length).order(ByteOrder.LITTLE_ENDIAN), passes, result);
        }
        finally
        {
            flat.release();
        }
    }

    /**
     * Run the stub over {@code pcm} from index 0 to its limit.
     *
     * @param pcm    s16le PCM of even length, in little-endian order.
     * @param passes passes over the samples.
     * @param result receives the six response fields.
     */
    public static void compute(final ByteBuffer pcm, final int passes, final StubResult result)
    {
        final int length = pcm.limit();
        final int samplesPerPass = length >>> 1;
        result.audioBytes = length;
        if (0 == passes || 0 == samplesPerPass)
        {
            result.rms = 0.0;
            result.zeroCrossings = 0;
            result.checksum = FNV_OFFSET_BASIS;
            result.samples = 0;
            return;
        }

        int checksum = FNV_OFFSET_BASIS;
        long passSquares = 0;
        int passCrossings = 0;
        int prev = pcm.getShort(0);
        for (int offset = 0; offset < length; offset += 2)
        {
            final int s = pcm.getShort(offset);
            passCrossings += (s ^ prev) >>> 31; // sign bits differ: the only two flips the contract counts
            passSquares += s * s;
            checksum = (checksum ^ ((s + SAMPLE_BIAS) & 0xFFFF)) * FNV_PRIME;
            prev = s;
        }
        for (int pass = 1; pass < passes; pass++)
        {
            final int bias = SAMPLE_BIAS + pass;
            for (int offset = 0; offset < length; offset += 2)
            {
                checksum = (checksum ^ ((pcm.getShort(offset) + bias) & 0xFFFF)) * FNV_PRIME;
            }
        }

        final int boundaryCrossing = (pcm.getShort(0) ^ prev) >>> 31;
        final long samples = (long)samplesPerPass * passes;
        final long sumSquares = passSquares * passes;
        result.samples = samples;
        result.zeroCrossings = (long)passCrossings * passes + (long)boundaryCrossing * (passes - 1);
        result.checksum = checksum;
        result.rms = Math.sqrt((double)sumSquares / (double)samples);
    }

    /**
     * @param checksum the 32-bit checksum, read as unsigned.
     * @return {@code POOL[checksum % 24]}.
     */
    public static String transcript(final int checksum)
    {
        return TRANSCRIPTS[(int)(Integer.toUnsignedLong(checksum) % TRANSCRIPTS.length)];
    }
}
