package dev.sttbench.loadgen.cli;

/** A bad command line: the message says what is wrong; the command exits 2. */
public final class UsageException extends Exception {
    public UsageException(String message) {
        super(message, null, false, false);
    }
}
