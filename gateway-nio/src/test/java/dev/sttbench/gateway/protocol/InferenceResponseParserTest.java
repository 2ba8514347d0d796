package dev.sttbench.gateway.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferenceResponseParserTest
{
    private static final String VALID = "{\"rms\":2425.5023191083533,\"zero_crossings\":7,\"checksum\":1745339397," +
        "\"samples\":1280,\"transcript\":\"now\",\"audio_bytes\":640}";

    private static boolean parses(final String body)
    {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return new InferenceResponseParser().parse(bytes, bytes.length, new InferenceResult());
    }

    @Test
    void acceptsExactlyTheSixFieldsInAnyOrderAndWhitespace()
    {
        assertTrue(parses(VALID));
        assertTrue(parses(" {\n \"audio_bytes\" : 640 , \"transcript\":\"n\\u00f6w \\\"q\\\"\",\"samples\":1280," +
            "\"checksum\":4294967295,\"zero_crossings\":0,\"rms\":-1.5e-3}\n"));
        assertTrue(parses(VALID.replace("2425.5023191083533", "0")));
        assertTrue(parses(VALID.replace("1280", "18446744073709551615")));
    }

    @Test
    void rejectsAnythingElse()
    {
        final String[] invalid = {
            "",
            "[]",
            VALID.substring(0, VALID.length() - 1),
            VALID + "x",
            VALID.replace(",\"audio_bytes\":640", ""),
            VALID.replace("}", ",\"extra\":1}"),
            VALID.replace("\"samples\":1280", "\"samples\":1280,\"samples\":1280").replace(",\"audio_bytes\":640", ""),
            VALID.replace("\"rms\"", "\"RMS\""),
            VALID.replace("2425.5023191083533", "\"2425.5\""),
            VALID.replace("2425.5023191083533", "NaN"),
            VALID.replace("2425.5023191083533", "1."),
            VALID.replace("2425.5023191083533", "01"),
            VALID.replace(":7,", ":-7,"),
            VALID.replace(":7,", ":7.0,"),
            VALID.replace(":7,", ":7e1,"),
            VALID.replace("1745339397", "4294967296"),
            VALID.replace("1280", "18446744073709551616"),
            VALID.replace("\"now\"", "\"\""),
            VALID.replace("\"now\"", "now"),
            VALID.replace("\"now\"", "\"a\\x\""),
            VALID.replace("\"now\"", "\"a\nb\""),
            VALID.replace("\"now\"", "null"),
            VALID.replace("640", "true"),
        };
        for (final String body : invalid)
        {
            assertFalse(parses(body), body);
        }
    }

    @Test
    void rejectsOversizedBodies()
    {
        final String padded = VALID.replace("\"now\"", "\"" + "a".repeat(InferenceResponseParser.MAX_BODY_BYTES) + "\"");
        assertFalse(parses(padded));
    }
}
