package dev.sttbench.loadgen.net;

import static dev.sttbench.loadgen.net.WebSocketClientCodec.MASKED_HEADER_16_BYTES;
import static dev.sttbench.loadgen.net.WebSocketClientCodec.MASK_KEY_OFFSET_16;

import dev.sttbench.loadgen.audio.Pcm;
import java.nio.ByteBuffer;

/**
 * The frames a loop sends, each masked with a fresh key as a browser's would be (so the gateway pays the
 * real unmasking cost): audio frames filled in place behind a header written once, control frames
 * (start, pong, close) encoded into one scratch buffer. Loop-confined.
 */
final class MaskedFrames {
    /** One masked audio frame on the wire: 8-byte header and the PCM. */
    static final int AUDIO_FRAME_BYTES = MASKED_HEADER_16_BYTES + Pcm.FRAME_BYTES;
    private static final int CONTROL_BUFFER_BYTES = 256;

    private final ByteBuffer control = ByteBuffer.allocate(CONTROL_BUFFER_BYTES);
    private final MaskKeys maskKeys;

    MaskedFrames(long seed) {
        this.maskKeys = new MaskKeys(seed);
    }

    /** Writes the part of an audio frame header that never changes at {@code at} (the key follows per frame). */
    static void writeAudioHeader(ByteBuffer dst, int at) {
        WebSocketClientCodec.writeMaskedBinaryHeader16(dst, at, Pcm.FRAME_BYTES);
    }

    /**
     * Fills in the audio frame whose header starts at {@code at}: a fresh masking key and the §3 PCM of
     * ({@code sessionId}, {@code seq}) masked with it.
     */
    void writeAudio(ByteBuffer dst, int at, int sessionId, long seq) {
        int mask = maskKeys.next();
        dst.putInt(at + MASK_KEY_OFFSET_16, mask);
        Pcm.writeMaskedFrame(sessionId, seq, mask, dst, at + MASKED_HEADER_16_BYTES);
    }

    /** A final masked control or text frame carrying {@code payload}, in the scratch buffer, ready to write. */
    ByteBuffer control(int opcode, byte[] payload) {
        control.clear();
        WebSocketClientCodec.encodeMasked(control, opcode, maskKeys.next(), payload);
        return control.flip();
    }
}
