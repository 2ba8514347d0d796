package dev.sttbench.loadgen.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * One process's rows of the {@code proc.csv} that proc-sampler.sh writes
 * ({@code epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct}), in time order.
 */
public final class ProcSeries {
    public static final String FILE_NAME = "proc.csv";
    private static final String HEADER = "epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct";
    private static final int COLUMNS = 8;

    /** One sample; {@code cpuPct} is NaN on a process's first row (no previous sample to diff). */
    public record Sample(long epochMs, long rssKb, int threads, int fds, long cpuTicks, double cpuPct) {
    }

    private final String role;
    private final List<Sample> samples;

    private ProcSeries(String role, List<Sample> samples) {
        this.role = role;
        this.samples = List.copyOf(samples);
    }

    /** Every role's series, in the order roles first appear. */
    public static Map<String, ProcSeries> read(Path file) {
        List<String> lines = CsvFile.readLines(file, HEADER);
        Map<String, List<Sample>> byRole = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length != COLUMNS) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected " + COLUMNS + " columns");
            }
            try {
                byRole.computeIfAbsent(cells[1], r -> new ArrayList<>()).add(new Sample(
                        Long.parseLong(cells[0]), Long.parseLong(cells[3]), Integer.parseInt(cells[4]),
                        Integer.parseInt(cells[5]), Long.parseLong(cells[6]),
                        cells[7].isEmpty() ? Double.NaN : Double.parseDouble(cells[7])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        Map<String, ProcSeries> series = new LinkedHashMap<>();
        byRole.forEach((r, s) -> series.put(r, new ProcSeries(r, s)));
        return series;
    }

    public String role() {
        return role;
    }

    public List<Sample> samples() {
        return samples;
    }

    public long peakRssKb() {
        return samples.stream().mapToLong(Sample::rssKb).max().orElse(0);
    }

    public int peakThreads() {
        return samples.stream().mapToInt(Sample::threads).max().orElse(0);
    }

    public int peakFds() {
        return samples.stream().mapToInt(Sample::fds).max().orElse(0);
    }

    /**
     * The highest per-sample CPU % within {@code span}: each sample's figure covers the time since the
     * previous one, so the span's first sample (covering time before it) is left out. NaN when none.
     */
    public double maxCpuPct(Interval span) {
        return samples.stream()
                .filter(s -> s.epochMs() > span.first().epochMs() && s.epochMs() <= span.last().epochMs()
                        && !Double.isNaN(s.cpuPct()))
                .mapToDouble(Sample::cpuPct).max().orElse(Double.NaN);
    }

    /**
     * The span from the first to the last sample taken in {@code [fromMs, toMs]} whose timestamp
     * {@code usable} accepts; null unless there are two such samples.
     */
    public Interval interval(long fromMs, long toMs, LongPredicate usable) {
        Sample first = null;
        Sample last = null;
        for (Sample s : samples) {
            if (s.epochMs() >= fromMs && s.epochMs() <= toMs && usable.test(s.epochMs())) {
                if (first == null) {
                    first = s;
                }
                last = s;
            }
        }
        return first == null || last == first ? null : new Interval(first, last);
    }

    /** Two samples of one process; CPU figures are its utime+stime delta between them. */
    public record Interval(Sample first, Sample last) {
        public long elapsedMs() {
            return last.epochMs() - first.epochMs();
        }

        public double cpuSeconds(long clockTicksPerSecond) {
            return (double) (last.cpuTicks() - first.cpuTicks()) / clockTicksPerSecond;
        }

        /** Mean CPU over the span, 100 = one core busy. */
        public double meanCpuPct(long clockTicksPerSecond) {
            return cpuSeconds(clockTicksPerSecond) * 100_000.0 / elapsedMs();
        }
    }
}
