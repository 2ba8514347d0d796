package dev.sttbench.netty;

import java.net.URI;
import java.util.Map;

/**
 * Configuration from the environment: PROTOCOL.md §5's variables and gateway-nio's, where they apply, with the
 * same names, defaults and validation. A malformed value fails with {@code IllegalArgumentException("VAR: why")}.
 */
public final class GatewayConfig
{
    /** Bytes of one audio frame: 20 ms of 16 kHz mono s16le. */
    public static final int FRAME_BYTES = 640;

    private final String bindAddress;
    private final int port;
    private final URI inferenceUrl;
    private final int cpuPasses;
    private final long modelDelayMs;
    private final int flushIntervalMs;
    private final int flushPhaseJitterMs;
    private final int inferenceTimeoutMs;
    private final int workerThreads;
    private final int maxSessions;
    private final int sessionBufferFrames;
    private final int outboundBufferBytes;
    private final int readIntervalMs;
    private final int requestHeadTimeoutMs;
    private final int startTimeoutMs;
    private final int idleTimeoutMs;
    private final int sendTimeoutMs;
    private final int inferenceConnectionsPerLoop;
    private final String transport;

    private GatewayConfig(final Map<String, String> env)
    {
        bindAddress = string(env, "BIND_ADDRESS", "127.0.0.1");
        port = intInRange(env, "PORT", 8080, 0, 65535);
        inferenceUrl = httpUri(env, "INFERENCE_URL", "http://127.0.0.1:9000");
        cpuPasses = intInRange(env, "CPU_PASSES", 4, 0, Integer.MAX_VALUE);
        modelDelayMs = intInRange(env, "MODEL_DELAY_MS", 75, 0, Integer.MAX_VALUE);
        flushIntervalMs = intInRange(env, "FLUSH_INTERVAL_MS", 1000, 1, 3_600_000);
        flushPhaseJitterMs = intInRange(env, "FLUSH_PHASE_JITTER_MS", 1000, 0, 3_600_000);
        inferenceTimeoutMs = intInRange(env, "INFERENCE_TIMEOUT_MS", 2000, 1, 3_600_000);
        workerThreads = intInRange(env, "WORKER_THREADS", Runtime.getRuntime().availableProcessors(), 1, 1024);
        maxSessions = intInRange(env, "MAX_SESSIONS", 10_000, 1, 1_000_000);
        sessionBufferFrames = intInRange(env, "SESSION_BUFFER_FRAMES", 256, 2, 65_536);
        outboundBufferBytes = intInRange(env, "OUTBOUND_BUFFER_BYTES", 16 * 1024, 8 * 1024, 16 * 1024 * 1024);
        readIntervalMs = intInRange(env, "READ_INTERVAL_MS", 0, 0, 3_600_000);
        requestHeadTimeoutMs = intInRange(env, "REQUEST_HEAD_TIMEOUT_MS", 10_000, 1, 3_600_000);
        startTimeoutMs = intInRange(env, "START_TIMEOUT_MS", 10_000, 1, 3_600_000);
        idleTimeoutMs = intInRange(env, "IDLE_TIMEOUT_MS", 60_000, 0, Integer.MAX_VALUE);
        sendTimeoutMs = intInRange(env, "SEND_TIMEOUT_MS", 10_000, 1, 3_600_000);
        inferenceConnectionsPerLoop = intInRange(env, "INFERENCE_CONNECTIONS_PER_LOOP", 4, 1, 1024);
        transport = oneOf(env, "NETTY_TRANSPORT", "auto", "auto", "epoll", "nio");
    }

    public static GatewayConfig fromEnv(final Map<String, String> env)
    {
        return new GatewayConfig(env);
    }

    public String bindAddress()
    {
        return bindAddress;
    }

    public int port()
    {
        return port;
    }

    public URI inferenceUrl()
    {
        return inferenceUrl;
    }

    public int cpuPasses()
    {
        return cpuPasses;
    }

    public long modelDelayMs()
    {
        return modelDelayMs;
    }

    public int flushIntervalMs()
    {
        return flushIntervalMs;
    }

    public int flushPhaseJitterMs()
    {
        return flushPhaseJitterMs;
    }

    public int inferenceTimeoutMs()
    {
        return inferenceTimeoutMs;
    }

    public int workerThreads()
    {
        return workerThreads;
    }

