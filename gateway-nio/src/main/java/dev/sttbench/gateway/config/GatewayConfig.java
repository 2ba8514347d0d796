package dev.sttbench.gateway.config;

import dev.sttbench.gateway.session.AudioChunkPool;
import dev.sttbench.gateway.session.RequestBodySlab;

import java.net.URI;
import java.util.Map;

/**
 * Gateway configuration from the environment (PROTOCOL.md §5 plus sizing knobs). Every value is validated;
 * a malformed one fails with {@code IllegalArgumentException("VAR: why")} rather than falling back silently.
 */
public final class GatewayConfig
{
    /** Bytes of one audio frame: 20 ms of 16 kHz mono s16le. */
    public static final int FRAME_BYTES = 640;
    /** See {@link #loopPacingMicros()}. */
    public static final int DEFAULT_LOOP_PACING_US = 0;
    /** Address space (not memory) each loop may reserve for outbound buffers, one per possible session. */
    private static final long MAX_OUTBOUND_RESERVATION = 1L << 40;

    private final String bindAddress;
    private final int port;
    private final URI inferenceUrl;
    private final int cpuPasses;
    private final long modelDelayMs;
    private final int flushIntervalMs;
    private final int flushPhaseJitterMs;
    private final int inferenceTimeoutMs;
    private final int inferenceMaxStreams;
    private final int inferenceMaxConnections;
    private final int inferenceQueueMax;
    private final int workerThreads;
    private final int maxSessions;
    private final int sessionBufferFrames;
    private final int outboundBufferBytes;
    private final int loopPacingMicros;
    private final int readIntervalMs;
    private final int requestHeadTimeoutMs;
    private final int startTimeoutMs;
    private final int idleTimeoutMs;
    private final int sendTimeoutMs;
    private final int audioMemoryMb;

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
        inferenceMaxStreams = intInRange(env, "INFERENCE_MAX_STREAMS", 100, 1, 1_000_000);
        inferenceMaxConnections = intInRange(env, "INFERENCE_MAX_CONNECTIONS", 16, 1, 256);
        inferenceQueueMax = intInRange(env, "INFERENCE_QUEUE_MAX", 4096, 0, 1_000_000);
        workerThreads = intInRange(env, "WORKER_THREADS", Runtime.getRuntime().availableProcessors(), 1, 1024);
        maxSessions = intInRange(env, "MAX_SESSIONS", 10_000, 1, 1_000_000);
        sessionBufferFrames = intInRange(env, "SESSION_BUFFER_FRAMES", 256, 2, 65_536);
        outboundBufferBytes = intInRange(env, "OUTBOUND_BUFFER_BYTES", 16 * 1024, 8 * 1024, 16 * 1024 * 1024);
        loopPacingMicros = intInRange(env, "LOOP_PACING_US", DEFAULT_LOOP_PACING_US, 0, 100_000);
        readIntervalMs = intInRange(env, "READ_INTERVAL_MS", 500, 0, 3_600_000);
        requestHeadTimeoutMs = intInRange(env, "REQUEST_HEAD_TIMEOUT_MS", 10_000, 1, 3_600_000);
        startTimeoutMs = intInRange(env, "START_TIMEOUT_MS", 10_000, 1, 3_600_000);
        idleTimeoutMs = intInRange(env, "IDLE_TIMEOUT_MS", 60_000, 0, Integer.MAX_VALUE);
        sendTimeoutMs = intInRange(env, "SEND_TIMEOUT_MS", 10_000, 1, 3_600_000);
        audioMemoryMb = intInRange(env, "AUDIO_MEMORY_MB", 0, 0, 16 * 1024 * 1024);
        if ((long)maxSessions * outboundBufferBytes > MAX_OUTBOUND_RESERVATION)
        {
            throw new IllegalArgumentException("OUTBOUND_BUFFER_BYTES: " + outboundBufferBytes + " bytes for each of "
                + "MAX_SESSIONS=" + maxSessions + " sessions exceed the 1 TiB of address space a loop reserves for them");
        }
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

    /**
     * Requests in flight at once on one HTTP/2 connection to the inference service: at most the service's
     * SETTINGS_MAX_CONCURRENT_STREAMS, which java.net.http does not expose (past it, it fails a request at once). A
     * lower limit it reveals that way is learned per connection.
     */
    public int inferenceMaxStreams()
    {
        return inferenceMaxStreams;
    }

    /** HTTP/2 connections (one HttpClient each) the gateway may open to the inference service, as load needs them. */
    public int inferenceMaxConnections()
    {
        return inferenceMaxConnections;
    }

    /**
     * Batches that may wait for a free stream; past it a batch fails at once with a timeout error frame. Each waits
     * at most its inference deadline.
     */
    public int inferenceQueueMax()
    {
        return inferenceQueueMax;
    }

