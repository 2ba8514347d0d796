package dev.sttbench.gateway.protocol;

import java.util.Arrays;

/**
 * Strict parser of the inference response (PROTOCOL.md §2): one JSON object with exactly the keys rms (number),
 * zero_crossings, samples, audio_bytes (u64), checksum (u32) and transcript (non-empty string), each once.
 * Anything else is a parse error. Allocation free: it records spans of the body in an {@link InferenceResult}.
 */
public final class InferenceResponseParser
{
    /** A response body longer than this is rejected: a partial must fit the loop's encode buffer. */
    public static final int MAX_BODY_BYTES = 4096;

    private static final byte[][] KEYS = {
        JsonWriter.ascii("rms"),
        JsonWriter.ascii("zero_crossings"),
        JsonWriter.ascii("checksum"),
        JsonWriter.ascii("samples"),
        JsonWriter.ascii("transcript"),
        JsonWriter.ascii("audio_bytes"),
    };
    private static final byte[] U64_MAX = JsonWriter.ascii("18446744073709551615");
    private static final long U32_MAX = 0xFFFF_FFFFL;
    private static final int NO_MATCH = -1;

    private byte[] body;
    private int end;
    private int index;

    /** Parse {@code body[0, length)} into {@code result}; false when it is not exactly the expected object. */
    public boolean parse(final byte[] body, final int length, final InferenceResult result)
    {
        if (length > MAX_BODY_BYTES || length > body.length)
        {
            return false;
        }
        this.body = body;
        this.end = length;
        this.index = 0;
        result.body = body;
        Arrays.fill(result.lengths, NO_MATCH);

        skipWhitespace();
        if (!consume('{'))
        {
            return false;
        }
        for (int fieldsSeen = 0; fieldsSeen < InferenceResult.FIELD_COUNT; fieldsSeen++)
        {
            if (fieldsSeen > 0 && !consume(','))
            {
                return false;
            }
            skipWhitespace();
            final int field = key();
            if (NO_MATCH == field || NO_MATCH != result.lengths[field])
            {
                return false;
            }
            skipWhitespace();
            if (!consume(':'))
            {
                return false;
            }
            skipWhitespace();
            final int valueStart = index;
            final boolean valid = switch (field)
            {
                case InferenceResult.RMS -> number();
                case InferenceResult.TRANSCRIPT -> nonEmptyString();
                case InferenceResult.CHECKSUM -> unsigned() && fitsU32(valueStart);
                default -> unsigned() && fitsU64(valueStart);
            };
            if (!valid)
            {
                return false;
            }
            final boolean quoted = InferenceResult.TRANSCRIPT == field;
            result.offsets[field] = quoted ? valueStart + 1 : valueStart;
            result.lengths[field] = quoted ? index - valueStart - 2 : index - valueStart;
            skipWhitespace();
        }
        if (!consume('}'))
        {
            return false;
        }
        skipWhitespace();
        return index == end;
    }

    private int key()
    {
        if (!consume('"'))
        {
            return NO_MATCH;
        }
        final int start = index;
        while (index < end && '"' != body[index])
        {
            if ('\\' == body[index])
            {
                return NO_MATCH;
            }
            index++;
        }
        if (index == end)
        {
            return NO_MATCH;
        }
        final int length = index++ - start;
        for (int field = 0; field < KEYS.length; field++)
        {
            if (Arrays.equals(body, start, start + length, KEYS[field], 0, KEYS[field].length))
            {
                return field;
            }
        }
        return NO_MATCH;
    }

    private boolean nonEmptyString()
    {
        if (!consume('"'))
        {
            return false;
        }
        final int start = index;
        while (index < end)
        {
            final int b = body[index] & 0xFF;
            if ('"' == b)
            {
                return index++ > start;
            }
            if (b < 0x20)
            {
                return false;
            }
            if ('\\' == b)
            {
                if (!escape())
                {
                    return false;
                }
            }
            else
            {
                index++;
            }
        }
        return false;
    }

    private boolean escape()
    {
        index++;
        if (index == end)
        {
            return false;
        }
        final byte escaped = body[index++];
        switch (escaped)
        {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' ->
            {
                return true;
            }
            case 'u' ->
            {
                for (int i = 0; i < 4; i++)
                {
                    if (index == end || Character.digit(body[index++], 16) < 0)
                    {
                        return false;
                    }
                }
                return true;
            }
            default ->
            {
                return false;
            }
        }
    }

    /** JSON number: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}. */
    private boolean number()
    {
        consume('-');
        if (!unsigned())
        {
            return false;
        }
        if (consume('.') && 0 == digits())
        {
            return false;
        }
        if (consume('e') || consume('E'))
        {
            if (!consume('+'))
            {
                consume('-');
            }
            return digits() > 0;
        }
        return true;
    }

    /** {@code 0|[1-9][0-9]*}. */
    private boolean unsigned()
    {
        if (consume('0'))
        {
            return index == end || !isDigit(body[index]);
        }
        return digits() > 0;
    }

    private boolean fitsU64(final int start)
    {
        final int length = index - start;
        return length < U64_MAX.length ||
            (length == U64_MAX.length && Arrays.compare(body, start, index, U64_MAX, 0, U64_MAX.length) <= 0);
    }

    private boolean fitsU32(final int start)
    {
        if (index - start > 10)
        {
            return false;
        }
        long value = 0;
        for (int i = start; i < index; i++)
        {
            value = value * 10 + (body[i] - '0');
        }
        return value <= U32_MAX;
    }

    private int digits()
    {
        final int start = index;
        while (index < end && isDigit(body[index]))
        {
            index++;
        }
        return index - start;
    }

    private static boolean isDigit(final byte b)
    {
        return b >= '0' && b <= '9';
    }

    private boolean consume(final char expected)
    {
        if (index < end && expected == body[index])
        {
            index++;
            return true;
        }
        return false;
    }

    private void skipWhitespace()
    {
        while (index < end)
        {
            final byte b = body[index];
            if (' ' != b && '\t' != b && '\n' != b && '\r' != b)
            {
                return;
            }
            index++;
        }
    }
}
