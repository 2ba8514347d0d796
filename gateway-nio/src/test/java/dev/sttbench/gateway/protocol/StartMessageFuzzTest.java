package dev.sttbench.gateway.protocol;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.gateway.websocket.Utf8;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Coverage-guided fuzzing of what the gateway does with a start message, {@link Utf8#isValid} then
 * {@link StartMessage#isValid}, with Jazzer ({@code make fuzz}); under {@code mvn verify} it replays the committed
 * corpus in {@code src/test/resources/.../StartMessageFuzzTestInputs/startMessage/}.
 * <p>
 * The input is the message. Neither check may throw, whatever the bytes. {@link Utf8#isValid}, run at an offset
 * inside a larger buffer as on a frame, must agree with the JDK's UTF-8 decoder set to report malformed input.
 * Where the text is UTF-8 (the gateway answers 1007 otherwise), {@link StartMessage#isValid}, given the bytes in a
 * larger array as the connection does, must agree with json-simple read directly: a JSON object whose "type" is
 * the string "start", any exception meaning no.
 */
class StartMessageFuzzTest
{
    private static final int PADDING = 3;

    @FuzzTest
    @DictionaryEntries({ "{\"type\":\"start\"}", "\"type\"", "\"start\"", "\\u0000", "\\ud83d\\udc4b", "1e99999999999", "[", "{" })
    void startMessage(final byte[] message)
    {
        // Garbage before and after, as the message sits at an offset in a frame or in the 4096-byte sink.
        final byte[] framed = new byte[PADDING + message.length + PADDING];
        Arrays.fill(framed, (byte)0xFF);
        System.arraycopy(message, 0, framed, PADDING, message.length);
        final String decoded = strictUtf8(message);
        final boolean utf8 = Utf8.isValid(new UnsafeBuffer(framed), PADDING, message.length);
        assertEquals(null != decoded, utf8, "UTF-8 validity");

        final byte[] sink = Arrays.copyOf(message, message.length + PADDING);
        Arrays.fill(sink, message.length, sink.length, (byte)'}');
        final boolean start = StartMessage.isValid(sink, message.length);
        if (null != decoded)
        {
            assertEquals(isStartObject(decoded), start, decoded);
        }
    }

    private static String strictUtf8(final byte[] bytes)
    {
        try
        {
            final CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        }
        catch (final CharacterCodingException ex)
        {
            return null;
        }
    }

    private static boolean isStartObject(final String text)
    {
        try
        {
            return Jsoner.deserialize(text) instanceof JsonObject object && "start".equals(object.get("type"));
        }
        catch (final Exception ex)
        {
            return false;
        }
    }
}
