package dev.sttbench.sim.stub;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Encodes a {@link StubResult} as the six-field response JSON of PROTOCOL.md §2. {@code rms} is written with
 * {@link Double#toString(double)}, which since JDK 19 is the shortest decimal that round-trips.
 */
public final class StubJson
{
    private static final byte[] RMS = ascii("{\"rms\":");
    private static final byte[] ZERO_CROSSINGS = ascii(",\"zero_crossings\":");
    private static final byte[] CHECKSUM = ascii(",\"checksum\":");
    private static final byte[] SAMPLES = ascii(",\"samples\":");
    private static final byte[] TRANSCRIPT = ascii(",\"transcript\":\"");
    private static final byte[] AUDIO_BYTES = ascii("\",\"audio_bytes\":");
    /**
     * Upper bound of the encoded size: 80 characters of fixed text, 25 for the rms, 19 for each of three longs,
     * 10 for the checksum and 5 for the longest transcript make 177.
     */
    public static final int MAX_LENGTH = 192;

    private StubJson()
    {
    }

    /**
     * @param result the stub's output.
     * @param out    receives the JSON, written at its writer index.
     */
    public static void encode(final StubResult result, final ByteBuf out)
    {
        out.writeBytes(RMS);
        writeAscii(out, Double.toString(result.rms));
        out.writeBytes(ZERO_CROSSINGS);
        writeDecimal(out, result.zeroCrossings);
        out.writeBytes(CHECKSUM);
        writeDecimal(out, result.checksum());
        out.writeBytes(SAMPLES);
        writeDecimal(out, result.samples);
        out.writeBytes(TRANSCRIPT);
        writeAscii(out, result.transcript());
        out.writeBytes(AUDIO_BYTES);
        writeDecimal(out, result.audioBytes);
        out.writeByte('}');
    }

    /**
     * Write a non-negative long in decimal without allocating.
     *
     * @param out   destination.
     * @param value value {@code >= 0}.
     */
    static void writeDecimal(final ByteBuf out, final long value)
    {
        long divisor = 1;
        while (divisor <= value / 10)
        {
            divisor *= 10;
        }
        long rest = value;
        while (divisor > 0)
        {
            final long digit = rest / divisor;
            out.writeByte((int)('0' + digit));
            rest -= digit * divisor;
            divisor /= 10;
        }
    }

    private static void writeAscii(final ByteBuf out, final String text)
    {
        for (int i = 0, n = text.length(); i < n; i++)
        {
            out.writeByte(text.charAt(i));
        }
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
