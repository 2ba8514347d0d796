package dev.sttbench.gateway.websocket;

import org.agrona.DirectBuffer;

/**
 * Strict UTF-8 well-formedness (RFC 3629, Unicode table 3-7): no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequence. RFC 6455 §8.1 fails a connection whose text (here: a close
 * reason) is not valid UTF-8 with 1007. Straight over the frame's bytes: no decoder, no allocation.
 */
public final class Utf8
{
    private Utf8()
    {
    }

    public static boolean isValid(final DirectBuffer buffer, final int offset, final int length)
    {
        final int end = offset + length;
        int i = offset;
        while (i < end)
        {
            final int lead = buffer.getByte(i) & 0xFF;
            if (lead < 0x80)
            {
                i++;
                continue;
            }
            final int continuations;
            int secondMin = 0x80;
            int secondMax = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF)
            {
                continuations = 1;
            }
            else if (lead >= 0xE0 && lead <= 0xEF)
            {
                continuations = 2;
                if (lead == 0xE0)
                {
                    secondMin = 0xA0; // below: overlong
                }
                else if (lead == 0xED)
                {
                    secondMax = 0x9F; // above: UTF-16 surrogates
                }
            }
            else if (lead >= 0xF0 && lead <= 0xF4)
            {
                continuations = 3;
                if (lead == 0xF0)
                {
                    secondMin = 0x90; // below: overlong
                }
                else if (lead == 0xF4)
                {
                    secondMax = 0x8F; // above: beyond U+10FFFF
                }
            }
            else
            {
                return false; // a continuation byte, an overlong 2-byte lead (C0, C1) or F5..FF
            }
            if (i + continuations >= end)
            {
                return false; // truncated
            }
            final int second = buffer.getByte(i + 1) & 0xFF;
            if (second < secondMin || second > secondMax)
            {
                return false;
            }
            for (int k = 2; k <= continuations; k++)
            {
                if ((buffer.getByte(i + k) & 0xC0) != 0x80)
                {
                    return false;
                }
            }
            i += 1 + continuations;
        }
        return true;
    }
}
