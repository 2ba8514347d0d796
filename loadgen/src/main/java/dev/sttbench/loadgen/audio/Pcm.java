package dev.sttbench.loadgen.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The reference PCM of PROTOCOL.md §3: frame {@code seq} of session {@code id} holds 320 s16le samples
 * {@code value(k) = ((seq*320 + id + k) * 17) mod 20000 - 10000}.
 *
 * <p>Written straight into an outgoing buffer, optionally XOR-masked with a WebSocket masking key, four
 * samples (one {@code long}) at a time. The modulo is evaluated once per frame and then advanced by
 * adding 17 and wrapping, which is exact for any {@code seq*320 + id + 320} below {@code 2^64 / 17}.
 */
public final class Pcm {
    public static final int SAMPLES_PER_FRAME = 320;
    public static final int FRAME_BYTES = SAMPLES_PER_FRAME * Short.BYTES;
    public static final long FRAME_INTERVAL_NANOS = 20_000_000L;

    private static final long MODULUS = 20_000;
    private static final long STEP = 17;
    private static final long OFFSET = 10_000;
    private static final int SAMPLES_PER_LONG = 4;

    private Pcm() {
    }

    /** One sample, computed directly from the formula (the reference the fast path is tested against). */
    public static short sample(long sessionId, long seq, int k) {
        long index = seq * SAMPLES_PER_FRAME + sessionId + k;
        return (short) (Long.remainderUnsigned(index * STEP, MODULUS) - OFFSET);
    }

    /** Writes frame {@code seq} of {@code sessionId} at absolute {@code offset} of {@code dst}, unmasked. */
    public static void writeFrame(long sessionId, long seq, ByteBuffer dst, int offset) {
        writeMaskedFrame(sessionId, seq, 0, dst, offset);
    }

    /**
     * Writes frame {@code seq} of {@code sessionId} at absolute {@code offset} of {@code dst}, each byte
     * XORed with {@code maskKey}'s byte {@code i mod 4}, where the key's wire bytes are {@code maskKey}
     * in little-endian order. The payload must start at masking index 0 (the usual case right after a
     * frame header). Position and limit of {@code dst} are not touched; its byte order is irrelevant.
     */
    public static void writeMaskedFrame(long sessionId, long seq, int maskKey, ByteBuffer dst, int offset) {
        final long mask = (maskKey & 0xFFFF_FFFFL) | ((long) maskKey << 32);
        final boolean bigEndian = dst.order() == ByteOrder.BIG_ENDIAN;
        long residue = Long.remainderUnsigned((seq * SAMPLES_PER_FRAME + sessionId) * STEP, MODULUS);
        for (int i = 0; i < SAMPLES_PER_FRAME; i += SAMPLES_PER_LONG) {
            long packed = 0;
            for (int lane = 0; lane < SAMPLES_PER_LONG; lane++) {
                packed |= ((residue - OFFSET) & 0xFFFFL) << (lane * Short.SIZE);
                residue += STEP;
                if (residue >= MODULUS) {
                    residue -= MODULUS;
                }
            }
            long wire = packed ^ mask;
            dst.putLong(offset + i * Short.BYTES, bigEndian ? Long.reverseBytes(wire) : wire);
        }
    }
}