    public int workerThreads()
    {
        return workerThreads;
    }

    public int maxSessions()
    {
        return maxSessions;
    }

    public int sessionBufferFrames()
    {
        return sessionBufferFrames;
    }

    public int outboundBufferBytes()
    {
        return outboundBufferBytes;
    }

    /**
     * Shortest period of one event-loop iteration: a loop that finished early waits out the rest, so the next
     * {@code epoll_wait} returns more ready sockets and each read finds more frames (fewer syscalls per frame),
     * at the cost of up to this much added latency. 0 = never wait.
     */
    public int loopPacingMicros()
    {
        return loopPacingMicros;
    }

    /**
     * How often a streaming session's socket is read between its flushes: audio waits in the kernel's socket
     * buffer until then, so one read takes ~{@code READ_INTERVAL_MS / 20} frames instead of one. The flush
     * reads first, so a batch holds every frame received by then. 0 = read each socket as soon as it is readable.
     * It bounds how late a ping, a close or EOF is seen.
     */
    public int readIntervalMs()
    {
        return readIntervalMs;
    }

    /** A connection must send its whole request head within this, or it is answered 408 and closed. */
    public int requestHeadTimeoutMs()
    {
        return requestHeadTimeoutMs;
    }

    /** An upgraded connection must send its start message within this, or it is closed with 1008. */
    public int startTimeoutMs()
    {
        return startTimeoutMs;
    }

    /**
     * A session that sends nothing (no frame of any kind) for this long is closed with 1001; 0 = never. A client
     * keeping a quiet session open sends a ping now and then.
     */
    public int idleTimeoutMs()
    {
        return idleTimeoutMs;
    }

    /**
     * A session whose client leaves our messages unread for this long (they wait in the outbound buffer because
     * its socket's send buffer is full) is closed with 1008.
     */
    public int sendTimeoutMs()
    {
        return sendTimeoutMs;
    }

    /**
     * MiB of off-heap memory all loops together may commit to audio (ring chunks and request bodies); 0 = derived
     * from the container's memory limit ({@link AudioMemorySizing}).
     */
    public int audioMemoryMb()
    {
        return audioMemoryMb;
    }

    /**
     * Audio chunks per loop: enough for every session's ring to be full at once, since any loop may hold all
     * MAX_SESSIONS, up to the 2 GiB one loop's pool addresses (262,143 chunks: 50,000 sessions streaming with a
     * second of audio each). Past that a loop sheds frames, each named by a buffer_overflow error frame.
     */
    public int audioChunksPerLoop()
    {
        return (int)Math.min(AudioChunkPool.MAX_CHUNKS, (long)maxSessions * AudioChunkPool.chunksFor(sessionBufferFrames));
    }

    /** Bytes of the largest batch: a full ring. */
    public int maxRequestBodyBytes()
    {
        return sessionBufferFrames * FRAME_BYTES;
    }

    /**
     * Request bodies per loop: one per session (a session has at most one request outstanding), up to the 2 GiB
     * one loop's slab addresses (13,107 requests in flight per loop with the default ring); past that a loop
     * defers flushes until a body is free.
     */
    public int requestBodiesPerLoop()
    {
        return Math.min(maxSessions, Integer.MAX_VALUE / RequestBodySlab.bytesPerSlot(maxRequestBodyBytes()));
    }

    public String toString()
    {
        return "BIND_ADDRESS=" + bindAddress + " PORT=" + port + " INFERENCE_URL=" + inferenceUrl +
            " CPU_PASSES=" + cpuPasses + " MODEL_DELAY_MS=" + modelDelayMs +
            " FLUSH_INTERVAL_MS=" + flushIntervalMs + " FLUSH_PHASE_JITTER_MS=" + flushPhaseJitterMs +
            " INFERENCE_TIMEOUT_MS=" + inferenceTimeoutMs + " INFERENCE_MAX_STREAMS=" + inferenceMaxStreams +
            " INFERENCE_MAX_CONNECTIONS=" + inferenceMaxConnections + " INFERENCE_QUEUE_MAX=" + inferenceQueueMax +
            " WORKER_THREADS=" + workerThreads +
            " MAX_SESSIONS=" + maxSessions + " SESSION_BUFFER_FRAMES=" + sessionBufferFrames +
            " OUTBOUND_BUFFER_BYTES=" + outboundBufferBytes + " LOOP_PACING_US=" + loopPacingMicros + " READ_INTERVAL_MS=" + readIntervalMs +
            " REQUEST_HEAD_TIMEOUT_MS=" + requestHeadTimeoutMs + " START_TIMEOUT_MS=" + startTimeoutMs +
            " IDLE_TIMEOUT_MS=" + idleTimeoutMs + " SEND_TIMEOUT_MS=" + sendTimeoutMs + " AUDIO_MEMORY_MB=" + audioMemoryMb;
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
