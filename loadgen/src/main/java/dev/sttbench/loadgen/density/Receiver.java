package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.net.ServerFrame;
import dev.sttbench.loadgen.net.WebSocketClientCodec;
import dev.sttbench.loadgen.validate.MessageValidator;
import dev.sttbench.loadgen.validate.ProtocolViolation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what the servers send, through one buffer for all of a loop's connections: the upgrade response,
 * then frames, each decoded strictly ({@link ServerFrame}) and text messages validated against the protocol
 * ({@link MessageValidator}). What it finds goes to the loop, which owns the connection's state.
 */
final class Receiver {
    static final int READ_BUFFER_BYTES = 64 * 1024;
    /** Partials and errors are a few hundred bytes; anything this long is not one. */
    static final int MAX_MESSAGE_BYTES = 16 * 1024;
    static final int MAX_HEAD_BYTES = 8 * 1024;

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
    private final ServerFrame frame = new ServerFrame();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final DensityLoop loop;
    private final Handshake handshake;

    Receiver(DensityLoop loop, Handshake handshake) {
        this.loop = loop;
        this.handshake = handshake;
    }

    void onReadable(Connection c) {
        buffer.clear();
        if (c.inbound != null) {
            buffer.put(c.inbound);
            c.inbound = null;
        }
        int read;
        try {
            read = c.channel.read(buffer);
        } catch (IOException e) {
            loop.fail(c, Cause.of(e, false), "read: " + e.getMessage());
            return;
        }
        if (read < 0) {
            loop.onEndOfStream(c);
            return;
        }
        int limit = buffer.position();
        int offset = 0;
        if (c.state == Connection.UPGRADING) {
            offset = onResponseHead(c, limit);
            if (offset < 0) {
                return;
            }
        }
        while (offset < limit && c.state != Connection.DONE) {
            int length = frame.decode(buffer, offset, limit, MAX_MESSAGE_BYTES);
            if (length == ServerFrame.VIOLATION) {
                loop.fail(c, Cause.PROTOCOL, frame.violation());
                return;
            }
            if (length == ServerFrame.INCOMPLETE) {
                break;
            }
            onFrame(c);
            offset += length;
        }
        if (c.state != Connection.DONE && offset < limit) {
            c.inbound = new byte[limit - offset];
            buffer.get(offset, c.inbound);
        }
    }

    /** Returns where the frames start after a valid head; -1 when the head is incomplete or was refused. */
    private int onResponseHead(Connection c, int limit) {
        int end = WebSocketClientCodec.headEnd(buffer, limit);
        if (end < 0) {
            if (limit >= MAX_HEAD_BYTES) {
                loop.fail(c, Cause.PROTOCOL, "upgrade response head longer than " + MAX_HEAD_BYTES + " bytes");
            } else {
                c.inbound = new byte[limit];
                buffer.get(0, c.inbound);
            }
            return -1;
        }
        byte[] head = new byte[end];
        buffer.get(0, head);
        Handshake.Rejection rejection = handshake.judge(new String(head, StandardCharsets.ISO_8859_1), c.id);
        if (rejection != null) {
            loop.fail(c, rejection.cause(), "upgrade: " + rejection.why());
            return -1;
        }
        loop.onUpgraded(c);
        return c.state == Connection.DONE ? -1 : end;
    }

    private void onFrame(Connection c) {
        int offset = frame.payloadOffset();
        int length = frame.payloadLength();
        switch (frame.opcode()) {
            case WebSocketClientCodec.OPCODE_TEXT -> {
                if (c.fragments != null) {
                    loop.fail(c, Cause.PROTOCOL, "a text message began inside a fragmented one");
                } else if (frame.fin()) {
                    onText(c, slice(offset, length));
                } else {
                    c.fragments = slice(offset, length);
                }
            }
            case WebSocketClientCodec.OPCODE_CONTINUATION -> onContinuation(c, offset, length);
            case WebSocketClientCodec.OPCODE_BINARY -> loop.fail(c, Cause.PROTOCOL, "a binary message from the server");
            case WebSocketClientCodec.OPCODE_PING -> loop.onPing(c, slice(offset, length));
            case WebSocketClientCodec.OPCODE_PONG -> {
                // Any other length cannot be ours: an unsolicited pong, which RFC 6455 allows as a heartbeat.
                if (length == Long.BYTES) {
                    loop.onPong(c, buffer.getLong(offset));
                }
            }
            case WebSocketClientCodec.OPCODE_CLOSE -> loop.onServerClose(c, ServerFrame.closeCode(buffer, offset, length));
            default -> throw new IllegalStateException("ServerFrame let opcode " + frame.opcode() + " through");
        }
    }

    private void onContinuation(Connection c, int offset, int length) {
        byte[] soFar = c.fragments;
        if (soFar == null) {
            loop.fail(c, Cause.PROTOCOL, "a continuation frame without a message");
            return;
        }
        if (soFar.length + length > MAX_MESSAGE_BYTES) {
            loop.fail(c, Cause.PROTOCOL, "a fragmented message longer than " + MAX_MESSAGE_BYTES + " bytes");
            return;
        }
        byte[] grown = Arrays.copyOf(soFar, soFar.length + length);
        buffer.get(offset, grown, soFar.length, length);
        if (!frame.fin()) {
            c.fragments = grown;
            return;
        }
        c.fragments = null;
        onText(c, grown);
    }

    private void onText(Connection c, byte[] utf8Bytes) {
        CharBuffer text;
        try {
            text = utf8.decode(ByteBuffer.wrap(utf8Bytes));
        } catch (CharacterCodingException e) {
            loop.fail(c, Cause.PROTOCOL, "a text message that is not UTF-8");
            return;
        }
        try {
            loop.onAnswer(c, MessageValidator.validate(text.toString()));
        } catch (ProtocolViolation violation) {
            loop.fail(c, Cause.PROTOCOL, violation.getMessage());
        }
    }

    private byte[] slice(int offset, int length) {
        byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        return bytes;
    }
}
