package dev.sttbench.netty;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * PROTOCOL.md's messages: the start message check, the strict parse of the inference response (§2), and the
 * partial (14 keys) and error (16 keys) JSON written straight into a {@link ByteBuf}, constants pre-encoded and
 * the response's values copied byte for byte.
 */
final class Protocol
{
    /** A response body longer than this is a parse error (a partial carries it almost whole). */
    static final int MAX_RESPONSE_BYTES = 4096;
    /** A start message longer than this closes the session with 1009. */
    static final int MAX_START_MESSAGE_BYTES = 4096;
    /** Marks an absent HTTP status or elapsed time, written as JSON null. */
    static final long ABSENT = -1;

    /** Why a batch could not be served: §1's stage/kind pairs plus gateway-nio's one extension, buffer_overflow. */
    enum ErrorKind
    {
        CONNECTION_RESET("inference_request", "connection_reset", true, "inference service connection failed"),
        TIMEOUT("inference_request", "timeout", true, "inference request exceeded INFERENCE_TIMEOUT_MS"),
        HTTP_5XX("inference_request", "http_5xx", true, "inference service answered with a server error"),
        HTTP_429("inference_request", "http_429", true, "inference service is rate limiting"),
        HTTP_4XX("inference_request", "http_4xx", false, "inference service rejected the request"),
        PARSE_ERROR("inference_response_parse", "parse_error", false, "inference response is not the expected JSON"),
        BUFFER_OVERFLOW("gateway_buffer", "buffer_overflow", true, "session buffer full: frames shed unprocessed");

        final String kind;
        final boolean retryable;
        /** {@code "stage":"…","kind":"…","message":"…",} pre-encoded. */
        private final byte[] encodedPrefix;

        ErrorKind(final String stage, final String kind, final boolean retryable, final String message)
        {
            this.kind = kind;
            this.retryable = retryable;
            encodedPrefix = ascii("\"stage\":\"" + stage + "\",\"kind\":\"" + kind + "\",\"message\":\"" + message + "\",");
        }

        static ErrorKind ofHttpStatus(final int status)
        {
            if (429 == status)
            {
                return HTTP_429;
            }
            return status >= 500 ? HTTP_5XX : HTTP_4XX;
        }
    }

    private Protocol()
    {
    }

    // ---- start message ---------------------------------------------------------------------------------------

    /**
     * A JSON object whose {@code type} is {@code "start"}; extra keys are fine. A number json-simple cannot hold is
     * unreadable, like non-JSON. (UTF-8 was checked by Netty's {@code Utf8FrameValidator}.)
     */
    static boolean isStartMessage(final ByteBuf text)
    {
        try
        {
            final Object parsed = Jsoner.deserialize(text.toString(StandardCharsets.UTF_8));
            return parsed instanceof JsonObject object && "start".equals(object.get("type"));
        }
        catch (final JsonException | NumberFormatException ex)
        {
            return false;
        }
    }

    // ---- inference response ------------------------------------------------------------------------------------

    /** Spans of the six response values in the response body: {@code [offset, offset + length)}. */
    static final class InferenceResult
    {
        static final int RMS = 0;
        static final int ZERO_CROSSINGS = 1;
        static final int CHECKSUM = 2;
        static final int SAMPLES = 3;
        static final int TRANSCRIPT = 4;
        static final int AUDIO_BYTES = 5;
        static final int FIELD_COUNT = 6;

        final int[] offsets = new int[FIELD_COUNT];
        final int[] lengths = new int[FIELD_COUNT];
        ByteBuf body;
    }

    /**
     * Strict parser of §2's response: one JSON object with exactly rms (number), zero_crossings, samples,
     * audio_bytes (u64), checksum (u32) and transcript (non-empty string), each once. It records spans of the body.
     */
    static final class ResponseParser
    {
        private static final byte[][] KEYS = {
            ascii("rms"), ascii("zero_crossings"), ascii("checksum"), ascii("samples"), ascii("transcript"),
            ascii("audio_bytes"),
        };
        private static final byte[] U64_MAX = ascii("18446744073709551615");
        private static final long U32_MAX = 0xFFFF_FFFFL;
        private static final int NO_MATCH = -1;

        private ByteBuf body;
        private int end;
        private int index;

