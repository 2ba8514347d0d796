package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's loop-lag histograms over the measured window: two scrapes of its /metrics (bench.sh takes one
 * at the window's start, one when the load ends) and the difference of their cumulative buckets. Quantiles are
 * bucket upper bounds (powers of two, µs); the maximum is since the gateway started (a maximum has no difference).
 *
 * @param timerLatenessP50Micros how late half of the due timers (read ticks, flushes) ran, at most.
 * @param timerLatenessP99Micros the same for 99 %.
 * @param cycleP50Micros         how long half of the working duty cycles took, at most.
 * @param cycleP99Micros         the same for 99 %.
 * @param timerLatenessMaxMicros the latest a timer ran since start.
 * @param timers                 timers fired in the window.
 */
public record LoopLag(long timerLatenessP50Micros, long timerLatenessP99Micros, long cycleP50Micros,
                      long cycleP99Micros, long timerLatenessMaxMicros, long timers) {
    public static final String START_FILE = "gateway-metrics-start.prom";
    public static final String END_FILE = "gateway-metrics-end.prom";
    static final String TIMER_LATENESS = "gateway_loop_timer_lateness_us";
    static final String CYCLE = "gateway_loop_cycle_us";
    private static final Pattern BUCKET = Pattern.compile("^(\\w+)_bucket\\{le=\"([^\"]+)\"} (\\d+)$");
    private static final Pattern MAX = Pattern.compile("^(\\w+)_quantile\\{quantile=\"1\"} (\\d+)$");

    /** The window's loop lag from {@code dir}'s two scrapes; null when either is missing or has no histogram. */
    public static LoopLag readIfPresent(Path dir) {
        Path start = dir.resolve(START_FILE);
        Path end = dir.resolve(END_FILE);
        if (!Files.isRegularFile(start) || !Files.isRegularFile(end)) {
            return null;
        }
        try {
            return of(Files.readString(start), Files.readString(end));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LoopLag of(String startText, String endText) {
        TreeMap<Double, Long> timers = delta(buckets(startText, TIMER_LATENESS), buckets(endText, TIMER_LATENESS));
        TreeMap<Double, Long> cycles = delta(buckets(startText, CYCLE), buckets(endText, CYCLE));
        if (timers.isEmpty() || cycles.isEmpty()) {
            return null;
        }
        long count = timers.lastEntry().getValue();
        return new LoopLag(quantile(timers, 0.5), quantile(timers, 0.99), quantile(cycles, 0.5),
                quantile(cycles, 0.99), max(endText, TIMER_LATENESS), count);
    }

    /** Cumulative counts by upper bound (+Inf as infinity) of histogram {@code name}. */
    private static TreeMap<Double, Long> buckets(String text, String name) {
        TreeMap<Double, Long> buckets = new TreeMap<>();
        for (String line : text.split("\n")) {
            Matcher m = BUCKET.matcher(line.trim());
            if (m.matches() && m.group(1).equals(name)) {
                double bound = "+Inf".equals(m.group(2)) ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(2));
                buckets.put(bound, Long.parseLong(m.group(3)));
            }
        }
        return buckets;
    }

    private static TreeMap<Double, Long> delta(TreeMap<Double, Long> start, TreeMap<Double, Long> end) {
        TreeMap<Double, Long> delta = new TreeMap<>();
        end.forEach((bound, count) -> delta.put(bound, count - start.getOrDefault(bound, 0L)));
        return delta;
    }

    /** The smallest finite bucket bound with at least {@code q} of the window's observations at or below it. */
    private static long quantile(TreeMap<Double, Long> cumulative, double q) {
        long total = cumulative.lastEntry().getValue();
        if (total == 0) {
            return 0;
        }
        double previous = 0;
        for (var bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= Math.ceil(q * total)) {
                return (long) (Double.isInfinite(bucket.getKey()) ? previous * 2 : bucket.getKey());
            }
            previous = bucket.getKey();
        }
        return (long) previous;
    }

    private static long max(String text, String name) {
        for (String line : text.split("\n")) {
            Matcher m = MAX.matcher(line.trim());
            if (m.matches() && m.group(1).equals(name)) {
                return Long.parseLong(m.group(2));
            }
        }
        return 0;
    }
}
