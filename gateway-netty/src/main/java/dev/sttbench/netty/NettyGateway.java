package dev.sttbench.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway: WORKER_THREADS event loops (epoll where its native library loads, else NIO) serving the WebSocket
 * sessions and, per loop, the HTTP/2 connections to the inference service; pooled direct buffers throughout.
 * {@link #close()} is the SIGTERM drain.
 */
public final class NettyGateway implements AutoCloseable
{
    private final GatewayConfig config;
    private final boolean epoll;
    private final EventLoopGroup group;
    private final ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
    private final Metrics metrics;
    private final InferenceClient inference;
    private final Channel serverChannel;
    private final byte[] partialFields;
    private final AtomicInteger admittedSessions = new AtomicInteger();
    private final Map<Channel, SessionHandler> sessions = new ConcurrentHashMap<>();
    private final AtomicLong lastErrorLogMillis = new AtomicLong();
    private volatile boolean draining;
    private boolean closed;

    private NettyGateway(final GatewayConfig config)
    {
        this.config = config;
        this.epoll = switch (config.transport())
        {
            case "nio" -> false;
            case "epoll" ->
            {
                Epoll.ensureAvailability();
                yield true;
            }
            default -> Epoll.isAvailable();
        };
        final IoHandlerFactory ioHandler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        final Class<? extends ServerChannel> serverChannelClass =
            epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        final Class<? extends Channel> channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        this.group = new MultiThreadIoEventLoopGroup(config.workerThreads(), new DefaultThreadFactory("event-loop"), ioHandler);
        this.metrics = new Metrics(group);
        this.inference = new InferenceClient(config, metrics, group, channelClass, allocator);
        this.partialFields = Protocol.configuredPartialFields(config.cpuPasses(), config.modelDelayMs());

        final ChannelFuture bind = new ServerBootstrap()
            .group(group)
            .channel(serverChannelClass)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.ALLOCATOR, allocator)
            .childOption(ChannelOption.ALLOCATOR, allocator)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new HttpHandler.Initializer(this))
            .bind(new InetSocketAddress(config.bindAddress(), config.port()))
            .awaitUninterruptibly();
        if (!bind.isSuccess())
        {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            throw new IllegalStateException("cannot listen on " + config.bindAddress() + ":" + config.port() + ": " +
                bind.cause(), bind.cause());
        }
        this.serverChannel = bind.channel();
        inference.warmUp();
    }

    /** Bind and serve until {@link #close()}. */
    public static NettyGateway start(final GatewayConfig config)
    {
        return new NettyGateway(config);
    }

    public int port()
    {
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    public String metricsText()
    {
        return metrics.render();
    }

    /** The event loops, for tests that stall one as a CPU quota does. */
    EventLoopGroup eventLoops()
    {
        return group;
    }

    String describe()
    {
        return "config " + config + "\n" +
            "transport " + (epoll ? "epoll (native)" : "nio" + (Epoll.isAvailable() ? "" : " (epoll unavailable: " +
            Epoll.unavailabilityCause() + ")")) + ", " + config.workerThreads() + " event loops, allocator " +
            allocator.getClass().getSimpleName() + " (" + PooledByteBufAllocator.DEFAULT.metric().numDirectArenas() +
            " direct arenas, chunk " + (PooledByteBufAllocator.DEFAULT.metric().chunkSize() >> 10) + " KiB)\n" +
            HttpHandler.describe() + "\n" +
            "inference " + config.inferenceUrl() + " over h2c prior knowledge, up to " +
            config.inferenceConnectionsPerLoop() + " connections per loop";
    }

    GatewayConfig config()
    {
        return config;
    }

    Metrics metrics()
    {
        return metrics;
    }

    InferenceClient inference()
    {
        return inference;
    }

    byte[] partialFields()
    {
        return partialFields;
    }

    boolean isDraining()
    {
        return draining;
    }

    /** Take one of MAX_SESSIONS slots (exactly, whichever loop asks); false past it or while draining. */
    boolean tryAdmit()
    {
        while (!draining)
        {
            final int admitted = admittedSessions.get();
            if (admitted >= config.maxSessions())
            {
                return false;
            }
            if (admittedSessions.compareAndSet(admitted, admitted + 1))
            {
                return true;
            }
        }
        return false;
    }

    void release()
    {
        admittedSessions.decrementAndGet();
    }

    /** An upgraded session, for the drain. */
    void register(final Channel channel, final SessionHandler session)
    {
        sessions.put(channel, session);
        channel.closeFuture().addListener(closed -> sessions.remove(channel));
    }

    /** At most one line a second on stderr; every error is counted in /metrics anyway. */
    void logError(final String what, final Throwable cause)
    {
        final long now = System.currentTimeMillis();
        final long last = lastErrorLogMillis.get();
        if (now - last >= 1_000 && lastErrorLogMillis.compareAndSet(last, now))
        {
            System.err.println(what + ": " + cause);
        }
    }

    /**
     * The drain (SIGTERM): stop accepting; each session flushes what it holds at once, gets its answers, and is
     * closed with 1001 (bounded by 2 x INFERENCE_TIMEOUT_MS + 0.5 s); then the inference connections and the loops.
     */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        draining = true;
        serverChannel.close().awaitUninterruptibly();
        for (final Map.Entry<Channel, SessionHandler> session : sessions.entrySet())
        {
            session.getKey().eventLoop().execute(session.getValue()::drain);
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2L * config.inferenceTimeoutMs() + 500);
        for (final Channel channel : new ArrayList<>(sessions.keySet()))
        {
            channel.closeFuture().awaitUninterruptibly(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        final List<ChannelFuture> stragglers = new ArrayList<>();
        for (final Channel channel : new ArrayList<>(sessions.keySet()))
        {
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "going away"));
            stragglers.add(channel.close());
        }
        for (final ChannelFuture straggler : stragglers)
        {
            straggler.awaitUninterruptibly(1_500);
        }
        inference.close(1_000);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
