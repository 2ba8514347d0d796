package dev.sttbench.sim;

import java.util.Map;

/**
 * The simulator's configuration, read from environment variables (PROTOCOL.md §5).
 * A malformed value is an {@link IllegalArgumentException} whose message starts with the variable's name.
 */
public final class SimConfig
{
    /** Largest accepted request body; larger ones are answered 413. Bounds sum_squares (see {@link #MAX_CPU_PASSES}). */
    public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
    /**
     * Largest accepted cpu-passes value. With 2^23 samples of at most 2^30 squared each, one pass sums to at most
     * 2^53, so 1023 passes keep the exact sum of squares below 2^63 (a {@code long}).
     */
    public static final int MAX_CPU_PASSES = 1023;
    /** Largest value of an HTTP/2 setting (RFC 9113 §6.5.1: 32 bits, unsigned). */
    public static final long MAX_HTTP2_SETTING = 0xFFFF_FFFFL;
    /**
     * Streams a client may open at once by default. A gateway at 5000 requests/s with 2 s timeouts has at most
     * 10 000 open; this leaves room for 100x that.
     */
    public static final long DEFAULT_MAX_CONCURRENT_STREAMS = 1_000_000;

    private final String bindAddress;
    private final int port;
    private final int workerThreads;
    private final int cpuPasses;
    private final long modelDelayMs;
    private final double modelJitterSigma;
    private final double modelLongtailProb;
    private final double modelLongtailMult;
    private final long modelBatchWaitMaxMs;
    private final int modelMaxConcurrent;
    private final long maxConcurrentStreams;
    private final long maxRequestsPerConnection;

    private SimConfig(
        final String bindAddress,
        final int port,
        final int workerThreads,
        final int cpuPasses,
        final long modelDelayMs,
        final double modelJitterSigma,
        final double modelLongtailProb,
        final double modelLongtailMult,
        final long modelBatchWaitMaxMs,
        final int modelMaxConcurrent,
        final long maxConcurrentStreams,
        final long maxRequestsPerConnection)
    {
        this.bindAddress = bindAddress;
        this.port = port;
        this.workerThreads = workerThreads;
        this.cpuPasses = cpuPasses;
        this.modelDelayMs = modelDelayMs;
        this.modelJitterSigma = modelJitterSigma;
        this.modelLongtailProb = modelLongtailProb;
        this.modelLongtailMult = modelLongtailMult;
        this.modelBatchWaitMaxMs = modelBatchWaitMaxMs;
        this.modelMaxConcurrent = modelMaxConcurrent;
        this.maxConcurrentStreams = maxConcurrentStreams;
        this.maxRequestsPerConnection = maxRequestsPerConnection;
    }

    /**
     * @param env the environment (unknown keys are ignored).
     * @return the configuration, defaults per PROTOCOL.md §2/§5 for absent keys.
     * @throws IllegalArgumentException "VAR: why" for the first malformed variable.
     */
    public static SimConfig fromEnv(final Map<String, String> env)
    {
        final String bindAddress = env.getOrDefault("BIND_ADDRESS", "127.0.0.1").trim();
        if (bindAddress.isEmpty())
        {
            throw new IllegalArgumentException("BIND_ADDRESS: must not be empty");
        }
        return new SimConfig(
            bindAddress,
            (int)longIn(env, "PORT", 9000, 0, 65535),
            (int)longIn(env, "WORKER_THREADS", Runtime.getRuntime().availableProcessors(), 1, 1024),
            (int)longIn(env, "CPU_PASSES", 4, 0, MAX_CPU_PASSES),
            longIn(env, "MODEL_DELAY_MS", 75, 0, 3_600_000),
            doubleIn(env, "MODEL_JITTER_SIGMA", 0.15, 0.0, 10.0),
            doubleIn(env, "MODEL_LONGTAIL_PROB", 0.01, 0.0, 1.0),
            doubleIn(env, "MODEL_LONGTAIL_MULT", 3.0, 0.0, 1_000.0),
            longIn(env, "MODEL_BATCH_WAIT_MAX_MS", 20, 0, 3_600_000),
            (int)longIn(env, "MODEL_MAX_CONCURRENT", 65536, 1, Integer.MAX_VALUE),
            longIn(env, "MAX_CONCURRENT_STREAMS", DEFAULT_MAX_CONCURRENT_STREAMS, 1, MAX_HTTP2_SETTING),
            longIn(env, "MAX_REQUESTS_PER_CONNECTION", 0, 0, Long.MAX_VALUE));
    }

