package dev.sttbench.loadgen.conformance;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The deterministic inference stub of PROTOCOL.md §2, bit-exact, so the golden check can verify a
 * gateway configured with any {@code CPU_PASSES}, not only those golden-vectors.json lists (the unit
 * tests pin this implementation to every golden vector).
 */
final class StubReference {
    static final List<String> TRANSCRIPT_POOL = List.of("the", "quick", "brown", "fox", "jumps", "over", "lazy",
            "dog", "hello", "world", "yes", "no", "okay", "right", "left", "stop", "go", "wait", "ready", "done",
            "again", "now", "later", "never");
    private static final int FNV_OFFSET = (int) 2166136261L;
    private static final int FNV_PRIME = 16777619;

    private StubReference() {
    }

    static StubResult compute(byte[] body, int passes) {
        ByteBuffer samples = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        int count = body.length / Short.BYTES;
        int checksum = FNV_OFFSET;
        long zeroCrossings = 0;
        long sumSquares = 0;
        long n = 0;
        int prev = 0;
        for (int pass = 0; pass < passes; pass++) {
            for (int i = 0; i < count; i++) {
                int s = samples.getShort(i * Short.BYTES);
                if (n > 0 && ((s < 0 && prev >= 0) || (prev < 0 && s >= 0))) {
                    zeroCrossings++;
                }
                checksum ^= (s + 32768 + pass) & 0xFFFF;
                checksum *= FNV_PRIME;
                sumSquares += (long) s * s;
                n++;
                prev = s;
            }
        }
        double rms = n == 0 ? 0.0 : Math.sqrt((double) sumSquares / n);
        long unsignedChecksum = checksum & 0xFFFF_FFFFL;
        return new StubResult(rms, zeroCrossings, unsignedChecksum, n,
                TRANSCRIPT_POOL.get((int) (unsignedChecksum % TRANSCRIPT_POOL.size())), body.length);
    }
}
