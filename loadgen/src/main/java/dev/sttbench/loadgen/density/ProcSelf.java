package dev.sttbench.loadgen.density;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the load generator reads about its own process from {@code /proc/self} (Linux). */
final class ProcSelf {
    /** Unknown: the file was not there or not in the expected shape. */
    static final long UNKNOWN = -1;
    /**
     * Clock ticks per second of {@code /proc/<pid>/stat}: USER_HZ, which the kernel fixes at 100 for user
     * space whatever its internal HZ (on every architecture this runs on).
     */
    static final int USER_HZ = 100;

    private ProcSelf() {
    }

    /**
     * The soft RLIMIT_NOFILE of this process: what it may hold now. On Linux the JVM raises its soft limit
     * to the hard one at start-up, so a child JVM gets the same.
     */
    static long openFilesLimit() {
        return parseOpenFilesLimit(read("/proc/self/limits"));
    }

    /** The soft limit of the {@code Max open files} row of a {@code /proc/<pid>/limits} text. */
    static long parseOpenFilesLimit(String limits) {
        if (limits == null) {
            return UNKNOWN;
        }
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max open files")) {
                String[] values = line.substring("Max open files".length()).trim().split("\\s+");
                return values[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(values[0]);
            }
        }
        return UNKNOWN;
    }

    /** User plus system CPU of this process so far, in clock ticks ({@link #USER_HZ}). */
    static long cpuTicks() {
        return parseCpuTicks(read("/proc/self/stat"));
    }

    /**
     * utime + stime of a {@code /proc/<pid>/stat} line: fields 14 and 15, counted after the command name,
     * which is in parentheses and may itself hold spaces and parentheses.
     */
    static long parseCpuTicks(String stat) {
        if (stat == null) {
            return UNKNOWN;
        }
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // fields[0] is field 3 (state): utime, field 14, is fields[11].
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** Peak resident set size of this process so far (VmHWM), in KiB. */
    static long peakRssKb() {
        return parsePeakRssKb(read("/proc/self/status"));
    }

    static long parsePeakRssKb(String status) {
        if (status == null) {
            return UNKNOWN;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.substring("VmHWM:".length()).trim().split("\\s+")[0]);
            }
        }
        return UNKNOWN;
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            return null;
        }
    }
}
