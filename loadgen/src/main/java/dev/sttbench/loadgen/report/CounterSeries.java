package dev.sttbench.loadgen.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A gateway counter sampled by proc-sampler.sh ({@code gateway-metrics.csv}: {@code epoch_ms,value}),
 * stamped with the same round's timestamp as the {@code proc.csv} rows, so the two join exactly.
 */
public final class CounterSeries {
    public static final String FILE_NAME = "gateway-metrics.csv";
    private static final String HEADER = "epoch_ms,value";

    private final Map<Long, Double> valueByEpochMs;

    private CounterSeries(Map<Long, Double> valueByEpochMs) {
        this.valueByEpochMs = valueByEpochMs;
    }

    /** The series in {@code file}, or an empty one when the file does not exist. */
    public static CounterSeries read(Path file) {
        Map<Long, Double> values = new HashMap<>();
        if (!Files.exists(file)) {
            return new CounterSeries(values);
        }
        List<String> lines = CsvFile.readLines(file, HEADER);
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            if (cells.length != 2) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected 2 columns");
            }
            try {
                values.put(Long.parseLong(cells[0]), Double.parseDouble(cells[1]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return new CounterSeries(values);
    }

    public boolean has(long epochMs) {
        return valueByEpochMs.containsKey(epochMs);
    }

    /** The counter at {@code epochMs}; only valid where {@link #has} is true. */
    public double at(long epochMs) {
        Double value = valueByEpochMs.get(epochMs);
        if (value == null) {
            throw new IllegalArgumentException("no counter sample at " + epochMs);
        }
        return value;
    }
}
