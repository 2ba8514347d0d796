package dev.sttbench.loadgen.stats;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The samples CSV in the public suite's format: one row per recorded partial, times in ms with 3 decimals. */
public final class SamplesCsv {
    public static final String HEADER = "sample_index,session_id,oldest_frame_seq,newest_frame_seq,frames,"
            + "transcript,audio_bytes,newest_latency_ms,oldest_latency_ms,flush_lateness_ms,received_ms";

    private SamplesCsv() {
    }

    /** Writes {@code samples} (already in receive order) to {@code path}, creating parent directories. */
    public static void write(Path path, List<Sample> samples) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter out = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
            write(out, samples);
        }
    }

    public static void write(Writer out, List<Sample> samples) throws IOException {
        out.write(HEADER);
        out.write('\n');
        StringBuilder row = new StringBuilder(128);
        for (int i = 0; i < samples.size(); i++) {
            Sample sample = samples.get(i);
            row.setLength(0);
            row.append(i).append(',')
                    .append(sample.sessionId()).append(',')
                    .append(sample.oldestFrameSeq()).append(',')
                    .append(sample.newestFrameSeq()).append(',')
                    .append(sample.frames()).append(',')
                    .append(csvField(sample.transcript())).append(',')
                    .append(sample.audioBytes()).append(',');
            appendMillis(row, sample.newestLatencyMicros()).append(',');
            appendMillis(row, sample.oldestLatencyMicros()).append(',');
            appendMillis(row, sample.flushLatenessMicros()).append(',');
            appendMillis(row, sample.receivedMicros()).append('\n');
            out.append(row);
        }
    }

    /** Microseconds as milliseconds with exactly 3 decimals: 12345 → {@code 12.345}. */
    static StringBuilder appendMillis(StringBuilder out, long micros) {
        if (micros < 0) {
            out.append('-');
            micros = -micros;
        }
        long fraction = micros % 1000;
        out.append(micros / 1000).append('.');
        if (fraction < 100) {
            out.append('0');
        }
        if (fraction < 10) {
            out.append('0');
        }
        return out.append(fraction);
    }

    /** RFC 4180 quoting, only when the field needs it (transcripts are plain words in practice). */
    static String csvField(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
