package dev.sttbench.loadgen.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A capacity sweep: the {@code points.csv} index that ladder.sh appends one row to per run
 * ({@code sessions,attempt,exit_code,dir}, dir relative to the ladder directory), with each run's results.
 */
public final class Ladder {
    public static final String INDEX_FILE = "points.csv";
    private static final String HEADER = "sessions,attempt,exit_code,dir";

    /** One run; {@code result} is null when the harness failed before loadgen wrote a summary. */
    public record Run(int sessions, int attempt, int exitCode, Path dir, PointResult result) {
        public boolean passed() {
            return result != null && result.summary().verdict().equals("PASS");
        }

        /** Failed the SLO; an invalid (client-bound) run or one without results is neither passed nor failed. */
        public boolean failed() {
            return result != null && result.summary().verdict().equals("FAIL");
        }

        public String verdict() {
            return result == null ? "NO RESULT (exit " + exitCode + ")" : result.summary().verdict();
        }
    }

    /**
     * PROTOCOL.md §4's capacity figure: {@code confirmed} is the highest session count that passed twice
     * (0 if none); {@code borderline} the counts above it that passed once and failed once;
     * {@code bracketed} whether some count above it failed, without which it is only a lower bound. Invalid
     * runs (client-bound) and runs without results count as neither passed nor failed.
     */
    public record Ceiling(int confirmed, List<Integer> borderline, boolean bracketed) {
    }

    private final Path dir;
    private final List<Run> runs;

    private Ladder(Path dir, List<Run> runs) {
        this.dir = dir;
        this.runs = runs;
    }

    public static Ladder read(Path dir) {
        Path index = dir.resolve(INDEX_FILE);
        List<String> lines = CsvFile.readLines(index, HEADER);
        List<Run> runs = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            if (cells.length != 4) {
                throw new IllegalArgumentException(index + ":" + (i + 1) + ": expected 4 columns");
            }
            Path runDir = dir.resolve(cells[3]);
            PointResult result = Files.exists(runDir.resolve(Summary.FILE_NAME)) ? PointResult.read(runDir) : null;
            try {
                runs.add(new Run(Integer.parseInt(cells[0]), Integer.parseInt(cells[1]), Integer.parseInt(cells[2]),
                        runDir, result));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(index + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        runs.sort(Comparator.comparingInt(Run::sessions).thenComparingInt(Run::attempt));
        return new Ladder(dir, List.copyOf(runs));
    }

    public Path dir() {
        return dir;
    }

    /** Every run, by sessions then attempt. */
    public List<Run> runs() {
        return runs;
    }

    /** The runs that produced results, grouped by session count (ascending). */
    public Map<Integer, List<PointResult>> resultsBySessions() {
        Map<Integer, List<PointResult>> grouped = new TreeMap<>();
        for (Run run : runs) {
            if (run.result() != null) {
                grouped.computeIfAbsent(run.sessions(), s -> new ArrayList<>()).add(run.result());
            }
        }
        return grouped;
    }

    public Ceiling ceiling() {
        Map<Integer, int[]> passFail = new TreeMap<>();
        for (Run run : runs) {
            int[] counts = passFail.computeIfAbsent(run.sessions(), s -> new int[2]);
            if (run.passed()) {
                counts[0]++;
            } else if (run.failed()) {
                counts[1]++;
            }
        }
        int confirmed = 0;
        for (Map.Entry<Integer, int[]> e : passFail.entrySet()) {
            if (e.getValue()[0] >= 2) {
                confirmed = e.getKey();
            }
        }
        List<Integer> borderline = new ArrayList<>();
        boolean bracketed = false;
        for (Map.Entry<Integer, int[]> e : passFail.entrySet()) {
            if (e.getKey() > confirmed && e.getValue()[1] >= 1) {
                bracketed = true;
                if (e.getValue()[0] == 1) {
                    borderline.add(e.getKey());
                }
            }
        }
        return new Ceiling(confirmed, List.copyOf(borderline), bracketed);
    }
}
