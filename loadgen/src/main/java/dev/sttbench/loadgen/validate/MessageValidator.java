package dev.sttbench.loadgen.validate;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.loadgen.audio.Pcm;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict validation of server text messages against PROTOCOL.md §1: the exact key set of {@code partial}
 * and {@code error}, each value's JSON type and range (integers must be written as integers: {@code 1.0}
 * or {@code 1e3} is not a u64), and the invariants between fields ({@code frames = newest - oldest + 1},
 * {@code audio_bytes = frames * 640}).
 */
public final class MessageValidator {
    private enum Kind { STRING, U16, U32, U64, F64, BOOL }

    private static final Map<String, Kind> PARTIAL_KEYS = Map.ofEntries(
            Map.entry("type", Kind.STRING),
            Map.entry("oldest_frame_seq", Kind.U64),
            Map.entry("newest_frame_seq", Kind.U64),
            Map.entry("frames", Kind.U64),
            Map.entry("rms", Kind.F64),
            Map.entry("zero_crossings", Kind.U64),
            Map.entry("checksum", Kind.U32),
            Map.entry("samples", Kind.U64),
            Map.entry("transcript", Kind.STRING),
            Map.entry("audio_bytes", Kind.U64),
            Map.entry("cpu_passes", Kind.U32),
            Map.entry("model_delay_ms", Kind.U64),
            Map.entry("flush_lateness_ms", Kind.F64),
            Map.entry("inflight_model_jobs", Kind.U64));

    private static final Map<String, Kind> ERROR_KEYS = Map.ofEntries(
            Map.entry("type", Kind.STRING),
            Map.entry("stage", Kind.STRING),
            Map.entry("kind", Kind.STRING),
            Map.entry("message", Kind.STRING),
            Map.entry("oldest_frame_seq", Kind.U64),
            Map.entry("newest_frame_seq", Kind.U64),
            Map.entry("frames", Kind.U64),
            Map.entry("audio_bytes", Kind.U64),
            Map.entry("oldest_age_ms", Kind.F64),
            Map.entry("newest_age_ms", Kind.F64),
            Map.entry("flush_lateness_ms", Kind.F64),
            Map.entry("inference_elapsed_ms", Kind.F64),
            Map.entry("inflight_gateway_batches", Kind.U64),
            Map.entry("gateway_buffer_frames", Kind.U64),
            Map.entry("inference_status", Kind.U16),
            Map.entry("retryable", Kind.BOOL));

    private static final Set<String> ERROR_NULLABLE = Set.of("inference_elapsed_ms", "inference_status");

    /**
     * Stage → kinds it may report. {@code gateway_buffer}/{@code buffer_overflow} is the documented
     * extension: frames the gateway shed because a session's buffer was full.
     */
    private static final Map<String, Set<String>> ERROR_STAGE_KINDS = Map.of(
            "inference_request", Set.of("timeout", "http_5xx", "http_429", "http_4xx", "connection_reset",
                    "parse_error"),
            "inference_response_parse", Set.of("timeout", "http_5xx", "http_429", "http_4xx",
                    "connection_reset", "parse_error"),
            "gateway_buffer", Set.of("buffer_overflow"));

    private static final BigInteger U16_MAX = BigInteger.valueOf(0xFFFF);
    private static final BigInteger U32_MAX = BigInteger.valueOf(0xFFFF_FFFFL);
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private MessageValidator() {
    }

    /** Parses and validates one server text message. */
    public static ServerMessage validate(String text) throws ProtocolViolation {
        Object parsed;
        try {
            parsed = Jsoner.deserialize(text);
        } catch (JsonException e) {
            throw new ProtocolViolation("not JSON: " + e.getMessage());
        }
        if (!(parsed instanceof JsonObject json)) {
            throw new ProtocolViolation("not a JSON object");
        }
        Object type = json.get("type");
        if ("partial".equals(type)) {
            return partial(json);
        }
        if ("error".equals(type)) {
            return error(json);
        }
        throw new ProtocolViolation("unknown message type " + Jsoner.serialize(type));
    }

    private static ServerMessage partial(JsonObject json) throws ProtocolViolation {
        checkShape(json, PARTIAL_KEYS, Set.of(), "partial");
        long oldest = u64(json, "oldest_frame_seq");
        long newest = u64(json, "newest_frame_seq");
        long frames = u64(json, "frames");
        long audioBytes = u64(json, "audio_bytes");
        checkBatch(oldest, newest, frames, audioBytes, "partial");
        if (u64(json, "samples") == 0) {
            throw new ProtocolViolation("partial: samples must be positive");
        }
        String transcript = (String) json.get("transcript");
        if (transcript.isEmpty()) {
            throw new ProtocolViolation("partial: transcript must be non-empty");
        }
        double flushLateness = f64(json, "flush_lateness_ms");
        if (flushLateness < 0) {
            throw new ProtocolViolation("partial: flush_lateness_ms must be >= 0, got " + flushLateness);
        }
        if (f64(json, "rms") < 0) {
            throw new ProtocolViolation("partial: rms must be >= 0");
        }
        return new ServerMessage(ServerMessage.Type.PARTIAL, oldest, newest, frames, audioBytes, flushLateness,
                transcript, null, null, null, null, false, json);
    }

