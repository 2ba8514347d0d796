package dev.sttbench.loadgen.audio;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The reference PCM of PROTOCOL.md §3: frame {@code seq} of session {@code id} holds 320 s16le samples
 * {@code value(k) = ((seq*320 + id + k) * 17) mod 20000 - 10000}.
 *
 * <p>A sample depends only on its index {@code seq*320 + id + k} modulo 20000 (17 × 20000 ≡ 0), so the
 * whole signal is one 20000-sample period, kept once as little-endian bytes with a frame's worth of
 * wrap-around appended: every frame is then a contiguous 640-byte slice of that table, copied and
 * XOR-masked a {@code long} at a time. Exact for any {@code seq*320 + id} below {@code 2^63}.
 */
public final class Pcm {
    public static final int SAMPLES_PER_FRAME = 320;
    public static final int FRAME_BYTES = SAMPLES_PER_FRAME * Short.BYTES;
    public static final long FRAME_INTERVAL_NANOS = 20_000_000L;

    private static final int MODULUS = 20_000;
    private static final int STEP = 17;
    private static final int OFFSET = 10_000;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Sample {@code i mod 20000} at byte {@code 2i}, for i in [0, 20000 + 320). */
    private static final byte[] PERIOD = new byte[(MODULUS + SAMPLES_PER_FRAME) * Short.BYTES];

    static {
        for (int i = 0; i < MODULUS + SAMPLES_PER_FRAME; i++) {
            int value = (int) ((long) i * STEP % MODULUS) - OFFSET;
            PERIOD[2 * i] = (byte) value;
            PERIOD[2 * i + 1] = (byte) (value >> 8);
        }
    }

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
        final int start = (int) ((seq * SAMPLES_PER_FRAME + sessionId) % MODULUS) * Short.BYTES;
        for (int i = 0; i < FRAME_BYTES; i += Long.BYTES) {
            long wire = (long) LONG_LE.get(PERIOD, start + i) ^ mask;
            dst.putLong(offset + i, bigEndian ? Long.reverseBytes(wire) : wire);
        }
    }
}
