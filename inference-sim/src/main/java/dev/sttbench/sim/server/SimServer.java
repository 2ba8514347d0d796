package dev.sttbench.sim.server;

import dev.sttbench.sim.SimConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** The Netty server: WORKER_THREADS event loops that accept, parse, compute and answer. */
public final class SimServer implements AutoCloseable
{
    private static final int ACCEPT_BACKLOG = 4096;

    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final InferenceEndpoint endpoint;
    private final ChannelGroup connections;

    private SimServer(
        final EventLoopGroup group, final Channel serverChannel, final InferenceEndpoint endpoint, final ChannelGroup connections)
    {
        this.group = group;
        this.serverChannel = serverChannel;
        this.endpoint = endpoint;
        this.connections = connections;
    }

    /**
     * Bind and start serving.
     *
     * @param config configuration.
     * @param seed   seeds the per-loop latency model generators.
     * @return the running server.
     * @throws IllegalStateException when the address cannot be bound.
     */
    public static SimServer start(final SimConfig config, final SplittableRandom seed)
    {
        final InferenceEndpoint endpoint = new InferenceEndpoint(config, seed);
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(
            config.workerThreads(), new DefaultThreadFactory("inference-sim"), NioIoHandler.newFactory());
        final ChannelGroup connections = new DefaultChannelGroup("inference-sim-connections", GlobalEventExecutor.INSTANCE);
        final InetSocketAddress address = new InetSocketAddress(config.bindAddress(), config.port());
        final ChannelFuture bind = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new SimChannelInitializer(endpoint, config, connections))
            .bind(address)
            .awaitUninterruptibly();
        if (!bind.isSuccess())
        {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            throw new IllegalStateException("cannot listen on " + address + ": " + bind.cause(), bind.cause());
        }
        return new SimServer(group, bind.channel(), endpoint, connections);
    }

    public int port()
    {
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    public InferenceEndpoint endpoint()
    {
        return endpoint;
    }

    /** Connections open now (all transports). */
    public int connections()
    {
        return connections.size();
    }

    /**
     * Reset every open connection at once (SO_LINGER 0: an RST, no GOAWAY): a fault for clients' tests. The server
     * keeps listening.
     */
    public void dropConnections()
    {
        closeConnections(true);
    }

    /**
     * Close every open connection from the head of its pipeline, past the HTTP/2 handler's graceful close: that one
     * sends GOAWAY and waits for the streams in flight, whose answers are timers of the event loops being stopped, so
     * the socket would stay open with requests that never end.
     */
    private void closeConnections(final boolean reset)
    {
        for (final Channel connection : connections)
        {
            connection.eventLoop().execute(() ->
            {
                if (reset)
                {
                    connection.config().setOption(ChannelOption.SO_LINGER, 0);
                }
                final ChannelHandlerContext first = connection.pipeline().firstContext();
                if (null == first)
                {
                    connection.close();
                }
                else
                {
                    first.close();
                }
            });
        }
        for (final Channel connection : connections)
        {
            connection.closeFuture().awaitUninterruptibly();
        }
    }

    /** Stop accepting, close the connections, then stop the loops; responses still waiting on the model are dropped. */
    public void close()
    {
        serverChannel.close().syncUninterruptibly();
        closeConnections(false);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
