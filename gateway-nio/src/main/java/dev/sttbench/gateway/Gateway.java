package dev.sttbench.gateway;

import dev.sttbench.gateway.config.AudioMemorySizing;
import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.inference.InferenceClient;
import dev.sttbench.gateway.metrics.LoopMetrics;
import dev.sttbench.gateway.metrics.MetricsRenderer;
import dev.sttbench.gateway.server.EventLoop;
import dev.sttbench.gateway.server.FileDescriptorLimit;
import dev.sttbench.gateway.session.AudioChunkPool;
import dev.sttbench.gateway.session.AudioMemoryBudget;
import dev.sttbench.gateway.session.RequestBodySlab;
import dev.sttbench.gateway.session.SessionLimit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.http.HttpClient;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway: {@code WORKER_THREADS} event loops, each with its own {@code SO_REUSEPORT} listener on the same
 * port (the kernel spreads connections over them), sharing one HTTP/2 inference client.
 */
public final class Gateway implements AutoCloseable
{
    /** What a JVM running the gateway in-process needs; the jar's manifest carries the same. */
    public static final String JVM_FLAGS =
        "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED";

    private static final int ACCEPT_BACKLOG = 4096;

    private final GatewayConfig config;
    private final InferenceClient inference;
    private final List<EventLoop> loops = new ArrayList<>();
    private final List<LoopMetrics> loopMetrics = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final int port;
    private final HttpClient.Version inferenceVersion;
    private final CompletableFuture<Throwable> loopFailure = new CompletableFuture<>();
    private final SessionLimit sessionLimit;
    private final AudioMemorySizing audioMemorySizing;
    private final AudioMemoryBudget audioMemory;
    private final FileDescriptorLimit fdLimit;
    private boolean closed;

    private Gateway(final GatewayConfig config) throws IOException
    {
        this.config = config;
        fdLimit = FileDescriptorLimit.raiseToHard();
        sessionLimit = new SessionLimit(config.maxSessions());
        audioMemorySizing = AudioMemorySizing.of(config);
        audioMemory = new AudioMemoryBudget(audioMemorySizing.budgetBytes());
        inference = new InferenceClient(config.inferenceUrl(), config.cpuPasses(), config.inferenceTimeoutMs(),
            config.inferenceMaxStreams(), config.inferenceMaxConnections(), config.inferenceQueueMax());
        int boundPort = config.port();
        try
        {
            for (int i = 0; i < config.workerThreads(); i++)
            {
                final ServerSocketChannel listener = ServerSocketChannel.open();
                listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                if (config.workerThreads() > 1)
                {
                    listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                listener.bind(new InetSocketAddress(config.bindAddress(), boundPort), ACCEPT_BACKLOG);
                boundPort = ((InetSocketAddress)listener.getLocalAddress()).getPort();
                final EventLoop loop = new EventLoop(
                    i, config, listener, sessionLimit, audioMemory, inference, this::metricsText, this::healthJson,
                    loopFailure::complete);
                loops.add(loop);
                loopMetrics.add(loop.metrics());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            inference.close();
            for (final EventLoop loop : loops)
            {
                loop.releaseMemory();
            }
            throw ex;
        }
        port = boundPort;
        inferenceVersion = inference.warmUp();
        for (final EventLoop loop : loops)
        {
            final Thread thread = new Thread(loop, "event-loop-" + loop.index());
            threads.add(thread);
            thread.start();
        }
    }

    /**
     * Bind, preallocate and start the loops; returns once connections are accepted. Throws
     * {@code IllegalArgumentException} naming AUDIO_MEMORY_MB when the container's memory limit cannot be read.
     */
    public static Gateway start(final GatewayConfig config)
    {
        if (!Object.class.getModule().isExported("jdk.internal.misc", Gateway.class.getModule()))
        {
            throw new IllegalStateException("gateway-nio needs the JVM flags " + JVM_FLAGS +
                " (Agrona 2.x buffers use jdk.internal.misc.Unsafe; the session slab is mapped through FFM)");
        }
        try
        {
            return new Gateway(config);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("gateway failed to start on port " + config.port(), ex);
        }
    }

    public int port()
    {
        return port;
    }

    /** Completes with the cause when an event loop dies; the process should then stop (Main exits 1). */
    public CompletableFuture<Throwable> loopFailure()
    {
        return loopFailure;
    }

    /** The protocol the startup warm-up negotiated with the inference service, or null if it was down. */
    public HttpClient.Version inferenceVersion()
    {
        return inferenceVersion;
    }

    public String metricsText()
    {
        return MetricsRenderer.render(loopMetrics, inference.inFlight(), audioMemory) + inference.metricsText();
    }

    private String healthJson()
    {
        long sessions = 0;
        for (final LoopMetrics metrics : loopMetrics)
        {
            sessions += metrics.get(LoopMetrics.SESSIONS);
        }
        return "{\"ok\":true,\"sessions\":" + sessions + "}";
    }

    /**
     * Graceful stop (the SIGTERM path): stop accepting, let in-flight batches resolve within
     * INFERENCE_TIMEOUT_MS, close sessions with 1001, then release the client and the memory.
     */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final EventLoop loop : loops)
        {
            loop.drain();
        }
        try
        {
            for (final EventLoop loop : loops)
            {
                loop.awaitStopped();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (inference.closeAndAwait())
        {
            for (final EventLoop loop : loops)
            {
                loop.releaseMemory();
            }
        }
    }

    String describe()
    {
        final int loops = config.workerThreads();
        final long audio = (long)config.audioChunksPerLoop() * AudioChunkPool.CHUNK_BYTES;
        final long bodies = (long)config.requestBodiesPerLoop() * RequestBodySlab.bytesPerSlot(config.maxRequestBodyBytes());
        final long outbound = (long)config.maxSessions() * config.outboundBufferBytes();
        return "config " + config + "\n" +
            "address space reserved off-heap per loop (any loop may hold every session), " + loops + " loops: audio " +
            (audio >> 20) + " MiB (" + config.audioChunksPerLoop() + " chunks of " + AudioChunkPool.CHUNK_BYTES +
            " B), request bodies " + (bodies >> 20) + " MiB (" + config.requestBodiesPerLoop() + "), outbound " +
            (outbound >> 20) + " MiB; pages are committed as audio arrives and returned when idle\n" +
            "audio memory budget, all loops: " + audioMemorySizing + "\n" +
            (null == fdLimit ? "file descriptors: limit unknown" : fdLimit.describe(config.maxSessions())) + "\n" +
            "inference " + config.inferenceUrl() + " warm-up protocol " +
            (null == inferenceVersion ? "unreachable (will retry per flush)" : inferenceVersion);
    }
}
