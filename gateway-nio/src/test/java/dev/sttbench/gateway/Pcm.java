package dev.sttbench.gateway;

import java.util.List;

/** PROTOCOL.md §3 reference PCM and the §2 deterministic stub, to check partials independently of the service. */
public final class Pcm
{
    public static final int FRAME_BYTES = 640;
    private static final int SAMPLES_PER_FRAME = 320;
    private static final List<String> POOL = List.of("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
        "hello", "world", "yes", "no", "okay", "right", "left", "stop", "go", "wait", "ready", "done", "again",
        "now", "later", "never");

    public record Stub(double rms, long zeroCrossings, long checksum, long samples, String transcript, long audioBytes)
    {
    }

    private Pcm()
    {
    }

    public static byte[] frame(final long sessionId, final long seq)
    {
        final byte[] frame = new byte[FRAME_BYTES];
        for (int k = 0; k < SAMPLES_PER_FRAME; k++)
        {
            final long value = ((seq * SAMPLES_PER_FRAME + sessionId + k) * 17) % 20000 - 10000;
            frame[2 * k] = (byte)value;
            frame[2 * k + 1] = (byte)(value >> 8);
        }
        return frame;
    }

    public static byte[] frames(final long sessionId, final long firstSeq, final long lastSeq)
    {
        final byte[] body = new byte[(int)(lastSeq - firstSeq + 1) * FRAME_BYTES];
        for (long seq = firstSeq; seq <= lastSeq; seq++)
        {
            System.arraycopy(frame(sessionId, seq), 0, body, (int)(seq - firstSeq) * FRAME_BYTES, FRAME_BYTES);
        }
        return body;
    }

    public static Stub stub(final byte[] body, final int passes)
    {
        long zeroCrossings = 0;
        long checksum = 2166136261L;
        long sumSquares = 0;
        long n = 0;
        int prev = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            for (int i = 0; i + 1 < body.length; i += 2)
            {
                final int s = (short)((body[i] & 0xFF) | (body[i + 1] << 8));
                if (n > 0 && ((s < 0 && prev >= 0) || (prev < 0 && s >= 0)))
                {
                    zeroCrossings++;
                }
                checksum = ((checksum ^ ((s + 32768 + pass) & 0xFFFF)) * 16777619L) & 0xFFFF_FFFFL;
                sumSquares += (long)s * s;
                n++;
                prev = s;
            }
        }
        final double rms = 0 == n ? 0.0 : Math.sqrt((double)sumSquares / n);
        return new Stub(rms, zeroCrossings, checksum, n, POOL.get((int)(checksum % POOL.size())), body.length);
    }
}