    /**
     * Parse an integer variable in {@code [min, max]}.
     *
     * @param env          the environment.
     * @param name         variable name, used in the error message.
     * @param defaultValue value when the variable is absent.
     * @param min          smallest accepted value.
     * @param max          largest accepted value.
     * @return the value.
     */
    static long longIn(final Map<String, String> env, final String name, final long defaultValue, final long min, final long max)
    {
        final String raw = env.get(name);
        if (null == raw)
        {
            return defaultValue;
        }
        final long value;
        try
        {
            value = Long.parseLong(raw.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + ": not an integer: '" + raw + "'", ex);
        }
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(name + ": " + value + " is outside [" + min + ", " + max + "]");
        }
        return value;
    }

    static double doubleIn(
        final Map<String, String> env, final String name, final double defaultValue, final double min, final double max)
    {
        final String raw = env.get(name);
        if (null == raw)
        {
            return defaultValue;
        }
        final double value;
        try
        {
            value = Double.parseDouble(raw.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + ": not a number: '" + raw + "'", ex);
        }
        if (!(value >= min && value <= max))
        {
            throw new IllegalArgumentException(name + ": " + raw.trim() + " is outside [" + min + ", " + max + "]");
        }
        return value;
    }

    public String bindAddress()
    {
        return bindAddress;
    }

    public int port()
    {
        return port;
    }

    public int workerThreads()
    {
        return workerThreads;
    }

    /** Passes used when a request carries no {@code x-cpu-passes} header. */
    public int cpuPasses()
    {
        return cpuPasses;
    }

    public long modelDelayMs()
    {
        return modelDelayMs;
    }

    public double modelJitterSigma()
    {
        return modelJitterSigma;
    }

    public double modelLongtailProb()
    {
        return modelLongtailProb;
    }

    public double modelLongtailMult()
    {
        return modelLongtailMult;
    }

    public long modelBatchWaitMaxMs()
    {
        return modelBatchWaitMaxMs;
    }

    public int modelMaxConcurrent()
    {
        return modelMaxConcurrent;
    }

    /**
     * HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: advertised to every HTTP/2 client and enforced, a stream beyond it
     * being refused with RST_STREAM(REFUSED_STREAM) (RFC 9113 §5.1.2).
     */
    public long maxConcurrentStreams()
    {
        return maxConcurrentStreams;
    }

    /**
     * Requests an HTTP/2 connection serves before the simulator sends GOAWAY naming the last of them, finishes
     * them and closes it (what nginx's {@code keepalive_requests} does); 0 = no limit.
     */
    public long maxRequestsPerConnection()
    {
        return maxRequestsPerConnection;
    }

    public String toString()
    {
        return "BIND_ADDRESS=" + bindAddress +
            " PORT=" + port +
            " WORKER_THREADS=" + workerThreads +
            " CPU_PASSES=" + cpuPasses +
            " MODEL_DELAY_MS=" + modelDelayMs +
            " MODEL_JITTER_SIGMA=" + modelJitterSigma +
            " MODEL_LONGTAIL_PROB=" + modelLongtailProb +
            " MODEL_LONGTAIL_MULT=" + modelLongtailMult +
            " MODEL_BATCH_WAIT_MAX_MS=" + modelBatchWaitMaxMs +
            " MODEL_MAX_CONCURRENT=" + modelMaxConcurrent +
            " MAX_CONCURRENT_STREAMS=" + maxConcurrentStreams +
            " MAX_REQUESTS_PER_CONNECTION=" + maxRequestsPerConnection;
    }
}
