package dev.sttbench.sim.stub;

/**
 * The six response fields of the deterministic stub (PROTOCOL.md §2). Mutable so one instance per thread
 * can be reused for every request.
 */
public final class StubResult
{
    double rms;
    long zeroCrossings;
    int checksum;
    long samples;
    long audioBytes;

    public double rms()
    {
        return rms;
    }

    public long zeroCrossings()
    {
        return zeroCrossings;
    }

    /** @return the checksum as an unsigned 32-bit value. */
    public long checksum()
    {
        return Integer.toUnsignedLong(checksum);
    }

    public long samples()
    {
        return samples;
    }

    public long audioBytes()
    {
        return audioBytes;
    }

    public String transcript()
    {
        return PcmStub.transcript(checksum);
    }
}
