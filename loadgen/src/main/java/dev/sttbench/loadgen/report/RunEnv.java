package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code run.env} that bench.sh writes beside a point's results: one {@code key=value} per line
 * (the value is everything after the first {@code =}, spaces included). A key written twice keeps its
 * last value.
 */
public final class RunEnv {
    public static final String FILE_NAME = "run.env";

    private final Map<String, String> values;

    private RunEnv(Map<String, String> values) {
        this.values = values;
    }

    public static RunEnv read(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    values.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new RunEnv(values);
    }

    /** The value of {@code key}, or "" when absent. */
    public String get(String key) {
        return values.getOrDefault(key, "");
    }

    public boolean has(String key) {
        return !get(key).isEmpty();
    }

    /** The value as a long; {@code fallback} when absent, an error when malformed. */
    public long getLong(String key, long fallback) {
        String value = get(key);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(FILE_NAME + ": " + key + " is not a whole number: " + value, e);
        }
    }

    /** The value as a double; NaN when absent, an error when malformed. */
    public double getDouble(String key) {
        String value = get(key);
        if (value.isEmpty()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(FILE_NAME + ": " + key + " is not a number: " + value, e);
        }
    }
}
