package dev.sttbench.gateway.protocol;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;

import java.nio.charset.StandardCharsets;

/**
 * The session's first message must be a JSON object whose {@code type} is {@code "start"}; extra keys are fine.
 * A number json-simple cannot represent (an exponent beyond ±2^31, e.g. {@code 1e99999999999}) makes the message
 * unreadable, and so not a start message: refused like non-JSON rather than escaping as an exception.
 */
public final class StartMessage
{
    private StartMessage()
    {
    }

    public static boolean isValid(final byte[] text, final int length)
    {
        try
        {
            final Object parsed = Jsoner.deserialize(new String(text, 0, length, StandardCharsets.UTF_8));
            return parsed instanceof JsonObject object && "start".equals(object.get("type"));
        }
        catch (final JsonException | NumberFormatException ex)
        {
            return false;
        }
    }
}
