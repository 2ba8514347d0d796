package dev.sttbench.gateway.session;

import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Bytes a session could not write at once, in its slab slice; made the first time a write falls short, so most
 * sessions never have one. Bounded: when a message does not fit, the caller closes the connection (a client that
 * stops reading must not grow memory). The last {@link #CLOSE_FRAME_RESERVE} bytes are kept for that close frame.
 */
public final class OutboundBuffer
{
    /** Room always left for a close frame with a status code. */
    public static final int CLOSE_FRAME_RESERVE = 4;

    private final ByteBuffer buffer;

    /** A buffer over {@code slice}, which may hold a previous session's bytes: it starts empty. */
    public OutboundBuffer(final ByteBuffer slice)
    {
        buffer = slice;
    }

    public boolean isEmpty()
    {
        return 0 == buffer.position();
    }

    /**
     * Append {@code src[index, index + length)}; false (nothing appended) when it does not fit. A close frame
     * may use the reserve.
     */
    public boolean append(final DirectBuffer src, final int index, final int length, final boolean closeFrame)
    {
        if (length > buffer.remaining() - (closeFrame ? 0 : CLOSE_FRAME_RESERVE))
        {
            return false;
        }
        src.getBytes(index, buffer, buffer.position(), length);
        buffer.position(buffer.position() + length);
        return true;
    }

    /** Write as much as the socket takes; true when everything has been written. */
    public boolean writeTo(final SocketChannel channel) throws IOException
    {
        buffer.flip();
        try
        {
            channel.write(buffer);
        }
        finally
        {
            buffer.compact();
        }
        return 0 == buffer.position();
    }
}
