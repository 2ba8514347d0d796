package dev.sttbench.loadgen.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessageValidatorTest {
    static final String PARTIAL = "{\"type\":\"partial\",\"oldest_frame_seq\":51,\"newest_frame_seq\":100,\"frames\":50,"
            + "\"rms\":2425.5023191083533,\"zero_crossings\":7,\"checksum\":1745339397,\"samples\":64000,"
            + "\"transcript\":\"now\",\"audio_bytes\":32000,\"cpu_passes\":4,\"model_delay_ms\":75,"
            + "\"flush_lateness_ms\":0.412,\"inflight_model_jobs\":3}";
    static final String ERROR = "{\"type\":\"error\",\"stage\":\"inference_request\",\"kind\":\"timeout\","
            + "\"message\":\"timed out\",\"oldest_frame_seq\":1,\"newest_frame_seq\":1,\"frames\":1,\"audio_bytes\":640,"
            + "\"oldest_age_ms\":2000.0,\"newest_age_ms\":2000.0,\"flush_lateness_ms\":0.0,"
            + "\"inference_elapsed_ms\":2000.5,\"inflight_gateway_batches\":1,\"gateway_buffer_frames\":0,"
            + "\"inference_status\":null,\"retryable\":true}";

    @Test
    void acceptsAWellFormedPartial() throws ProtocolViolation {
        ServerMessage partial = MessageValidator.validate(PARTIAL);
        assertTrue(partial.isPartial());
        assertEquals(51, partial.oldestFrameSeq());
        assertEquals(100, partial.newestFrameSeq());
        assertEquals(50, partial.frames());
        assertEquals(0.412, partial.flushLatenessMs());
        assertEquals("now", partial.transcript());
    }

    @Test
    void acceptsAWellFormedErrorWithNullables() throws ProtocolViolation {
        ServerMessage error = MessageValidator.validate(ERROR);
        assertFalse(error.isPartial());
        assertEquals("inference_request", error.stage());
        assertEquals("timeout", error.kind());
        assertNull(error.inferenceStatus());
        assertTrue(error.retryable());
        ServerMessage withStatus = MessageValidator.validate(ERROR.replace("\"inference_status\":null", "\"inference_status\":503")
                .replace("\"kind\":\"timeout\"", "\"kind\":\"http_5xx\"").replace("2000.5", "null"));
        assertEquals(503, withStatus.inferenceStatus());
    }

    @Test
    void acceptsTheBufferOverflowExtension() throws ProtocolViolation {
        ServerMessage shed = MessageValidator.validate(ERROR.replace("\"stage\":\"inference_request\",\"kind\":\"timeout\"",
                "\"stage\":\"gateway_buffer\",\"kind\":\"buffer_overflow\""));
        assertEquals("buffer_overflow", shed.kind());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "missing key                 | ,\"inflight_model_jobs\":3        | ~~                          | missing [inflight_model_jobs]",
        "unexpected key              | \"inflight_model_jobs\":3         | \"inflight_model_jobs\":3,\"x\":1 | unexpected [x]",
        "string for an integer       | \"frames\":50                     | \"frames\":\"50\"              | frames must be an integer",
        "float for an integer        | \"frames\":50                     | \"frames\":50.0                | frames must be an integer",
        "exponent for an integer     | \"zero_crossings\":7              | \"zero_crossings\":7e3         | zero_crossings must be an integer",
        "negative integer            | \"zero_crossings\":7              | \"zero_crossings\":-7          | out of range",
        "checksum beyond u32         | \"checksum\":1745339397           | \"checksum\":4294967296        | out of range for u32",
        "cpu_passes beyond u32       | \"cpu_passes\":4                  | \"cpu_passes\":4294967296      | out of range for u32",
        "string for a float          | \"rms\":2425.5023191083533        | \"rms\":\"2425\"               | rms must be a number",
        "null value                  | \"model_delay_ms\":75             | \"model_delay_ms\":null        | model_delay_ms must be an integer",
        "transcript not a string     | \"transcript\":\"now\"            | \"transcript\":7               | transcript must be a string",
        "empty transcript            | \"transcript\":\"now\"            | \"transcript\":\"\"            | transcript must be non-empty",
        "zero samples                | \"samples\":64000                 | \"samples\":0                  | samples must be positive",
        "frames not newest-oldest+1  | \"frames\":50                     | \"frames\":49                  | frames 49 != newest - oldest + 1",
        "audio_bytes not frames*640  | \"audio_bytes\":32000             | \"audio_bytes\":32001          | audio_bytes 32001 != frames * 640",
        "oldest seq zero             | \"oldest_frame_seq\":51,\"newest_frame_seq\":100,\"frames\":50 | \"oldest_frame_seq\":0,\"newest_frame_seq\":49,\"frames\":50 | oldest_frame_seq must be >= 1",
        "newest before oldest        | \"newest_frame_seq\":100          | \"newest_frame_seq\":50        | newest_frame_seq 50 < oldest_frame_seq 51",
        "negative flush lateness     | \"flush_lateness_ms\":0.412       | \"flush_lateness_ms\":-0.1     | flush_lateness_ms must be >= 0",
        "unknown type                | \"type\":\"partial\"              | \"type\":\"final\"             | unknown message type",
    })
    void rejectsEachMalformedPartial(String name, String from, String to, String why) {
        String text = PARTIAL.replace(from, to == null ? "" : to);
        assertTrue(!text.equals(PARTIAL), "the case must change the message");
        ProtocolViolation violation = assertThrows(ProtocolViolation.class, () -> MessageValidator.validate(text));
        assertTrue(violation.getMessage().contains(why), violation.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "unknown stage               | \"stage\":\"inference_request\"   | \"stage\":\"decode\"           | unknown stage",
        "kind of another stage       | \"kind\":\"timeout\"              | \"kind\":\"buffer_overflow\"   | is not one of stage inference_request",
        "status beyond u16           | \"inference_status\":null         | \"inference_status\":70000     | out of range for u16",
        "retryable not a boolean     | \"retryable\":true                | \"retryable\":1                | retryable must be a boolean",
        "null where not nullable     | \"oldest_age_ms\":2000.0          | \"oldest_age_ms\":null         | oldest_age_ms must be a number",
        "missing message             | \"message\":\"timed out\",        | ~~                          | missing [message]",
        "audio_bytes not frames*640  | \"audio_bytes\":640               | \"audio_bytes\":641            | audio_bytes 641",
    })
    void rejectsEachMalformedError(String name, String from, String to, String why) {
        String text = ERROR.replace(from, to == null ? "" : to);
        assertTrue(!text.equals(ERROR), "the case must change the message");
        ProtocolViolation violation = assertThrows(ProtocolViolation.class, () -> MessageValidator.validate(text));
        assertTrue(violation.getMessage().contains(why), violation.getMessage());
    }

    @Test
    void rejectsWhatIsNotAJsonObject() {
        assertTrue(assertThrows(ProtocolViolation.class, () -> MessageValidator.validate("{\"type\":"))
                .getMessage().startsWith("not JSON"));
        assertTrue(assertThrows(ProtocolViolation.class, () -> MessageValidator.validate("[1,2]"))
                .getMessage().contains("not a JSON object"));
    }
}
