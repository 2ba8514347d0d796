package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The small CSV files the harness writes: read whole, first line checked against the expected header. */
final class CsvFile {
    private CsvFile() {
    }

    /** Every line of {@code file}, header included (so line {@code i} is reported as {@code i + 1}). */
    static List<String> readLines(Path file, String header) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (lines.isEmpty() || !lines.get(0).equals(header)) {
            throw new IllegalArgumentException(file + ": expected the header " + header);
        }
        return lines;
    }
}
