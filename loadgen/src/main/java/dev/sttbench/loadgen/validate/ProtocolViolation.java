package dev.sttbench.loadgen.validate;

/** A server message that breaks PROTOCOL.md §1; the message says how. */
public final class ProtocolViolation extends Exception {
    public ProtocolViolation(String why) {
        super(why, null, false, false);
    }
}
