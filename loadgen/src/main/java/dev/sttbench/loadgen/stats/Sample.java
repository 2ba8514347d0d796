package dev.sttbench.loadgen.stats;

/** One partial recorded in the measured window: a row of the samples CSV. Times in microseconds. */
public record Sample(
        int sessionId,
        long oldestFrameSeq,
        long newestFrameSeq,
        long frames,
        String transcript,
        long audioBytes,
        long newestLatencyMicros,
        long oldestLatencyMicros,
        long flushLatenessMicros,
        long receivedMicros) {
}
