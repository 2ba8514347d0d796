package dev.sttbench.gateway.server;

import dev.sttbench.gateway.session.SessionTimers;
import dev.sttbench.gateway.websocket.Handshake;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.Arrays;

/**
 * A connection still in HTTP: it accumulates the request head until it is complete (usually one read), within
 * REQUEST_HEAD_TIMEOUT_MS of being accepted.
 */
final class HttpConnection implements SessionTimers.Owner
{
    static final int INCOMPLETE = -1;
    static final int TOO_LONG = -2;

    private static final int INITIAL_CAPACITY = 512;

    private final EventLoop loop;
    final SessionTimers.Timer headTimer = new SessionTimers.Timer(this);
    SelectionKey key;
    private byte[] head = new byte[INITIAL_CAPACITY];
    private int length;

    HttpConnection(final EventLoop loop)
    {
        this.loop = loop;
    }

    public void onTimer(final SessionTimers.Timer timer, final long nowNanos)
    {
        loop.requestHeadTimedOut(this);
    }

    /**
     * Append what was read. Returns the end of the head (just past the blank line) once complete, {@link #INCOMPLETE}, or
     * {@link #TOO_LONG} when the head exceeds {@link Handshake#MAX_REQUEST_HEAD}.
     */
    int append(final ByteBuffer read)
    {
        final int incoming = read.remaining();
        if (length + incoming > head.length)
        {
            head = Arrays.copyOf(head, Math.max(head.length * 2, length + incoming));
        }
        read.get(head, length, incoming);
        final int searched = length;
        length += incoming;
        // Only blank lines ending in the new bytes: searching the whole head again at each read costs O(n²) for
        // a client that sends it a few bytes at a time.
        final int end = Handshake.headEnd(head, searched, length);
        if (end < 0)
        {
            return length > Handshake.MAX_REQUEST_HEAD ? TOO_LONG : INCOMPLETE;
        }
        // A head that arrived whole in one read is held to the same limit.
        return end > Handshake.MAX_REQUEST_HEAD ? TOO_LONG : end;
    }

    byte[] bytes()
    {
        return head;
    }

    int length()
    {
        return length;
    }
}
