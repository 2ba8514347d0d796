package dev.sttbench.loadgen.conformance;

/** A conformance check failed; the message says why. */
final class CheckFailure extends Exception {
    CheckFailure(String why) {
        super(why, null, false, false);
    }
}
