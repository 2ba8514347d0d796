package dev.sttbench.loadgen.net;

/**
 * Masking keys for client frames, xorshift64*: RFC 6455 wants them unpredictable to intermediaries, not
 * cryptographic, so a key costs a few shifts, not a SecureRandom call. One per loop; not thread-safe.
 */
public final class MaskKeys {
    private long state;

    /** @param seed any value; the xorshift state must not be 0, hence the low bit */
    public MaskKeys(long seed) {
        this.state = seed | 1;
    }

    public int next() {
        long x = state;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        state = x;
        return (int) ((x * 0x2545F4914F6CDD1DL) >>> 32);
    }
}
