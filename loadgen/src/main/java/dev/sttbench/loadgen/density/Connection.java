package dev.sttbench.loadgen.density;

import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One connection's state, owned by its {@link DensityLoop}. Kept to a few fields because a process may hold
 * a million of these: no buffer of its own (reads go through the loop's one buffer), only the rare leftovers
 * of a read that ended inside a frame or of a write the socket did not take whole.
 */
final class Connection {
    static final byte CONNECTING = 1;
    static final byte UPGRADING = 2;
    static final byte OPEN = 3;
    /** Our close frame is sent; the server's is awaited. */
    static final byte CLOSING = 4;
    /** The server answered our close; its end of stream is awaited so that it closes the TCP connection first. */
    static final byte CLOSE_RECEIVED = 5;
    static final byte DONE = 6;

    /** Run-wide id: reference PCM session id, and the ping payload's source. */
    final int id;
    /** Index in its loop: picks the source address. */
    final int index;
    byte state = CONNECTING;
    /** Counted under a failure cause already; a connection counts once. */
    boolean failed;
    /** Our ping is out and its pong not in yet. */
    boolean pingPending;
    int framesSent;
    /** Frames named by a partial or error so far; the next batch must start at {@code framesAnswered + 1}. */
    int framesAnswered;
    /** When the connect started, then when the ping went out, then when our close did. */
    long timeNanos;
    SocketChannel channel;
    SelectionKey key;
    /** The unparsed tail of the last read (an incomplete frame or response head), else null. */
    byte[] inbound;
    /** What the socket did not take yet, else null. */
    byte[] outbound;
    /** A fragmented text message so far, else null. */
    byte[] fragments;

    Connection(int id, int index) {
        this.id = id;
        this.index = index;
    }

    boolean handshaking() {
        return state == CONNECTING || state == UPGRADING;
    }
}
