package dev.sttbench.loadgen.net;

/** Nanoseconds since the run's start: the time base of the schedule, the send lag and every deadline. */
final class RunClock {
    private final long runStartNanos;

    RunClock(long runStartNanos) {
        this.runStartNanos = runStartNanos;
    }

    long now() {
        return System.nanoTime() - runStartNanos;
    }
}
