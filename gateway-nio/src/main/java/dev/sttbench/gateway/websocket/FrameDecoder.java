package dev.sttbench.gateway.websocket;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Incremental RFC 6455 decoder for client frames. It keeps a partial frame's header and payload position, so
 * reads may split frames anywhere; payloads are unmasked 8 bytes at a time straight into the handler's sink.
 * One instance per connection; it holds no reference to the read buffer between calls.
 */
public final class FrameDecoder
{
    public static final int CONTINUE = 0;
    public static final int STOP = -1;

    public static final int MAX_CONTROL_PAYLOAD = 125;

    private static final int FIN = 0x80;
    private static final int RSV_MASK = 0x70;
    private static final int OPCODE_MASK = 0x0F;
    private static final int MASKED = 0x80;
    private static final int LENGTH_MASK = 0x7F;
    private static final int LENGTH_16 = 126;
    private static final int LENGTH_64 = 127;
    private static final int MASK_KEY_LENGTH = 4;
    private static final int MAX_HEADER_LENGTH = 14;

    private final UnsafeBuffer header = new UnsafeBuffer(new byte[MAX_HEADER_LENGTH]);
    private final UnsafeBuffer controlPayload = new UnsafeBuffer(new byte[MAX_CONTROL_PAYLOAD]);

    private int headerLength;
    private int headerRequired = 2;
    private boolean inPayload;
    private boolean fin;
    private int opcode;
    private int frameMessageOpcode;
    private long payloadLength;
    private long payloadPosition;
    private int maskKey;
    private MutableDirectBuffer sink;
    private int sinkIndex;

    private int messageOpcode;
    private int messageLength;

    /**
     * Decode {@code src[offset, offset + length)}, consuming all of it unless a callback or a violation ends
     * decoding.
     *
     * @return {@link #CONTINUE} when every byte was consumed, {@link #STOP}, or the close code to send.
     */
    public int decode(final DirectBuffer src, final int offset, final int length, final FrameHandler handler)
    {
        int index = offset;
        final int end = offset + length;
        while (index < end)
        {
            if (!inPayload)
            {
                final int take = Math.min(headerRequired - headerLength, end - index);
                header.putBytes(headerLength, src, index, take);
                headerLength += take;
                index += take;
                if (headerLength < headerRequired)
                {
                    break;
                }
                final int result = onHeaderBytes(handler);
                if (CONTINUE != result)
                {
                    return result;
                }
                if (!inPayload || 0 != payloadLength)
                {
                    continue;
                }
            }
            else
            {
                final int take = (int)Math.min(payloadLength - payloadPosition, end - index);
                final MutableDirectBuffer target = Opcodes.isControl(opcode) ? controlPayload : sink;
                if (null != target)
                {
                    final int targetIndex = Opcodes.isControl(opcode) ? 0 : sinkIndex;
                    unmask(src, index, target, targetIndex + (int)payloadPosition, take, maskKey, payloadPosition);
                }
                payloadPosition += take;
                index += take;
                if (payloadPosition < payloadLength)
                {
                    break;
                }
            }

            final int result = onFrameComplete(handler);
            if (CONTINUE != result)
            {
                return result;
            }
        }
        return CONTINUE;
    }

    /**
     * XOR {@code length} bytes with the mask, 8 at a time. {@code position} is the payload offset of the first
     * byte, which selects where in the 4-byte mask to start when a payload is split across reads.
     */
    public static void unmask(
        final DirectBuffer src,
        final int srcIndex,
        final MutableDirectBuffer dst,
        final int dstIndex,
        final int length,
        final int maskKeyLittleEndian,
        final long position)
    {
        final int rotated = Integer.rotateRight(maskKeyLittleEndian, (int)(position & 3) << 3);
        final long mask = (rotated & 0xFFFF_FFFFL) | ((long)rotated << 32);
        int i = 0;
        for (final int limit = length - Long.BYTES; i <= limit; i += Long.BYTES)
        {
            dst.putLong(dstIndex + i, src.getLong(srcIndex + i, ByteOrder.LITTLE_ENDIAN) ^ mask, ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < length; i++)
        {
            dst.putByte(dstIndex + i, (byte)(src.getByte(srcIndex + i) ^ (rotated >>> ((i & 3) << 3))));
        }
    }

    private int onHeaderBytes(final FrameHandler handler)
    {
        if (2 == headerRequired)
        {
            final int b0 = header.getByte(0) & 0xFF;
            final int b1 = header.getByte(1) & 0xFF;
            fin = (b0 & FIN) != 0;
            opcode = b0 & OPCODE_MASK;
            if ((b0 & RSV_MASK) != 0 || !Opcodes.isKnown(opcode) || (b1 & MASKED) == 0)
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            final int length7 = b1 & LENGTH_MASK;
            if (Opcodes.isControl(opcode) && (!fin || length7 > MAX_CONTROL_PAYLOAD))
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            final int extendedLength = LENGTH_16 == length7 ? 2 : LENGTH_64 == length7 ? 8 : 0;
            headerRequired = 2 + extendedLength + MASK_KEY_LENGTH;
            return CONTINUE;
        }

        final int length7 = header.getByte(1) & LENGTH_MASK;
        final int maskIndex;
        if (LENGTH_16 == length7)
        {
            payloadLength = header.getShort(2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            maskIndex = 4;
        }
        else if (LENGTH_64 == length7)
        {
            payloadLength = header.getLong(2, ByteOrder.BIG_ENDIAN);
            if (payloadLength < 0)
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            maskIndex = 10;
        }
        else
        {
            payloadLength = length7;
            maskIndex = 2;
        }
        maskKey = header.getInt(maskIndex, ByteOrder.LITTLE_ENDIAN);
        payloadPosition = 0;
        inPayload = true;

        if (Opcodes.isControl(opcode))
        {
            return CONTINUE;
        }
        if (Opcodes.CONTINUATION == opcode ? 0 == messageOpcode : 0 != messageOpcode)
        {
            return CloseCodes.PROTOCOL_ERROR;
        }
        frameMessageOpcode = Opcodes.CONTINUATION == opcode ? messageOpcode : opcode;
        final int result = handler.onDataFrame(frameMessageOpcode, payloadLength, messageLength);
        if (CONTINUE == result)
        {
            sink = handler.dataSink();
            sinkIndex = handler.dataSinkIndex();
        }
        return result;
    }

    private int onFrameComplete(final FrameHandler handler)
    {
        inPayload = false;
        headerLength = 0;
        headerRequired = 2;
        sink = null;

        if (Opcodes.isControl(opcode))
        {
            return handler.onControlFrame(opcode, controlPayload, (int)payloadLength);
        }

        // Data payloads were bounded by the handler in onDataFrame, so the sum fits an int.
        messageLength += (int)payloadLength;
        if (!fin)
        {
            messageOpcode = frameMessageOpcode;
            return CONTINUE;
        }
        final int completedLength = messageLength;
        messageOpcode = 0;
        messageLength = 0;
        return handler.onMessageEnd(frameMessageOpcode, completedLength);
    }
}
