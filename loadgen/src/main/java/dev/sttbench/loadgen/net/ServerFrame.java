package dev.sttbench.loadgen.net;

import static dev.sttbench.loadgen.net.WebSocketClientCodec.FIN_BIT;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.LENGTH_16_MARKER;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.LENGTH_64_MARKER;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.MASK_BIT;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.MAX_CONTROL_PAYLOAD;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_BINARY;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_CLOSE;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_CONTINUATION;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_PING;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_PONG;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.OPCODE_TEXT;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.RSV_BITS;

import java.nio.ByteBuffer;

/**
 * Flyweight decoder of one server→client frame header in a buffer. A server must not mask, must not set
 * reserved bits (no extension was negotiated), must use known opcodes, and must keep control frames final
 * and at most 125 bytes; {@link #decode} reports any of these as a violation.
 */
public final class ServerFrame {
    /** {@link #decode} result: the frame is not complete in the buffer yet. */
    public static final int INCOMPLETE = -1;
    /** {@link #decode} result: the header breaks RFC 6455; {@link #violation()} says how. */
    public static final int VIOLATION = -2;

    private boolean fin;
    private int opcode;
    private int payloadOffset;
    private int payloadLength;
    private String violation;

    /**
     * Decodes the frame starting at {@code offset}, with valid bytes up to {@code limit}. Returns the
     * total frame length when complete, else {@link #INCOMPLETE} or {@link #VIOLATION}. Frames longer
     * than {@code maxPayload} are a violation (we never expect more than a small JSON message).
     */
    public int decode(ByteBuffer buf, int offset, int limit, int maxPayload) {
        violation = null;
        if (limit - offset < 2) {
            return INCOMPLETE;
        }
        int b0 = buf.get(offset) & 0xFF;
        int b1 = buf.get(offset + 1) & 0xFF;
        fin = (b0 & FIN_BIT) != 0;
        opcode = b0 & 0x0F;
        if ((b0 & RSV_BITS) != 0) {
            return violation("reserved bits set: 0x" + Integer.toHexString(b0 & RSV_BITS));
        }
        if ((b1 & MASK_BIT) != 0) {
            return violation("server frame is masked");
        }
        boolean control = (opcode & 0x08) != 0;
        switch (opcode) {
            case OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG -> {
            }
            default -> {
                return violation("unknown opcode 0x" + Integer.toHexString(opcode));
            }
        }
        int lengthField = b1 & 0x7F;
        int headerLength;
        long length;
        if (lengthField < LENGTH_16_MARKER) {
            headerLength = 2;
            length = lengthField;
        } else if (lengthField == LENGTH_16_MARKER) {
            headerLength = 4;
            if (limit - offset < headerLength) {
                return INCOMPLETE;
            }
            length = buf.getShort(offset + 2) & 0xFFFF;
        } else {
            headerLength = 10;
            if (limit - offset < headerLength) {
                return INCOMPLETE;
            }
            length = buf.getLong(offset + 2);
        }
        if (control && (!fin || length > MAX_CONTROL_PAYLOAD)) {
            return violation("control frame fragmented or longer than 125 bytes");
        }
        if (length < 0 || length > maxPayload) {
            return violation("frame of " + length + " bytes exceeds the " + maxPayload + "-byte limit");
        }
        payloadOffset = offset + headerLength;
        payloadLength = (int) length;
        int total = headerLength + payloadLength;
        return limit - offset < total ? INCOMPLETE : total;
    }

    private int violation(String why) {
        violation = why;
        return VIOLATION;
    }

    public boolean fin() {
        return fin;
    }

    public int opcode() {
        return opcode;
    }

    /** Absolute offset of the payload in the decoded buffer. */
    public int payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }

    public String violation() {
        return violation;
    }

    /** The close code of a close frame's payload, 1005 (no status) when the payload is empty. */
    public static int closeCode(ByteBuffer buf, int payloadOffset, int payloadLength) {
        return payloadLength >= 2 ? buf.getShort(payloadOffset) & 0xFFFF : 1005;
    }
}
