package dev.sttbench.loadgen.density;

import static dev.sttbench.loadgen.net.WebSocketClientCodec.MASKED_HEADER_16_BYTES;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.MASK_KEY_OFFSET_16;

import dev.sttbench.loadgen.audio.Pcm;
import dev.sttbench.loadgen.net.MaskKeys;
import dev.sttbench.loadgen.net.WebSocketClientCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Everything a loop writes goes through one direct scratch buffer: the frame is encoded there and written
 * at once. Only when a socket does not take it whole (a server that stopped reading) does the rest move to
 * the connection's {@link Connection#outbound}, with write interest until it drains.
 */
final class Outbound {
    /** Audio frames stop queueing on a connection past this much unsent; control frames always queue. */
    static final int MAX_QUEUED_BYTES = 64 * 1024;
    /** Room for any upgrade request with a sane URL; frames need 648 bytes. */
    private static final int SCRATCH_BYTES = 16 * 1024;
    private static final byte[] START_MESSAGE = "{\"type\":\"start\"}".getBytes(StandardCharsets.US_ASCII);

    private final ByteBuffer scratch = ByteBuffer.allocateDirect(SCRATCH_BYTES);
    private final MaskKeys maskKeys;

    Outbound(long seed) {
        this.maskKeys = new MaskKeys(seed);
    }

    /** The upgrade request; queued if need be. */
    void upgradeRequest(Connection c, byte[] request) throws IOException {
        scratch.clear();
        scratch.put(request);
        send(c, false);
    }

    void startMessage(Connection c) throws IOException {
        control(c, WebSocketClientCodec.OPCODE_TEXT, START_MESSAGE);
    }

    /** A masked control (or small text) frame carrying {@code payload}; queued if need be. */
    void control(Connection c, int opcode, byte[] payload) throws IOException {
        scratch.clear();
        WebSocketClientCodec.encodeMasked(scratch, opcode, maskKeys.next(), payload);
        send(c, false);
    }

    /**
     * Frame {@code seq} of the reference PCM of session {@code c.id}; false when it was not sent because
     * the connection already has {@link #MAX_QUEUED_BYTES} waiting (the server stopped reading; the
     * liveness check will tell).
     */
    boolean audioFrame(Connection c, int seq) throws IOException {
        if (c.outbound != null && c.outbound.length >= MAX_QUEUED_BYTES) {
            return false;
        }
        scratch.clear();
        WebSocketClientCodec.writeMaskedBinaryHeader16(scratch, 0, Pcm.FRAME_BYTES);
        int mask = maskKeys.next();
        // The key's wire bytes are mask in little-endian order, as Pcm masks the payload with them.
        scratch.putInt(MASK_KEY_OFFSET_16, Integer.reverseBytes(mask));
        Pcm.writeMaskedFrame(c.id, seq, mask, scratch, MASKED_HEADER_16_BYTES);
        scratch.position(MASKED_HEADER_16_BYTES + Pcm.FRAME_BYTES);
        send(c, true);
        return true;
    }

    /** Writes scratch[0, position) to the socket, or appends it to what is already waiting. */
    private void send(Connection c, boolean audio) throws IOException {
        scratch.flip();
        if (c.outbound != null) {
            byte[] queued = Arrays.copyOf(c.outbound, c.outbound.length + scratch.remaining());
            scratch.get(queued, c.outbound.length, scratch.remaining());
            c.outbound = queued;
            return;
        }
        c.channel.write(scratch);
        if (scratch.hasRemaining()) {
            c.outbound = new byte[scratch.remaining()];
            scratch.get(c.outbound);
            c.key.interestOps(c.key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    /** The socket has room again: writes what waits; read interest only once all of it is out. */
    void drain(Connection c) throws IOException {
        ByteBuffer rest = ByteBuffer.wrap(c.outbound);
        c.channel.write(rest);
        if (rest.hasRemaining()) {
            c.outbound = Arrays.copyOfRange(c.outbound, rest.position(), c.outbound.length);
            return;
        }
        c.outbound = null;
        c.key.interestOps(SelectionKey.OP_READ);
    }
}
