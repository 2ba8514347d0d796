package dev.sttbench.loadgen.net;

/**
 * How a loop's parts end its sessions. The loop implements it: it owns the count of unfinished sessions
 * and is the only part that knows every other (a session ending leaves its send bucket and its socket).
 */
interface SessionLifecycle {
    /** The window is over and nothing of {@code session} is left to send: start the close handshake. */
    void closeAtWindowEnd(Session session, long now);

    /** Ends {@code session} as one protocol error, {@code why} kept as a sample. */
    void fail(Session session, String why);

    /** Ends {@code session} without an error of its own (a clean close, or a timeout already counted). */
    void finish(Session session);
}
