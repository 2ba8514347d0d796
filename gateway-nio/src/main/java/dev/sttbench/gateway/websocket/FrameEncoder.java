package dev.sttbench.gateway.websocket;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Server frames: unmasked, never fragmented. Payloads are encoded first at {@link #PAYLOAD_OFFSET} and the
 * header is then written right before them, so a message is contiguous without a copy.
 */
public final class FrameEncoder
{
    /** Room for the longest header used here: 2 bytes plus a 16-bit length. */
    public static final int PAYLOAD_OFFSET = 4;
    /** Largest payload this encoder frames. */
    public static final int MAX_PAYLOAD = 0xFFFF;

    private static final int FIN = 0x80;
    private static final int LENGTH_16 = 126;
    private static final int MAX_LENGTH_7 = 125;

    private FrameEncoder()
    {
    }

    public static int headerLength(final int payloadLength)
    {
        return payloadLength <= MAX_LENGTH_7 ? 2 : 4;
    }

    /**
     * Write the header of a frame whose payload already sits at {@code payloadIndex}.
     *
     * @return the index where the frame starts.
     */
    public static int writeHeaderBefore(
        final MutableDirectBuffer buffer, final int payloadIndex, final int opcode, final int payloadLength)
    {
        if (payloadLength > MAX_PAYLOAD)
        {
            throw new IllegalArgumentException("payload too long for a server frame: " + payloadLength);
        }
        final int start = payloadIndex - headerLength(payloadLength);
        buffer.putByte(start, (byte)(FIN | opcode));
        if (payloadLength <= MAX_LENGTH_7)
        {
            buffer.putByte(start + 1, (byte)payloadLength);
        }
        else
        {
            buffer.putByte(start + 1, (byte)LENGTH_16);
            buffer.putShort(start + 2, (short)payloadLength, ByteOrder.BIG_ENDIAN);
        }
        return start;
    }

    /** A close frame with a status code and no reason; returns its length, written at {@code index}. */
    public static int writeClose(final MutableDirectBuffer buffer, final int index, final int code)
    {
        buffer.putByte(index, (byte)(FIN | Opcodes.CLOSE));
        buffer.putByte(index + 1, (byte)2);
        buffer.putShort(index + 2, (short)code, ByteOrder.BIG_ENDIAN);
        return 4;
    }

    /** A control frame echoing {@code payload[0, length)}; returns its length, written at {@code index}. */
    public static int writeControl(
        final MutableDirectBuffer buffer, final int index, final int opcode, final DirectBuffer payload, final int length)
    {
        buffer.putByte(index, (byte)(FIN | opcode));
        buffer.putByte(index + 1, (byte)length);
        buffer.putBytes(index + 2, payload, 0, length);
        return 2 + length;
    }
}
