package dev.sttbench.sim.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyModelTest
{
    private static final int SAMPLES = 200_000;

    @Test
    void computeTimeIsLogNormalWithTheConfiguredMedianAndSigma()
    {
        final double[] samples = sample(new LatencyModel(75, 0.15, 0.0, 3.0, 0));
        assertEquals(75.0, quantile(samples, 0.5), 0.75);
        // One sigma either side of the median: 75 * e^(+-0.15).
        assertEquals(75.0 * Math.exp(0.15), quantile(samples, 0.841345), 1.0);
        assertEquals(75.0 * Math.exp(-0.15), quantile(samples, 0.158655), 1.0);
        assertTrue(samples[0] > 0.0);
    }

    @Test
    void longTailMultipliesTheConfiguredShare()
    {
        final double[] samples = sample(new LatencyModel(75, 0.0, 0.01, 3.0, 0));
        final long longTail = Arrays.stream(samples).filter(ms -> ms == 225.0).count();
        final long normal = Arrays.stream(samples).filter(ms -> ms == 75.0).count();
        assertEquals(SAMPLES, longTail + normal);
        // Binomial(200000, 0.01): mean 2000, sd 44.5; 5 sd either side.
        assertEquals(2000.0, longTail, 225.0);
    }

    @Test
    void batchWaitIsUniformBelowItsMaximum()
    {
        final double[] samples = sample(new LatencyModel(0, 0.15, 0.01, 3.0, 20));
        assertTrue(samples[0] >= 0.0);
        assertTrue(samples[SAMPLES - 1] < 20.0);
        assertEquals(10.0, Arrays.stream(samples).average().orElseThrow(), 0.1);
        assertEquals(5.0, quantile(samples, 0.25), 0.2);
        assertEquals(15.0, quantile(samples, 0.75), 0.2);
    }

    @Test
    void defaultsCombineAllThreeTerms()
    {
        final double[] samples = sample(new LatencyModel(75, 0.15, 0.01, 3.0, 20));
        // The sum's median sits near 75 + 10; the tail beyond 3x the median is the long-tail share.
        assertEquals(85.0, quantile(samples, 0.5), 2.0);
        final long beyond150 = Arrays.stream(samples).filter(ms -> ms > 150.0).count();
        assertEquals(0.01, beyond150 / (double)SAMPLES, 0.002);
    }

    @Test
    void zeroEverythingMeansNoDelay()
    {
        final LatencyModel model = new LatencyModel(0, 0.0, 0.0, 3.0, 0);
        assertEquals(0L, model.sampleNanos(new SplittableRandom(1)));
    }

    @Test
    void sameSeedSameSequence()
    {
        final LatencyModel model = new LatencyModel(75, 0.15, 0.01, 3.0, 20);
        final SplittableRandom a = new SplittableRandom(7);
        final SplittableRandom b = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(model.sampleNanos(a), model.sampleNanos(b));
        }
    }

    private static double[] sample(final LatencyModel model)
    {
        final SplittableRandom random = new SplittableRandom(20261126L);
        final double[] samples = new double[SAMPLES];
        for (int i = 0; i < SAMPLES; i++)
        {
            samples[i] = model.sampleMs(random);
        }
        Arrays.sort(samples);
        return samples;
    }

    private static double quantile(final double[] sorted, final double q)
    {
        return sorted[(int)(q * (sorted.length - 1))];
    }
}
