package dev.sttbench.loadgen.conformance;

/** The six inference fields of PROTOCOL.md §2 for one batch. */
record StubResult(double rms, long zeroCrossings, long checksum, long samples, String transcript, long audioBytes) {
}
