package dev.sttbench.gateway.protocol;

import com.github.cliftonlabs.json_simple.JsonArray;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncodersTest
{
    private static final Set<String> PARTIAL_KEYS = Set.of("type", "oldest_frame_seq", "newest_frame_seq", "frames",
        "rms", "zero_crossings", "checksum", "samples", "transcript", "audio_bytes", "cpu_passes", "model_delay_ms",
        "flush_lateness_ms", "inflight_model_jobs");
    private static final Set<String> ERROR_KEYS = Set.of("type", "stage", "kind", "message", "oldest_frame_seq",
        "newest_frame_seq", "frames", "audio_bytes", "oldest_age_ms", "newest_age_ms", "flush_lateness_ms",
        "inference_elapsed_ms", "inflight_gateway_batches", "gateway_buffer_frames", "inference_status",
        "retryable");

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8192]);

    private JsonObject decode(final int offset, final int length) throws Exception
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return (JsonObject)Jsoner.deserialize(new String(bytes, StandardCharsets.UTF_8));
    }

    @Test
    void goldenResponsesBecomePartialsWithExactlyTheFourteenKeys() throws Exception
    {
        final String path = System.getProperty("golden.vectors");
        assertNotNull(path, "system property golden.vectors must point at golden-vectors.json");
        final JsonArray vectors = (JsonArray)Jsoner.deserialize(Files.readString(Path.of(path)));
        assertTrue(vectors.size() > 0);
        final InferenceResponseParser parser = new InferenceResponseParser();
        final InferenceResult result = new InferenceResult();
        final PartialEncoder encoder = new PartialEncoder(4, 75);
        for (final Object item : vectors)
        {
            final JsonObject expect = (JsonObject)((JsonObject)item).get("expect");
            final byte[] response = Jsoner.serialize(expect).getBytes(StandardCharsets.UTF_8);
            assertTrue(parser.parse(response, response.length, result), expect.toJson());
            final long first = ((BigDecimal)((JsonObject)item).get("first_seq")).longValue();
            final long last = ((BigDecimal)((JsonObject)item).get("last_seq")).longValue();
            final int length = encoder.encode(buffer, 16, first, (int)(last - first + 1), result, 1_234_567, 3);
            final JsonObject partial = decode(16, length);
            assertEquals(PARTIAL_KEYS, partial.keySet());
            assertEquals("partial", partial.get("type"));
            assertEquals(first, ((BigDecimal)partial.get("oldest_frame_seq")).longValue());
            assertEquals(last, ((BigDecimal)partial.get("newest_frame_seq")).longValue());
            assertEquals(last - first + 1, ((BigDecimal)partial.get("frames")).longValue());
            for (final String key : new String[]{ "rms", "zero_crossings", "checksum", "samples", "audio_bytes" })
            {
                assertEquals(0, ((BigDecimal)expect.get(key)).compareTo((BigDecimal)partial.get(key)), key);
            }
            assertEquals(expect.get("transcript"), partial.get("transcript"));
            assertEquals(new BigDecimal("4"), partial.get("cpu_passes"));
            assertEquals(new BigDecimal("75"), partial.get("model_delay_ms"));
            assertEquals(new BigDecimal("1.234"), partial.get("flush_lateness_ms"));
            assertEquals(new BigDecimal("3"), partial.get("inflight_model_jobs"));
        }
    }

    @Test
    void errorsHaveExactlyTheSixteenKeysWithNullsWhenNoResponseCame() throws Exception
    {
        final ErrorEncoder encoder = new ErrorEncoder();
        int length = encoder.encode(buffer, 0, ErrorKind.TIMEOUT, 51, 50, 640, 2_500_000_000L, 1_520_000_000L,
            3_000, ErrorEncoder.ABSENT, 7, 80, ErrorEncoder.ABSENT);
        JsonObject error = decode(0, length);
        assertEquals(ERROR_KEYS, error.keySet());
        assertEquals("inference_request", error.get("stage"));
        assertEquals("timeout", error.get("kind"));
        assertEquals(new BigDecimal("51"), error.get("oldest_frame_seq"));
        assertEquals(new BigDecimal("100"), error.get("newest_frame_seq"));
        assertEquals(new BigDecimal("32000"), error.get("audio_bytes"));
        assertEquals(new BigDecimal("2500.000"), error.get("oldest_age_ms"));
        assertEquals(new BigDecimal("1520.000"), error.get("newest_age_ms"));
        assertEquals(new BigDecimal("0.003"), error.get("flush_lateness_ms"));
        assertTrue(error.containsKey("inference_elapsed_ms"));
        assertNull(error.get("inference_elapsed_ms"));
        assertNull(error.get("inference_status"));
        assertEquals(new BigDecimal("7"), error.get("inflight_gateway_batches"));
        assertEquals(new BigDecimal("80"), error.get("gateway_buffer_frames"));
        assertEquals(Boolean.TRUE, error.get("retryable"));

        length = encoder.encode(buffer, 0, ErrorKind.PARSE_ERROR, 1, 1, 640, 0, 0, 0, 80_250_000, 0, 1, 200);
        error = decode(0, length);
        assertEquals(ERROR_KEYS, error.keySet());
        assertEquals("inference_response_parse", error.get("stage"));
        assertEquals(new BigDecimal("80.250"), error.get("inference_elapsed_ms"));
        assertEquals(new BigDecimal("200"), error.get("inference_status"));
        assertEquals(Boolean.FALSE, error.get("retryable"));
    }

    @Test
    void httpStatusesMapToTheirKinds()
    {
        assertEquals(ErrorKind.HTTP_429, ErrorKind.ofHttpStatus(429));
        assertEquals(ErrorKind.HTTP_5XX, ErrorKind.ofHttpStatus(500));
        assertEquals(ErrorKind.HTTP_5XX, ErrorKind.ofHttpStatus(503));
        assertEquals(ErrorKind.HTTP_4XX, ErrorKind.ofHttpStatus(400));
        assertEquals(ErrorKind.HTTP_4XX, ErrorKind.ofHttpStatus(404));
    }
}
