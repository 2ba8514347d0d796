package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CFS counters of the gateway's cgroup ({@code cgroup-cpu.stat}, a copy of its {@code cpu.stat}
 * taken when the run ended): v1 reports {@code throttled_time} in ns, v2 {@code throttled_usec}.
 */
public record CgroupCpuStat(long periods, long throttledPeriods, double throttledMs) {
    public static final String FILE_NAME = "cgroup-cpu.stat";

    /** The counters in {@code file}, or null when the run had no cgroup (no such file). */
    public static CgroupCpuStat readIfPresent(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        long periods = -1;
        long throttled = -1;
        double throttledMs = Double.NaN;
        try {
            for (String line : Files.readAllLines(file)) {
                String[] kv = line.trim().split("\\s+");
                if (kv.length != 2) {
                    continue;
                }
                switch (kv[0]) {
                    case "nr_periods" -> periods = Long.parseLong(kv[1]);
                    case "nr_throttled" -> throttled = Long.parseLong(kv[1]);
                    case "throttled_time" -> throttledMs = Long.parseLong(kv[1]) / 1e6;
                    case "throttled_usec" -> throttledMs = Long.parseLong(kv[1]) / 1e3;
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (periods < 0 || throttled < 0) {
            throw new IllegalArgumentException(file + ": no nr_periods / nr_throttled");
        }
        return new CgroupCpuStat(periods, throttled, throttledMs);
    }
}
