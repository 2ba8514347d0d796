package dev.sttbench.gateway.websocket;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Utf8Test
{
    private static boolean valid(final byte[] bytes)
    {
        // At an offset inside a larger buffer, as in a frame.
        final byte[] framed = new byte[bytes.length + 4];
        System.arraycopy(bytes, 0, framed, 2, bytes.length);
        return Utf8.isValid(new UnsafeBuffer(framed), 2, bytes.length);
    }

    private static boolean jdkAccepts(final byte[] bytes)
    {
        try
        {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            return true;
        }
        catch (final CharacterCodingException e)
        {
            return false;
        }
    }

    private static byte[] bytes(final int... values)
    {
        final byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bytes[i] = (byte)values[i];
        }
        return bytes;
    }

    @Test
    void wellFormedTextOfEveryLengthIsValid()
    {
        assertTrue(valid(new byte[0]));
        assertTrue(valid("bye".getBytes(StandardCharsets.UTF_8)));
        assertTrue(valid("Tschüss, 再见, \uD83D\uDC4B".getBytes(StandardCharsets.UTF_8)));
        assertTrue(valid(bytes(0xED, 0x9F, 0xBF)), "U+D7FF, just below the surrogates");
        assertTrue(valid(bytes(0xF4, 0x8F, 0xBF, 0xBF)), "U+10FFFF");
    }

    @Test
    void malformedSequencesAreRejected()
    {
        assertFalse(valid(bytes(0x80)), "lone continuation");
        assertFalse(valid(bytes(0xC0, 0xAF)), "overlong '/'");
        assertFalse(valid(bytes(0xE0, 0x80, 0xAF)), "overlong 3-byte");
        assertFalse(valid(bytes(0xF0, 0x80, 0x80, 0xAF)), "overlong 4-byte");
        assertFalse(valid(bytes(0xED, 0xA0, 0x80)), "surrogate U+D800");
        assertFalse(valid(bytes(0xF4, 0x90, 0x80, 0x80)), "U+110000");
        assertFalse(valid(bytes(0xF5, 0x80, 0x80, 0x80)), "lead beyond F4");
        assertFalse(valid(bytes(0xE2, 0x82)), "truncated euro sign");
        assertFalse(valid(bytes(0x41, 0xC3)), "truncated at the end");
        assertFalse(valid(bytes(0xE2, 0x28, 0xA1)), "bad second byte");
        assertFalse(valid(bytes(0xE2, 0x82, 0x28)), "bad third byte");
    }

    @Test
    void agreesWithTheJdksStrictDecoderOnRandomBytes()
    {
        final Random random = new Random(6455);
        for (int round = 0; round < 200_000; round++)
        {
            final byte[] bytes = new byte[1 + random.nextInt(6)];
            for (int i = 0; i < bytes.length; i++)
            {
                // Bias towards the interesting range: leads and continuations.
                bytes[i] = (byte)(random.nextBoolean() ? 0x80 + random.nextInt(0x80) : random.nextInt(0x100));
            }
            assertEquals(jdkAccepts(bytes), valid(bytes), () -> HexFormat.of().formatHex(bytes));
        }
    }
}
