package dev.sttbench.gateway.protocol;

import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;

/** Cursor writing JSON fragments into a buffer without allocating. */
final class JsonWriter
{
    private static final long NANOS_PER_MICRO = 1_000L;
    private static final int MICROS_PER_MILLI = 1_000;

    private MutableDirectBuffer buffer;
    private int index;

    JsonWriter wrap(final MutableDirectBuffer buffer, final int index)
    {
        this.buffer = buffer;
        this.index = index;
        return this;
    }

    int index()
    {
        return index;
    }

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    JsonWriter raw(final byte[] bytes)
    {
        buffer.putBytes(index, bytes);
        index += bytes.length;
        return this;
    }

    JsonWriter raw(final byte[] bytes, final int offset, final int length)
    {
        buffer.putBytes(index, bytes, offset, length);
        index += length;
        return this;
    }

    JsonWriter natural(final long value)
    {
        index += buffer.putNaturalLongAscii(index, value);
        return this;
    }

    /** A duration in nanoseconds as milliseconds with three decimals; negative durations are written as 0. */
    JsonWriter millis(final long nanos)
    {
        final long micros = Math.max(0, nanos) / NANOS_PER_MICRO;
        index += buffer.putNaturalLongAscii(index, micros / MICROS_PER_MILLI);
        buffer.putByte(index++, (byte)'.');
        buffer.putNaturalPaddedIntAscii(index, 3, (int)(micros % MICROS_PER_MILLI));
        index += 3;
        return this;
    }

    JsonWriter bool(final boolean value)
    {
        index += buffer.putStringWithoutLengthAscii(index, value ? "true" : "false");
        return this;
    }

    JsonWriter nullValue()
    {
        index += buffer.putStringWithoutLengthAscii(index, "null");
        return this;
    }
}
