package dev.sttbench.gateway.websocket;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Incremental RFC 6455 decoder for client frames. It keeps a partial frame's header and payload position, so
 * reads may split frames anywhere; payloads are unmasked 8 bytes at a time straight into the handler's sink.
 * One instance per connection; it holds no reference to the read buffer between calls. Control payloads are
 * unmasked into a scratch buffer shared by the loop's decoders; only a control frame split across reads is
 * moved into a buffer of this decoder's own, made then, so an idle connection carries ~100 bytes of decoder.
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

    private final byte[] header = new byte[MAX_HEADER_LENGTH];
    private final UnsafeBuffer sharedControlPayload;
    /** Holds a control payload split across reads; made the first time that happens. */
    private UnsafeBuffer ownControlPayload;
    /** The control payload being received continues one begun in an earlier read. */
    private boolean controlSplit;

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

    /** @param sharedControlPayload the loop's scratch for control payloads, at least {@link #MAX_CONTROL_PAYLOAD} bytes. */
    public FrameDecoder(final UnsafeBuffer sharedControlPayload)
    {
        this.sharedControlPayload = sharedControlPayload;
    }

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
                src.getBytes(index, header, headerLength, take);
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
                final boolean control = Opcodes.isControl(opcode);
                final MutableDirectBuffer target = control ? controlPayload() : sink;
                if (null != target)
                {
                    final int targetIndex = control ? 0 : sinkIndex;
                    unmask(src, index, target, targetIndex + (int)payloadPosition, take, maskKey, payloadPosition);
                }
                payloadPosition += take;
                index += take;
                if (payloadPosition < payloadLength)
                {
                    if (control && !controlSplit)
                    {
                        keepControlPayload();
                    }
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

    /** Where this control frame's payload goes: the shared scratch, or this decoder's buffer once it was split. */
    private UnsafeBuffer controlPayload()
    {
        return controlSplit ? ownControlPayload : sharedControlPayload;
    }

    /** The read ends inside a control payload: another connection's decoder will reuse the scratch meanwhile. */
    private void keepControlPayload()
    {
        if (null == ownControlPayload)
        {
            ownControlPayload = new UnsafeBuffer(new byte[MAX_CONTROL_PAYLOAD]);
        }
        ownControlPayload.putBytes(0, sharedControlPayload, 0, (int)payloadPosition);
        controlSplit = true;
    }

    private int onHeaderBytes(final FrameHandler handler)
    {
        if (2 == headerRequired)
        {
            final int b0 = header[0] & 0xFF;
            final int b1 = header[1] & 0xFF;
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

        final int length7 = header[1] & LENGTH_MASK;
        final int maskIndex;
        if (LENGTH_16 == length7)
        {
            payloadLength = bigEndian(2, 2);
            maskIndex = 4;
        }
        else if (LENGTH_64 == length7)
        {
            payloadLength = bigEndian(2, 8);
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
        // Little-endian, as the unmasking reads payload bytes.
        maskKey = Integer.reverseBytes((int)bigEndian(maskIndex, MASK_KEY_LENGTH));
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
            final UnsafeBuffer payload = controlPayload();
            controlSplit = false;
            return handler.onControlFrame(opcode, payload, (int)payloadLength);
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

    private long bigEndian(final int index, final int length)
    {
        long value = 0;
        for (int i = index; i < index + length; i++)
        {
            value = value << 8 | (header[i] & 0xFF);
        }
        return value;
    }
}