    private static ServerMessage error(JsonObject json) throws ProtocolViolation {
        checkShape(json, ERROR_KEYS, ERROR_NULLABLE, "error");
        String stage = (String) json.get("stage");
        String kind = (String) json.get("kind");
        Set<String> kinds = ERROR_STAGE_KINDS.get(stage);
        if (kinds == null) {
            throw new ProtocolViolation("error: unknown stage \"" + stage + "\"");
        }
        if (!kinds.contains(kind)) {
            throw new ProtocolViolation("error: kind \"" + kind + "\" is not one of stage " + stage + "'s " + new TreeSet<>(kinds));
        }
        long oldest = u64(json, "oldest_frame_seq");
        long newest = u64(json, "newest_frame_seq");
        long frames = u64(json, "frames");
        long audioBytes = u64(json, "audio_bytes");
        checkBatch(oldest, newest, frames, audioBytes, "error");
        double flushLateness = f64(json, "flush_lateness_ms");
        Object status = json.get("inference_status");
        Integer inferenceStatus = status == null ? null : ((BigDecimal) status).intValueExact();
        return new ServerMessage(ServerMessage.Type.ERROR, oldest, newest, frames, audioBytes, flushLateness, null,
                stage, kind, (String) json.get("message"), inferenceStatus, (Boolean) json.get("retryable"), json);
    }

    private static void checkBatch(long oldest, long newest, long frames, long audioBytes, String what)
            throws ProtocolViolation {
        if (oldest < 1) {
            throw new ProtocolViolation(what + ": oldest_frame_seq must be >= 1, got " + oldest);
        }
        if (newest < oldest) {
            throw new ProtocolViolation(what + ": newest_frame_seq " + newest + " < oldest_frame_seq " + oldest);
        }
        if (frames != newest - oldest + 1) {
            throw new ProtocolViolation(what + ": frames " + frames + " != newest - oldest + 1 = "
                    + (newest - oldest + 1));
        }
        if (audioBytes != frames * Pcm.FRAME_BYTES) {
            throw new ProtocolViolation(what + ": audio_bytes " + audioBytes + " != frames * 640");
        }
    }

    private static void checkShape(JsonObject json, Map<String, Kind> keys, Set<String> nullable, String what)
            throws ProtocolViolation {
        if (!json.keySet().equals(keys.keySet())) {
            Set<String> missing = new TreeSet<>(keys.keySet());
            missing.removeAll(json.keySet());
            Set<String> extra = new TreeSet<>(json.keySet());
            extra.removeAll(keys.keySet());
            throw new ProtocolViolation(what + ": key set differs, missing " + missing + ", unexpected " + extra);
        }
        for (Map.Entry<String, Kind> key : keys.entrySet()) {
            Object value = json.get(key.getKey());
            if (value == null && nullable.contains(key.getKey())) {
                continue;
            }
            String problem = typeProblem(value, key.getValue());
            if (problem != null) {
                throw new ProtocolViolation(what + ": " + key.getKey() + " " + problem);
            }
        }
    }

    private static String typeProblem(Object value, Kind kind) {
        switch (kind) {
            case STRING -> {
                return value instanceof String ? null : "must be a string, got " + Jsoner.serialize(value);
            }
            case BOOL -> {
                return value instanceof Boolean ? null : "must be a boolean, got " + Jsoner.serialize(value);
            }
            case F64 -> {
                if (!(value instanceof BigDecimal number)) {
                    return "must be a number, got " + Jsoner.serialize(value);
                }
                return Double.isFinite(number.doubleValue()) ? null : "must be a finite f64";
            }
            default -> {
                if (!(value instanceof BigDecimal number) || number.scale() != 0) {
                    return "must be an integer literal, got " + Jsoner.serialize(value);
                }
                BigInteger integer = number.unscaledValue();
                BigInteger max = kind == Kind.U16 ? U16_MAX : kind == Kind.U32 ? U32_MAX : U64_MAX;
                return integer.signum() >= 0 && integer.compareTo(max) <= 0
                        ? null : "out of range for " + kind.name().toLowerCase(Locale.ROOT) + ": " + integer;
            }
        }
    }

    /** A validated u64 as a long; values above 2^63-1 (never a real seq or size) saturate. */
    private static long u64(JsonObject json, String key) {
        BigInteger value = ((BigDecimal) json.get(key)).unscaledValue();
        return value.bitLength() < Long.SIZE ? value.longValue() : Long.MAX_VALUE;
    }

    private static double f64(JsonObject json, String key) {
        return ((BigDecimal) json.get(key)).doubleValue();
    }
}
