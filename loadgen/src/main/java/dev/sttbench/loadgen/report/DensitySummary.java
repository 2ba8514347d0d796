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
import java.util.Map;
import java.util.TreeSet;

/**
 * The JSON that {@code loadgen density --out FILE} writes, read strictly: a missing field names itself. Failure
 * causes come back in the loadgen's order, followed by any cause this reader does not know yet.
 */
public final class DensitySummary {
    public static final String FILE_NAME = "density.json";
    /** The failure causes, in the order the loadgen documents them. */
    static final List<String> FAILURE_CAUSES = List.of("refused", "timeout", "reset", "http_503", "http_other",
            "protocol", "local_address", "closed_by_server", "dead", "unanswered_frames", "close_timeout");

    /** Pong round trips of the final ping, ms; NaN when none was measured. */
    public record Liveness(long checked, long alive, double pongP50Ms, double pongP99Ms, double pongMaxMs) {
    }

    /** Audio frames of a run with {@code --frame-interval-ms}: all zero for silent connections. */
    public record Frames(long sent, long partials, long errorFrames, long answered) {
    }

    /** The load generator's own cost; {@code limited} says it could not keep up (its reason says why). */
    public record Client(double cpuSeconds, double openCpuPct, double holdCpuPct, long peakRssKb, boolean limited,
                         String limitedReason) {
    }

    private final Path file;
    private final Map<?, ?> json;

    private DensitySummary(Path file, Map<?, ?> json) {
        this.file = file;
        this.json = json;
    }

    public static DensitySummary read(Path file) {
        try {
            Object parsed = Jsoner.deserialize(Files.readString(file));
            if (!(parsed instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException(file + ": not a JSON object");
            }
            return new DensitySummary(file, map);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (JsonException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public String url() {
        return string(json, "url");
    }

    public long connectionsRequested() {
        return count(json, "connections_requested");
    }

    public long frameIntervalMs() {
        return count(json, "frame_interval_ms");
    }

    public long holdSeconds() {
        return count(json, "hold_seconds");
    }

    public long processes() {
        return count(json, "processes");
    }

    public List<String> sourceAddresses() {
        if (!(json.get("source_addresses") instanceof List<?> list)) {
            throw missing("source_addresses", "an array");
        }
        List<String> addresses = new ArrayList<>();
        list.forEach(a -> addresses.add(String.valueOf(a)));
        return addresses;
    }

    public long opened() {
        return count(object(json, "open"), "opened");
    }

    /** How long opening took, s. */
    public double openSeconds() {
        return number(object(json, "open"), "seconds");
    }

    public double openRatePerSecond() {
        return number(object(json, "open"), "rate_per_s");
    }

    public double requestedRatePerSecond() {
        return number(object(json, "open"), "requested_rate_per_s");
    }

    /** Every failure cause with its count, known causes first in the loadgen's order. */
    public Map<String, Long> failures() {
        Map<?, ?> failures = object(json, "failures");
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String cause : FAILURE_CAUSES) {
            if (failures.containsKey(cause)) {
                counts.put(cause, count(failures, cause));
            }
        }
        TreeSet<String> others = new TreeSet<>();
        failures.keySet().forEach(k -> others.add(String.valueOf(k)));
        others.removeAll(counts.keySet());
        others.forEach(cause -> counts.put(cause, count(failures, cause)));
        return counts;
    }

    public long failuresTotal() {
        return count(json, "failures_total");
    }

    public Liveness liveness() {
        Map<?, ?> l = object(json, "liveness");
        return new Liveness(count(l, "checked"), count(l, "alive"), optionalNumber(l, "pong_p50_ms"),
                optionalNumber(l, "pong_p99_ms"), optionalNumber(l, "pong_max_ms"));
    }

    public Frames frames() {
        Map<?, ?> f = object(json, "frames");
        return new Frames(count(f, "sent"), count(f, "partials"), count(f, "error_frames"), count(f, "answered"));
    }

    public Client client() {
        Map<?, ?> c = object(json, "loadgen");
        Object limited = c.get("limited");
        if (!(limited instanceof Boolean isLimited)) {
            throw missing("loadgen.limited", "a boolean");
        }
        Object reason = c.get("limited_reason");
        return new Client(number(c, "cpu_seconds"), optionalNumber(c, "open_cpu_pct"), optionalNumber(c, "hold_cpu_pct"),
                count(c, "peak_rss_kb"), isLimited, reason == null ? "" : String.valueOf(reason));
    }

    public long startedEpochMs() {
        return count(json, "started_epoch_ms");
    }

    public long openDoneEpochMs() {
        return count(json, "open_done_epoch_ms");
    }

    public long holdDoneEpochMs() {
        return count(json, "hold_done_epoch_ms");
    }

    public long finishedEpochMs() {
        return count(json, "finished_epoch_ms");
    }

    private Map<?, ?> object(Map<?, ?> parent, String key) {
        if (!(parent.get(key) instanceof Map<?, ?> map)) {
            throw missing(key, "an object");
        }
        return map;
    }

    private String string(Map<?, ?> parent, String key) {
        if (!(parent.get(key) instanceof String s)) {
            throw missing(key, "a string");
        }
        return s;
    }

    private long count(Map<?, ?> parent, String key) {
        if (!(parent.get(key) instanceof BigDecimal n)) {
            throw missing(key, "a number");
        }
        try {
            return n.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(file + ": field " + key + " is not a whole number: " + n, e);
        }
    }

    private double number(Map<?, ?> parent, String key) {
        if (!(parent.get(key) instanceof BigDecimal n)) {
            throw missing(key, "a number");
        }
        return n.doubleValue();
    }

    /** A number that may be null (nothing measured): NaN then; absent is still an error. */
    private double optionalNumber(Map<?, ?> parent, String key) {
        if (!parent.containsKey(key)) {
            throw missing(key, "a number or null");
        }
        return parent.get(key) instanceof BigDecimal n ? n.doubleValue() : Double.NaN;
    }

    private IllegalArgumentException missing(String key, String what) {
        return new IllegalArgumentException(file + ": field " + key + " is missing or not " + what);
    }
}