    public int maxSessions()
    {
        return maxSessions;
    }

    /** Frames a session may hold, the batch in flight included; past it frames are shed (see the README). */
    public int sessionBufferFrames()
    {
        return sessionBufferFrames;
    }

    /** The WebSocket channel's high write-buffer water mark; the low one is half of it. */
    public int outboundBufferBytes()
    {
        return outboundBufferBytes;
    }

    /**
     * 0 (the default here): Netty's auto-read, every socket read as soon as it is readable. N: a streaming
     * session turns auto-read off and reads its socket every N ms and at each flush, as gateway-nio does.
     */
    public int readIntervalMs()
    {
        return readIntervalMs;
    }

    public int requestHeadTimeoutMs()
    {
        return requestHeadTimeoutMs;
    }

    public int startTimeoutMs()
    {
        return startTimeoutMs;
    }

    public int idleTimeoutMs()
    {
        return idleTimeoutMs;
    }

    public int sendTimeoutMs()
    {
        return sendTimeoutMs;
    }

    /** HTTP/2 connections one event loop may open to the inference service when the first ones reach its stream limit. */
    public int inferenceConnectionsPerLoop()
    {
        return inferenceConnectionsPerLoop;
    }

    /** {@code auto} (epoll where its native library loads, else NIO), {@code epoll} or {@code nio}. */
    public String transport()
    {
        return transport;
    }

    public String toString()
    {
        return "BIND_ADDRESS=" + bindAddress + " PORT=" + port + " INFERENCE_URL=" + inferenceUrl +
            " CPU_PASSES=" + cpuPasses + " MODEL_DELAY_MS=" + modelDelayMs +
            " FLUSH_INTERVAL_MS=" + flushIntervalMs + " FLUSH_PHASE_JITTER_MS=" + flushPhaseJitterMs +
            " INFERENCE_TIMEOUT_MS=" + inferenceTimeoutMs + " WORKER_THREADS=" + workerThreads +
            " MAX_SESSIONS=" + maxSessions + " SESSION_BUFFER_FRAMES=" + sessionBufferFrames +
            " OUTBOUND_BUFFER_BYTES=" + outboundBufferBytes + " READ_INTERVAL_MS=" + readIntervalMs +
            " REQUEST_HEAD_TIMEOUT_MS=" + requestHeadTimeoutMs + " START_TIMEOUT_MS=" + startTimeoutMs +
            " IDLE_TIMEOUT_MS=" + idleTimeoutMs + " SEND_TIMEOUT_MS=" + sendTimeoutMs +
            " INFERENCE_CONNECTIONS_PER_LOOP=" + inferenceConnectionsPerLoop + " NETTY_TRANSPORT=" + transport;
    }

    private static String string(final Map<String, String> env, final String name, final String defaultValue)
    {
        final String value = env.get(name);
        if (null == value)
        {
            return defaultValue;
        }
        if (value.isBlank())
        {
            throw new IllegalArgumentException(name + ": must not be blank");
        }
        return value.trim();
    }

    private static String oneOf(
        final Map<String, String> env, final String name, final String defaultValue, final String... allowed)
    {
        final String value = string(env, name, defaultValue);
        for (final String candidate : allowed)
        {
            if (candidate.equals(value))
            {
                return value;
            }
        }
        throw new IllegalArgumentException(name + ": must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
    }

    private static int intInRange(
        final Map<String, String> env, final String name, final int defaultValue, final int min, final int max)
    {
        final String value = env.get(name);
        if (null == value)
        {
            return defaultValue;
        }
        final int parsed;
        try
        {
            parsed = Integer.parseInt(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + ": not an integer: '" + value + "'");
        }
        if (parsed < min || parsed > max)
        {
            throw new IllegalArgumentException(name + ": " + parsed + " is outside [" + min + ", " + max + "]");
        }
        return parsed;
    }

    private static URI httpUri(final Map<String, String> env, final String name, final String defaultValue)
    {
        final String value = string(env, name, defaultValue);
        final URI uri;
        try
        {
            uri = new URI(value);
        }
        catch (final Exception ex)
        {
            throw new IllegalArgumentException(name + ": not a URI: '" + value + "'");
        }
        if (!"http".equals(uri.getScheme()) || null == uri.getHost())
        {
            throw new IllegalArgumentException(name + ": must be http://host[:port], got '" + value + "'");
        }
        return uri;
    }
}
