package dev.sttbench.loadgen.density;

import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.loadgen.stats.LatencyHistogram;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * What a density run (or one process of it) saw, and its JSON. A parent merges its children's results with
 * {@link #merge}: counts add up, the pong percentiles come from the children's histograms added together
 * (each child hands its histogram over in the hidden {@code liveness.pong_histogram}, so they are exact),
 * open seconds and CPU shares are the largest of any process, rates and peak RSS add up.
 *
 * @param openRatePerS      connections opened per second of the open phase (merged: the sum over processes,
 *                          which open in parallel)
 * @param requestedRatePerS {@code --rate}; a child's share of it in a child's own result
 * @param failures          counts indexed by {@link Cause#ordinal()}
 * @param openCpuPct        process CPU during the open phase in % of one core (merged: the busiest process)
 * @param peakRssKb         VmHWM (merged: the sum over processes, parent included: an upper bound, since the
 *                          peaks need not coincide)
 * @param firstFailures     cause key → its first failure in words, for stderr only (empty when merged: each
 *                          child prints its own)
 */
public record DensityResult(
        String url,
        int connectionsRequested,
        int frameIntervalMs,
        int holdSeconds,
        int processes,
        List<String> sourceAddresses,
        long opened,
        double openSeconds,
        double openRatePerS,
        double requestedRatePerS,
        long[] failures,
        long checked,
        long alive,
        Histogram pongMicros,
        long framesSent,
        long partials,
        long errorFrames,
        long framesAnswered,
        double cpuSeconds,
        double openCpuPct,
        double holdCpuPct,
        long peakRssKb,
        boolean limited,
        String limitedReason,
        long startedEpochMs,
        long openDoneEpochMs,
        long holdDoneEpochMs,
        long finishedEpochMs,
        Map<String, String> firstFailures) {

    private static final String HISTOGRAM_KEY = "pong_histogram";

    public long failuresTotal() {
        long total = 0;
        for (long count : failures) {
            total += count;
        }
        return total;
    }

    public long failures(Cause cause) {
        return failures[cause.ordinal()];
    }

    /** Every requested connection opened, stayed open, answered its ping, had its frames answered and closed. */
    public boolean passed() {
        return failuresTotal() == 0 && opened == connectionsRequested;
    }

    /**
     * The result's JSON, keys in the documented order. {@code withHistogram} adds the pong histogram a parent
     * needs to merge percentiles exactly (children only).
     */
    public Map<String, Object> toJson(boolean withHistogram) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", "density");
        json.put("url", url);
        json.put("connections_requested", connectionsRequested);
        json.put("frame_interval_ms", frameIntervalMs);
        json.put("hold_seconds", holdSeconds);
        json.put("processes", processes);
        json.put("source_addresses", sourceAddresses);
        Map<String, Object> open = new LinkedHashMap<>();
        open.put("opened", opened);
        open.put("seconds", decimal(openSeconds));
        open.put("rate_per_s", decimal(openRatePerS));
        open.put("requested_rate_per_s", number(requestedRatePerS));
        json.put("open", open);
        Map<String, Object> failureCounts = new LinkedHashMap<>();
        for (Cause cause : Cause.values()) {
            failureCounts.put(cause.key(), failures[cause.ordinal()]);
        }
        json.put("failures", failureCounts);
        json.put("failures_total", failuresTotal());
        Map<String, Object> liveness = new LinkedHashMap<>();
        liveness.put("checked", checked);
        liveness.put("alive", alive);
        liveness.put("pong_p50_ms", pongMillis(50.0));
        liveness.put("pong_p99_ms", pongMillis(99.0));
        liveness.put("pong_max_ms", pongMillis(100.0));
        if (withHistogram) {
            liveness.put(HISTOGRAM_KEY, encode(pongMicros));
        }
        json.put("liveness", liveness);
        Map<String, Object> frames = new LinkedHashMap<>();
        frames.put("sent", framesSent);
        frames.put("partials", partials);
        frames.put("error_frames", errorFrames);
        frames.put("answered", framesAnswered);
        json.put("frames", frames);
        Map<String, Object> loadgen = new LinkedHashMap<>();
        loadgen.put("cpu_seconds", decimal(cpuSeconds));
        loadgen.put("open_cpu_pct", decimal(openCpuPct));
        loadgen.put("hold_cpu_pct", decimal(holdCpuPct));
        loadgen.put("peak_rss_kb", peakRssKb);
        loadgen.put("limited", limited);
        loadgen.put("limited_reason", limitedReason);
        json.put("loadgen", loadgen);
        json.put("started_epoch_ms", startedEpochMs);
        json.put("open_done_epoch_ms", openDoneEpochMs);
        json.put("hold_done_epoch_ms", holdDoneEpochMs);
        json.put("finished_epoch_ms", finishedEpochMs);
        return json;
    }

    /** Reads a child's JSON (with its histogram) back. */
    static DensityResult fromJson(JsonObject json) {
        JsonObject open = (JsonObject) json.get("open");
        JsonObject failureCounts = (JsonObject) json.get("failures");
        JsonObject liveness = (JsonObject) json.get("liveness");
        JsonObject frames = (JsonObject) json.get("frames");
        JsonObject loadgen = (JsonObject) json.get("loadgen");
        long[] failures = new long[Cause.values().length];
        for (Cause cause : Cause.values()) {
            failures[cause.ordinal()] = longOf(failureCounts, cause.key());
        }
        List<String> sources = new ArrayList<>();
        for (Object address : (List<?>) json.get("source_addresses")) {
            sources.add((String) address);
        }
        return new DensityResult((String) json.get("url"), (int) longOf(json, "connections_requested"),
                (int) longOf(json, "frame_interval_ms"), (int) longOf(json, "hold_seconds"),
                (int) longOf(json, "processes"), List.copyOf(sources), longOf(open, "opened"),
                doubleOf(open, "seconds"), doubleOf(open, "rate_per_s"), doubleOf(open, "requested_rate_per_s"),
                failures, longOf(liveness, "checked"), longOf(liveness, "alive"),
                decode((String) liveness.get(HISTOGRAM_KEY)), longOf(frames, "sent"), longOf(frames, "partials"),
                longOf(frames, "error_frames"), longOf(frames, "answered"), doubleOf(loadgen, "cpu_seconds"),
                doubleOf(loadgen, "open_cpu_pct"), doubleOf(loadgen, "hold_cpu_pct"), longOf(loadgen, "peak_rss_kb"),
                (Boolean) loadgen.get("limited"), (String) loadgen.get("limited_reason"),
                longOf(json, "started_epoch_ms"), longOf(json, "open_done_epoch_ms"),
                longOf(json, "hold_done_epoch_ms"), longOf(json, "finished_epoch_ms"), Map.of());
    }

    /**
     * One result of the children's: see the class comment for how each figure combines. The parent's own
     * CPU and RSS are added to the children's.
     */
    static DensityResult merge(DensityOptions options, List<DensityResult> children, double parentCpuSeconds,
                               long parentPeakRssKb, long finishedEpochMs) {
        Set<String> sources = new LinkedHashSet<>();
        long[] failures = new long[Cause.values().length];
        Histogram pongs = LatencyHistogram.create();
        long opened = 0;
        long checked = 0;
        long alive = 0;
        long framesSent = 0;
        long partials = 0;
        long errorFrames = 0;
        long answered = 0;
        long peakRss = Math.max(0, parentPeakRssKb);
        double openSeconds = 0;
        double rate = 0;
        double cpu = parentCpuSeconds;
        double openCpu = 0;
        double holdCpu = 0;
        List<String> limits = new ArrayList<>();
        long started = Long.MAX_VALUE;
        long openDone = 0;
        long holdDone = 0;
        for (int k = 0; k < children.size(); k++) {
            DensityResult child = children.get(k);
            sources.addAll(child.sourceAddresses);
            for (int i = 0; i < failures.length; i++) {
                failures[i] += child.failures[i];
            }
            pongs.add(child.pongMicros);
            opened += child.opened;
            checked += child.checked;
            alive += child.alive;
            framesSent += child.framesSent;
            partials += child.partials;
            errorFrames += child.errorFrames;
            answered += child.framesAnswered;
            peakRss += child.peakRssKb;
            openSeconds = Math.max(openSeconds, child.openSeconds);
            rate += child.openRatePerS;
            cpu += child.cpuSeconds;
            openCpu = Math.max(openCpu, child.openCpuPct);
            holdCpu = Math.max(holdCpu, child.holdCpuPct);
            if (child.limited) {
                limits.add("process " + k + "/" + children.size() + ": " + child.limitedReason);
            }
            started = Math.min(started, child.startedEpochMs);
            openDone = Math.max(openDone, child.openDoneEpochMs);
            holdDone = Math.max(holdDone, child.holdDoneEpochMs);
        }
        return new DensityResult(options.url(), options.connections(), options.frameIntervalMs(),
                options.holdSeconds(), children.size(), List.copyOf(sources), opened, openSeconds, rate, options.rate(),
                failures, checked, alive, pongs, framesSent, partials, errorFrames, answered, cpu, openCpu, holdCpu,
                peakRss, !limits.isEmpty(), String.join("; ", limits), started, openDone, holdDone, finishedEpochMs,
                Map.of());
    }

    /** The one-paragraph account printed on stderr. */
    public String summary() {
        StringBuilder text = new StringBuilder(512);
        text.append(String.format(Locale.ROOT, "density %s: %d of %d connections opened to %s in %.2f s (%.0f/s, %s/s"
                        + " asked) by %d process%s from %s; held %d s; %d of %d checked answered their ping (pong p50 %s ms,"
                        + " p99 %s ms, max %s ms)",
                passed() ? "PASS" : "FAIL", opened, connectionsRequested, url, openSeconds, openRatePerS,
                requestedRatePerS == 0 ? "unlimited" : number(requestedRatePerS).toString(), processes,
                processes == 1 ? "" : "es", sourceAddresses.isEmpty() ? "no source address" : sourceAddresses.size() == 1
                        ? sourceAddresses.get(0) : sourceAddresses.size() + " source addresses",
                holdSeconds, alive, checked, pongMillis(50.0), pongMillis(99.0), pongMillis(100.0)));
        if (frameIntervalMs > 0) {
            text.append(String.format(Locale.ROOT, "; %d frames sent every %d ms, %d answered (%d partials, %d error"
                    + " frames)", framesSent, frameIntervalMs, framesAnswered, partials, errorFrames));
        }
        text.append(". Failures: ");
        if (failuresTotal() == 0) {
            text.append("none");
        } else {
            List<String> parts = new ArrayList<>();
            for (Cause cause : Cause.values()) {
                long count = failures[cause.ordinal()];
                if (count > 0) {
                    String first = firstFailures.get(cause.key());
                    parts.add(cause.key() + " " + count + (first == null ? "" : " (first: " + first + ")"));
                }
            }
            text.append(failuresTotal()).append(": ").append(String.join(", ", parts));
        }
        text.append(String.format(Locale.ROOT, ". Loadgen: %.2f s of CPU, %.0f%% of a core while opening, %.0f%% while"
                + " holding, peak RSS %d MiB; %s.", cpuSeconds, openCpuPct, holdCpuPct, peakRssKb / 1024,
                limited ? "LIMITED: " + limitedReason : "not limited"));
        return text.toString();
    }

    private BigDecimal pongMillis(double percentile) {
        if (pongMicros.getTotalCount() == 0) {
            return decimal(0);
        }
        long micros = percentile >= 100.0 ? pongMicros.getMaxValue() : pongMicros.getValueAtPercentile(percentile);
        return decimal(micros / 1000.0);
    }

    /** A plain 3-decimal JSON number (never exponent notation). */
    private static BigDecimal decimal(double value) {
        return BigDecimal.valueOf(Math.round(value * 1000), 3);
    }

    /** An integer when the value is one, else 3 decimals. */
    private static Object number(double value) {
        return value == Math.rint(value) ? (Object) (long) value : decimal(value);
    }

    private static long longOf(JsonObject json, String key) {
        return ((BigDecimal) json.get(key)).longValueExact();
    }

    private static double doubleOf(JsonObject json, String key) {
        return ((BigDecimal) json.get(key)).doubleValue();
    }

    static String encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
    }

    static Histogram decode(String base64) {
        if (base64 == null) {
            throw new IllegalArgumentException("a child's result lacks liveness." + HISTOGRAM_KEY);
        }
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("a child's pong histogram does not decode", e);
        }
    }
}
