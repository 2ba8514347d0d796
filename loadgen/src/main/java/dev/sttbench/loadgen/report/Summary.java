package dev.sttbench.loadgen.report;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.Jsoner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The {@code summary.json} of {@code loadgen run}, read strictly: a missing field names itself. */
public final class Summary {
    public static final String FILE_NAME = "summary.json";
    private static final String[] TIMEOUT_KINDS = {"connect", "send", "close", "session"};

    /** A latency distribution in ms, as the summary writes it. */
    public record Latency(double p50, double p95, double p99, double p999, double max) {
    }

    private final Path file;
    private final Map<?, ?> json;

    private Summary(Path file, Map<?, ?> json) {
        this.file = file;
        this.json = json;
    }

    public static Summary read(Path file) {
        try {
            Object parsed = Jsoner.deserialize(Files.readString(file));
            if (!(parsed instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException(file + ": not a JSON object");
            }
            return new Summary(file, map);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (JsonException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public long sessions() {
        return count(json, "sessions");
    }

    public long partials() {
        return count(json, "partials");
    }

    public long protocolErrors() {
        return count(json, "protocol_errors");
    }

    public long inferenceErrors() {
        return count(json, "inference_errors");
    }

    /**
     * Error frames by {@code stage/kind} (e.g. {@code inference_request/timeout}), sorted; the summary
     * lists them as {@code [{"stage":..,"kind":..,"count":..}]}.
     */
    public Map<String, Long> inferenceErrorCounts() {
        if (!(json.get("inference_error_counts") instanceof List<?> entries)) {
            throw missing("inference_error_counts", "an array");
        }
        Map<String, Long> counts = new TreeMap<>();
        for (Object entry : entries) {
            if (!(entry instanceof Map<?, ?> e) || e.get("stage") == null || e.get("kind") == null) {
                throw missing("inference_error_counts[].stage/kind", "a string");
            }
            counts.merge(e.get("stage") + "/" + e.get("kind"), count(e, "count"), Long::sum);
        }
        return counts;
    }

    /** Connect, send, close and session timeouts, in that order. */
    public Map<String, Long> timeouts() {
        Map<?, ?> timeouts = object(json, "timeouts");
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String kind : TIMEOUT_KINDS) {
            counts.put(kind, count(timeouts, kind));
        }
        return counts;
    }

    /** What the SLO counts as errors: protocol errors + error frames + every timeout. */
    public long errors() {
        return protocolErrors() + inferenceErrors() + timeouts().values().stream().mapToLong(Long::longValue).sum();
    }

    public Latency newestLatency() {
        return latency("newest_frame_to_partial_latency");
    }

    public Latency oldestLatency() {
        return latency("oldest_frame_to_partial_latency");
    }

    public Latency flushLateness() {
        return latency("flush_lateness");
    }

    public Latency sendLag() {
        return latency("send_lag");
    }

    public long framesSent() {
        return count(json, "frames_sent");
    }

    public long sessionsConnected() {
        return count(json, "sessions_connected");
    }

    public long clientThreads() {
        return count(object(json, "client"), "threads");
    }

    public double clientCpuSeconds() {
        return number(object(json, "client"), "cpu_seconds");
    }

    public boolean clientBound() {
        Object value = json.get("client_bound");
        if (!(value instanceof Boolean b)) {
            throw missing("client_bound", "a boolean");
        }
        return b;
    }

    /** PASS, FAIL or INVALID. */
    public String verdict() {
        Object value = object(json, "slo").get("verdict");
        if (value == null) {
            throw missing("slo.verdict", "a string");
        }
        return String.valueOf(value).toUpperCase(Locale.ROOT);
    }

    public List<String> failedGates() {
        Object value = object(json, "slo").get("failed_gates");
        if (!(value instanceof List<?> list)) {
            throw missing("slo.failed_gates", "an array");
        }
        List<String> gates = new ArrayList<>();
        list.forEach(g -> gates.add(String.valueOf(g)));
        return gates;
    }

    private Latency latency(String key) {
        Map<?, ?> l = object(json, key);
        return new Latency(number(l, "p50_ms"), number(l, "p95_ms"), number(l, "p99_ms"), number(l, "p999_ms"),
                number(l, "max_ms"));
    }

    private Map<?, ?> object(Map<?, ?> parent, String key) {
        if (!(parent.get(key) instanceof Map<?, ?> map)) {
            throw missing(key, "an object");
        }
        return map;
    }

    private long count(Map<?, ?> parent, String key) {
        return asLong(key, parent.get(key));
    }

    private long asLong(String key, Object value) {
        if (!(value instanceof BigDecimal n)) {
            throw missing(key, "a number");
        }
        return n.longValueExact();
    }

    private double number(Map<?, ?> parent, String key) {
        if (!(parent.get(key) instanceof BigDecimal n)) {
            throw missing(key, "a number");
        }
        return n.doubleValue();
    }

    private IllegalArgumentException missing(String key, String what) {
        return new IllegalArgumentException(file + ": field " + key + " is missing or not " + what);
    }
}
