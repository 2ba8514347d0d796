package dev.sttbench.gateway;

import com.github.cliftonlabs.json_simple.JsonArray;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The tests' own stub must agree with the golden vectors before it judges any partial. */
class PcmTest
{
    @Test
    void stubMatchesEveryGoldenVector() throws Exception
    {
        final String path = System.getProperty("golden.vectors");
        assertNotNull(path, "system property golden.vectors must point at golden-vectors.json");
        for (final Object item : (JsonArray)Jsoner.deserialize(Files.readString(Path.of(path))))
        {
            final JsonObject vector = (JsonObject)item;
            final JsonObject expect = (JsonObject)vector.get("expect");
            final Pcm.Stub stub = Pcm.stub(Pcm.frames(number(vector, "session_id"), number(vector, "first_seq"),
                number(vector, "last_seq")), (int)number(vector, "cpu_passes"));
            assertEquals(number(expect, "checksum"), stub.checksum(), vector.toJson());
            assertEquals(number(expect, "zero_crossings"), stub.zeroCrossings(), vector.toJson());
            assertEquals(number(expect, "samples"), stub.samples(), vector.toJson());
            assertEquals(number(expect, "audio_bytes"), stub.audioBytes(), vector.toJson());
            assertEquals(expect.get("transcript"), stub.transcript(), vector.toJson());
            assertEquals(((BigDecimal)expect.get("rms")).doubleValue(), stub.rms(), 1e-9, vector.toJson());
        }
    }

    private static long number(final JsonObject object, final String key)
    {
        return ((BigDecimal)object.get(key)).longValue();
    }
}