        /** Parse the readable bytes of {@code body} into {@code result}; false unless exactly the expected object. */
        boolean parse(final ByteBuf body, final InferenceResult result)
        {
            if (body.readableBytes() > MAX_RESPONSE_BYTES)
            {
                return false;
            }
            this.body = body;
            this.index = body.readerIndex();
            this.end = body.writerIndex();
            result.body = body;
            java.util.Arrays.fill(result.lengths, NO_MATCH);

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
            while (index < end && '"' != body.getByte(index))
            {
                if ('\\' == body.getByte(index))
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
                if (equalsAt(start, length, KEYS[field]))
                {
                    return field;
                }
            }
            return NO_MATCH;
        }

        private boolean equalsAt(final int start, final int length, final byte[] expected)
        {
            if (length != expected.length)
            {
                return false;
            }
            for (int i = 0; i < length; i++)
            {
                if (body.getByte(start + i) != expected[i])
                {
                    return false;
                }
            }
            return true;
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
                final int b = body.getByte(index) & 0xFF;
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
            final byte escaped = body.getByte(index++);
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
                        if (index == end || Character.digit(body.getByte(index++), 16) < 0)
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
                return index == end || !isDigit(body.getByte(index));
            }
            return digits() > 0;
        }

        private boolean fitsU64(final int start)
        {
            final int length = index - start;
            if (length != U64_MAX.length)
            {
                return length < U64_MAX.length;
            }
            for (int i = 0; i < length; i++)
            {
                final int diff = body.getByte(start + i) - U64_MAX[i];
                if (0 != diff)
                {
                    return diff < 0;
                }
            }
            return true;
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
                value = value * 10 + (body.getByte(i) - '0');
            }
            return value <= U32_MAX;
        }

        private int digits()
        {
            final int start = index;
            while (index < end && isDigit(body.getByte(index)))
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
            if (index < end && expected == body.getByte(index))
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
                final byte b = body.getByte(index);
                if (' ' != b && '\t' != b && '\n' != b && '\r' != b)
                {
                    return;
                }
                index++;
            }
        }
    }

    // ---- partial and error frames ------------------------------------------------------------------------------

    private static final byte[] P_OLDEST = ascii("{\"type\":\"partial\",\"oldest_frame_seq\":");
    private static final byte[] P_NEWEST = ascii(",\"newest_frame_seq\":");
    private static final byte[] P_FRAMES = ascii(",\"frames\":");
    private static final byte[] P_RMS = ascii(",\"rms\":");
    private static final byte[] P_ZERO_CROSSINGS = ascii(",\"zero_crossings\":");
    private static final byte[] P_CHECKSUM = ascii(",\"checksum\":");
    private static final byte[] P_SAMPLES = ascii(",\"samples\":");
    private static final byte[] P_TRANSCRIPT = ascii(",\"transcript\":\"");
    private static final byte[] P_AUDIO_BYTES = ascii("\",\"audio_bytes\":");
    private static final byte[] P_INFLIGHT = ascii(",\"inflight_model_jobs\":");

    private static final byte[] E_START = ascii("{\"type\":\"error\",");
    private static final byte[] E_OLDEST = ascii("\"oldest_frame_seq\":");
    private static final byte[] E_AUDIO_BYTES = ascii(",\"audio_bytes\":");
    private static final byte[] E_OLDEST_AGE = ascii(",\"oldest_age_ms\":");
    private static final byte[] E_NEWEST_AGE = ascii(",\"newest_age_ms\":");
    private static final byte[] E_LATENESS = ascii(",\"flush_lateness_ms\":");
    private static final byte[] E_ELAPSED = ascii(",\"inference_elapsed_ms\":");
    private static final byte[] E_INFLIGHT = ascii(",\"inflight_gateway_batches\":");
    private static final byte[] E_BUFFERED = ascii(",\"gateway_buffer_frames\":");
    private static final byte[] E_STATUS = ascii(",\"inference_status\":");
    private static final byte[] E_RETRYABLE = ascii(",\"retryable\":");
    private static final byte[] NULL = ascii("null");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");

    /** The partial's constant fields: {@code ,"cpu_passes":N,"model_delay_ms":N,"flush_lateness_ms":}. */
    static byte[] configuredPartialFields(final int cpuPasses, final long modelDelayMs)
    {
        return ascii(",\"cpu_passes\":" + cpuPasses + ",\"model_delay_ms\":" + modelDelayMs + ",\"flush_lateness_ms\":");
    }

    /** The 14-key partial of {@code frames} frames from {@code oldestSeq}, with {@code result}'s values. */
    static void writePartial(
        final ByteBuf out,
        final byte[] configuredFields,
        final long oldestSeq,
        final long frames,
        final InferenceResult result,
        final long flushLatenessNanos,
        final long inflightModelJobs)
    {
        out.writeBytes(P_OLDEST);
        writeNatural(out, oldestSeq);
        out.writeBytes(P_NEWEST);
        writeNatural(out, oldestSeq + frames - 1);
        out.writeBytes(P_FRAMES);
        writeNatural(out, frames);
        out.writeBytes(P_RMS);
        span(out, result, InferenceResult.RMS);
        out.writeBytes(P_ZERO_CROSSINGS);
        span(out, result, InferenceResult.ZERO_CROSSINGS);
        out.writeBytes(P_CHECKSUM);
        span(out, result, InferenceResult.CHECKSUM);
        out.writeBytes(P_SAMPLES);
        span(out, result, InferenceResult.SAMPLES);
        out.writeBytes(P_TRANSCRIPT);
        span(out, result, InferenceResult.TRANSCRIPT);
        out.writeBytes(P_AUDIO_BYTES);
        span(out, result, InferenceResult.AUDIO_BYTES);
        out.writeBytes(configuredFields);
        writeMillis(out, flushLatenessNanos);
        out.writeBytes(P_INFLIGHT);
        writeNatural(out, inflightModelJobs);
        out.writeByte('}');
    }

    /** The 16-key error frame; {@code inferenceElapsedNanos} and {@code inferenceStatus} may be {@link #ABSENT}. */
    static void writeError(
        final ByteBuf out,
        final ErrorKind kind,
        final long oldestSeq,
        final long frames,
        final long oldestAgeNanos,
        final long newestAgeNanos,
        final long flushLatenessNanos,
        final long inferenceElapsedNanos,
        final long inflightGatewayBatches,
        final long gatewayBufferFrames,
        final long inferenceStatus)
    {
        out.writeBytes(E_START);
        out.writeBytes(kind.encodedPrefix);
        out.writeBytes(E_OLDEST);
        writeNatural(out, oldestSeq);
        out.writeBytes(P_NEWEST);
        writeNatural(out, oldestSeq + frames - 1);
        out.writeBytes(P_FRAMES);
        writeNatural(out, frames);
        out.writeBytes(E_AUDIO_BYTES);
        writeNatural(out, frames * GatewayConfig.FRAME_BYTES);
        out.writeBytes(E_OLDEST_AGE);
        writeMillis(out, oldestAgeNanos);
        out.writeBytes(E_NEWEST_AGE);
        writeMillis(out, newestAgeNanos);
        out.writeBytes(E_LATENESS);
        writeMillis(out, flushLatenessNanos);
        out.writeBytes(E_ELAPSED);
        if (ABSENT == inferenceElapsedNanos)
        {
            out.writeBytes(NULL);
        }
        else
        {
            writeMillis(out, inferenceElapsedNanos);
        }
        out.writeBytes(E_INFLIGHT);
        writeNatural(out, inflightGatewayBatches);
        out.writeBytes(E_BUFFERED);
        writeNatural(out, gatewayBufferFrames);
        out.writeBytes(E_STATUS);
        if (ABSENT == inferenceStatus)
        {
            out.writeBytes(NULL);
        }
        else
        {
            writeNatural(out, inferenceStatus);
        }
        out.writeBytes(E_RETRYABLE);
        out.writeBytes(kind.retryable ? TRUE : FALSE);
        out.writeByte('}');
    }

    private static void span(final ByteBuf out, final InferenceResult result, final int field)
    {
        out.writeBytes(result.body, result.offsets[field], result.lengths[field]);
    }

    /** A non-negative whole number in ASCII, without allocating. */
    static void writeNatural(final ByteBuf out, final long value)
    {
        if (value < 10)
        {
            out.writeByte('0' + (int)Math.max(0, value));
            return;
        }
        long divisor = 10;
        while (divisor <= value / 10)
        {
            divisor *= 10;
        }
        long rest = value;
        for (; divisor > 0; divisor /= 10)
        {
            out.writeByte('0' + (int)(rest / divisor));
            rest %= divisor;
        }
    }

    /** A duration in nanoseconds as milliseconds with three decimals; negative durations are written as 0. */
    static void writeMillis(final ByteBuf out, final long nanos)
    {
        final long micros = Math.max(0, nanos) / 1_000;
        writeNatural(out, micros / 1_000);
        out.writeByte('.');
        final int fraction = (int)(micros % 1_000);
        out.writeByte('0' + fraction / 100);
        out.writeByte('0' + fraction / 10 % 10);
        out.writeByte('0' + fraction % 10);
    }

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
