package dev.sttbench.loadgen.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What one client loop observed, owned by that loop's thread alone (no sharing on the hot path) and
 * merged into the run's total once the loops have finished.
 */
public final class RunStats {
    public static final int MAX_KEPT_SAMPLES = 5;

    public final Histogram newestLatency = LatencyHistogram.create();
    public final Histogram oldestLatency = LatencyHistogram.create();
    public final Histogram flushLateness = LatencyHistogram.create();
    public final Histogram sendLag = LatencyHistogram.create();

    public long partials;
    public long protocolErrors;
    public long inferenceErrors;
    public long connectTimeouts;
    public long sendTimeouts;
    public long closeTimeouts;
    public long sessionTimeouts;
    public long framesSent;
    /** Sends of audio that the socket did not take whole (the server's backpressure): the rest waited. */
    public long sendsHeldBack;
    public long sessionsConnected;
    /** Time the loop spent outside {@code select} during the measured window, and the window's length. */
    public long busyNanos;
    public long windowNanos;
    /** CPU time of the loop threads. */
    public long loopCpuNanos;

    /** Error frames per {@code stage/kind}, ordered. */
    public final Map<String, Map<String, Long>> inferenceErrorCounts = new TreeMap<>();
    public final List<Map<String, Object>> inferenceErrorSamples = new ArrayList<>();
    public final List<String> protocolErrorSamples = new ArrayList<>();
    public final List<Sample> samples = new ArrayList<>();

    public long timeouts() {
        return connectTimeouts + sendTimeouts + closeTimeouts + sessionTimeouts;
    }

    /** Every error the SLO counts: protocol errors, error frames and timeouts. */
    public long errors() {
        return protocolErrors + inferenceErrors + timeouts();
    }

    public void recordProtocolError(String why) {
        protocolErrors++;
        if (protocolErrorSamples.size() < MAX_KEPT_SAMPLES) {
            protocolErrorSamples.add(why);
        }
    }

    public void recordInferenceError(String stage, String kind, String message, Integer status, boolean retryable) {
        inferenceErrors++;
        inferenceErrorCounts.computeIfAbsent(stage, s -> new TreeMap<>()).merge(kind, 1L, Long::sum);
        keepInferenceErrorSample(errorSample(stage, kind, message, status, retryable));
    }

    private void keepInferenceErrorSample(Map<String, Object> sample) {
        if (inferenceErrorSamples.size() < MAX_KEPT_SAMPLES && !inferenceErrorSamples.contains(sample)) {
            inferenceErrorSamples.add(sample);
        }
    }

    private static Map<String, Object> errorSample(String stage, String kind, String message, Integer status,
                                                   boolean retryable) {
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("stage", stage);
        sample.put("kind", kind);
        sample.put("message", message);
        sample.put("inference_status", status);
        sample.put("retryable", retryable);
        return sample;
    }

    /** The counts as the public suite writes them: a list of {@code {stage, kind, count}}. */
    public List<Map<String, Object>> inferenceErrorCountList() {
        List<Map<String, Object>> list = new ArrayList<>();
        inferenceErrorCounts.forEach((stage, kinds) -> kinds.forEach((kind, count) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("stage", stage);
            entry.put("kind", kind);
            entry.put("count", count);
            list.add(entry);
        }));
        return list;
    }

    /** Adds {@code other} into this. */
    public void merge(RunStats other) {
        newestLatency.add(other.newestLatency);
        oldestLatency.add(other.oldestLatency);
        flushLateness.add(other.flushLateness);
        sendLag.add(other.sendLag);
        partials += other.partials;
        protocolErrors += other.protocolErrors;
        inferenceErrors += other.inferenceErrors;
        connectTimeouts += other.connectTimeouts;
        sendTimeouts += other.sendTimeouts;
        closeTimeouts += other.closeTimeouts;
        sessionTimeouts += other.sessionTimeouts;
        framesSent += other.framesSent;
        sendsHeldBack += other.sendsHeldBack;
        sessionsConnected += other.sessionsConnected;
        busyNanos += other.busyNanos;
        windowNanos += other.windowNanos;
        loopCpuNanos += other.loopCpuNanos;
        other.inferenceErrorCounts.forEach((stage, kinds) -> kinds.forEach((kind, count) ->
                inferenceErrorCounts.computeIfAbsent(stage, s -> new TreeMap<>()).merge(kind, count, Long::sum)));
        other.inferenceErrorSamples.forEach(this::keepInferenceErrorSample);
        for (String why : other.protocolErrorSamples) {
            if (protocolErrorSamples.size() < MAX_KEPT_SAMPLES) {
                protocolErrorSamples.add(why);
            }
        }
        samples.addAll(other.samples);
    }
}
