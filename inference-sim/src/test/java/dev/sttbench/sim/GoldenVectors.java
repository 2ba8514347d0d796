package dev.sttbench.sim;

import com.github.cliftonlabs.json_simple.JsonArray;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;

import java.io.Reader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shared golden vectors (path in system property {@code golden.vectors}) and the reference PCM of PROTOCOL.md §3. */
public final class GoldenVectors
{
    public static final int SAMPLES_PER_FRAME = 320;

    /** One vector: the request and the exact expected response fields. */
    public record Vector(
        long sessionId,
        long firstSeq,
        long lastSeq,
        int cpuPasses,
        BigDecimal rms,
        long zeroCrossings,
        long checksum,
        long samples,
        String transcript,
        long audioBytes)
    {
        public byte[] body()
        {
            return pcm(sessionId, firstSeq, lastSeq);
        }

        /** @return the response JSON exactly as the simulator must write it. */
        public String expectedJson()
        {
            return "{\"rms\":" + rms.toPlainString() + ",\"zero_crossings\":" + zeroCrossings + ",\"checksum\":" +
                checksum + ",\"samples\":" + samples + ",\"transcript\":\"" + transcript + "\",\"audio_bytes\":" +
                audioBytes + "}";
        }
    }

    private GoldenVectors()
    {
    }

    public static List<Vector> load() throws Exception
    {
        final String path = System.getProperty("golden.vectors");
        if (null == path || path.isBlank())
        {
            throw new IllegalStateException("system property golden.vectors is not set");
        }
        final JsonArray array;
        try (Reader reader = Files.newBufferedReader(Path.of(path)))
        {
            array = (JsonArray)Jsoner.deserialize(reader);
        }
        final List<Vector> vectors = new ArrayList<>();
        for (final Object element : array)
        {
            final JsonObject vector = (JsonObject)element;
            final JsonObject expect = (JsonObject)vector.get("expect");
            vectors.add(new Vector(
                number(vector, "session_id").longValueExact(),
                number(vector, "first_seq").longValueExact(),
                number(vector, "last_seq").longValueExact(),
                number(vector, "cpu_passes").intValueExact(),
                number(expect, "rms"),
                number(expect, "zero_crossings").longValueExact(),
                number(expect, "checksum").longValueExact(),
                number(expect, "samples").longValueExact(),
                (String)expect.get("transcript"),
                number(expect, "audio_bytes").longValueExact()));
        }
        if (vectors.isEmpty())
        {
            throw new IllegalStateException("no vectors in " + path);
        }
        return vectors;
    }

    /**
     * @return frames {@code firstSeq..lastSeq} of session {@code sessionId}: 320 samples each,
     * {@code ((seq*320 + id + k) * 17) mod 20000 - 10000}, s16le.
     */
    public static byte[] pcm(final long sessionId, final long firstSeq, final long lastSeq)
    {
        final int frames = (int)(lastSeq - firstSeq + 1);
        final ByteBuffer out = ByteBuffer.allocate(frames * SAMPLES_PER_FRAME * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (long seq = firstSeq; seq <= lastSeq; seq++)
        {
            for (int k = 0; k < SAMPLES_PER_FRAME; k++)
            {
                out.putShort((short)(Long.remainderUnsigned((seq * SAMPLES_PER_FRAME + sessionId + k) * 17, 20000) - 10000));
            }
        }
        return out.array();
    }

    private static BigDecimal number(final JsonObject object, final String key)
    {
        final Object value = object.get(key);
        if (!(value instanceof BigDecimal number))
        {
            throw new IllegalStateException("golden vector field " + key + " is not a number: " + value);
        }
        return number;
    }
}
