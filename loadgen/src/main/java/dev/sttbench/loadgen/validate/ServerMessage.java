package dev.sttbench.loadgen.validate;

import com.github.cliftonlabs.json_simple.JsonObject;

/**
 * A validated {@code partial} or {@code error} message: the fields the load generator uses, typed, plus
 * the parsed object for checks that need the rest (conformance compares every inference field).
 */
public record ServerMessage(
        Type type,
        long oldestFrameSeq,
        long newestFrameSeq,
        long frames,
        long audioBytes,
        double flushLatenessMs,
        String transcript,
        String stage,
        String kind,
        String message,
        Integer inferenceStatus,
        boolean retryable,
        JsonObject json) {

    public enum Type { PARTIAL, ERROR }

    public boolean isPartial() {
        return type == Type.PARTIAL;
    }
}
