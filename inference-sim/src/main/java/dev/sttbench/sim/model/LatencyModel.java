package dev.sttbench.sim.model;

import dev.sttbench.sim.SimConfig;

import java.util.random.RandomGenerator;

/**
 * The simulated model latency of PROTOCOL.md §2: {@code batch_wait + compute} where {@code batch_wait} is
 * uniform in {@code [0, batchWaitMax)} and {@code compute} is log-normal with the given median and sigma,
 * multiplied by {@code longtailMult} with probability {@code longtailProb}.
 * <p>
 * Stateless: the caller supplies the random generator, so each event loop can own one (no sharing, no locks)
 * and tests can seed it.
 */
public final class LatencyModel
{
    private static final double NANOS_PER_MS = 1_000_000.0;

    private final double medianMs;
    private final double sigma;
    private final double longtailProb;
    private final double longtailMult;
    private final double batchWaitMaxMs;

    public LatencyModel(
        final double medianMs,
        final double sigma,
        final double longtailProb,
        final double longtailMult,
        final double batchWaitMaxMs)
    {
        this.medianMs = medianMs;
        this.sigma = sigma;
        this.longtailProb = longtailProb;
        this.longtailMult = longtailMult;
        this.batchWaitMaxMs = batchWaitMaxMs;
    }

    public static LatencyModel of(final SimConfig config)
    {
        return new LatencyModel(
            config.modelDelayMs(),
            config.modelJitterSigma(),
            config.modelLongtailProb(),
            config.modelLongtailMult(),
            config.modelBatchWaitMaxMs());
    }

    /**
     * @param random source of randomness, used only by the calling thread.
     * @return the delay to apply, in milliseconds.
     */
    public double sampleMs(final RandomGenerator random)
    {
        final double batchWait = batchWaitMaxMs > 0.0 ? random.nextDouble() * batchWaitMaxMs : 0.0;
        double compute = sigma > 0.0 ? medianMs * Math.exp(sigma * random.nextGaussian()) : medianMs;
        if (longtailProb > 0.0 && random.nextDouble() < longtailProb)
        {
            compute *= longtailMult;
        }
        return batchWait + compute;
    }

    /**
     * @param random source of randomness, used only by the calling thread.
     * @return the delay to apply, in nanoseconds.
     */
    public long sampleNanos(final RandomGenerator random)
    {
        return (long)(sampleMs(random) * NANOS_PER_MS);
    }
}
