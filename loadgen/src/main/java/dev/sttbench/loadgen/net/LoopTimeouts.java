package dev.sttbench.loadgen.net;

/** The public suite's per-session timeouts, in nanoseconds. */
public record LoopTimeouts(long connectNanos, long sendNanos, long closeGraceNanos) {
}
