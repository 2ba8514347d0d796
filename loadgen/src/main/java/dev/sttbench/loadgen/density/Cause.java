package dev.sttbench.loadgen.density;

import java.io.IOException;
import java.net.BindException;
import java.util.Objects;

/**
 * Why a connection failed. Each connection is counted once, under the first cause that befell it, so the
 * counts add up to at most the connections requested.
 */
public enum Cause {
    /** ECONNREFUSED (or no route to the target) while connecting. */
    REFUSED("refused"),
    /** Connect + upgrade not done within {@code --timeout-ms} of the connect. */
    TIMEOUT("timeout"),
    /** ECONNRESET, EPIPE, or end of stream before or after the upgrade. */
    RESET("reset"),
    HTTP_503("http_503"),
    /** An upgrade answered with any status but 101 and 503. */
    HTTP_OTHER("http_other"),
    /** A bad 101, a wrong accept key, an invalid frame, or a message that fails validation. */
    PROTOCOL("protocol"),
    /** The local side could not make the socket: EADDRNOTAVAIL, a bind failure, no file descriptor left. */
    LOCAL_ADDRESS("local_address"),
    /** The server sent a close frame before ours. */
    CLOSED_BY_SERVER("closed_by_server"),
    /** No pong with the ping's payload within {@code --timeout-ms}. */
    DEAD("dead"),
    /** Alive, but some frame it sent was named by no partial or error within {@code --timeout-ms}. */
    UNANSWERED_FRAMES("unanswered_frames"),
    /** The server did not answer our close within {@code --timeout-ms}. */
    CLOSE_TIMEOUT("close_timeout");

    private final String key;

    Cause(String key) {
        this.key = key;
    }

    /** The JSON key, e.g. {@code http_503}. */
    public String key() {
        return key;
    }

    /**
     * The cause of an I/O failure. The JDK turns errno into an exception class and the strerror text
     * (EADDRNOTAVAIL and EADDRINUSE into {@link BindException}), so the text is what is left to go by.
     * What matches nothing is {@link #REFUSED} while connecting (the target did not take the connection,
     * e.g. no route) and {@link #RESET} afterwards (the connection broke).
     */
    static Cause of(IOException e, boolean connecting) {
        String text = Objects.requireNonNullElse(e.getMessage(), "");
        if (e instanceof BindException || text.contains("Cannot assign requested address")
                || text.contains("Address already in use") || text.contains("Too many open files")) {
            return LOCAL_ADDRESS;
        }
        if (text.contains("refused")) {
            return REFUSED;
        }
        if (text.contains("timed out")) {
            return TIMEOUT;
        }
        return connecting ? REFUSED : RESET;
    }
}
