package dev.sttbench.sim.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A test client that speaks HTTP/2 by prior knowledge: the connection preface, then frames (Netty's codec). */
final class H2PriorKnowledgeClient implements AutoCloseable
{
    record Response(int status, Http2Headers headers, String body)
    {
    }

    record GoAway(int lastStreamId, long errorCode)
    {
    }

    /** The server reset the stream with {@code errorCode} instead of answering. */
    static final class StreamReset extends RuntimeException
    {
        final long errorCode;

        StreamReset(final long errorCode)
        {
            super("RST_STREAM " + errorCode);
            this.errorCode = errorCode;
        }
    }

    private final EventLoopGroup group;
    private final Channel channel;
    private final Http2FrameCodec codec;
    private final CompletableFuture<Http2Settings> serverSettings;
    private final CompletableFuture<GoAway> goAway;

    private H2PriorKnowledgeClient(
        final EventLoopGroup group,
        final Channel channel,
        final Http2FrameCodec codec,
        final CompletableFuture<Http2Settings> serverSettings,
        final CompletableFuture<GoAway> goAway)
    {
        this.group = group;
        this.channel = channel;
        this.codec = codec;
        this.serverSettings = serverSettings;
        this.goAway = goAway;
    }

    static H2PriorKnowledgeClient connect(final int port) throws Exception
    {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final CompletableFuture<Http2Settings> serverSettings = new CompletableFuture<>();
        final CompletableFuture<GoAway> goAway = new CompletableFuture<>();
        final Http2FrameCodec codec = Http2FrameCodecBuilder.forClient().build();
        final Channel channel = new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(new ChannelInitializer<>()
            {
                protected void initChannel(final Channel ch)
                {
                    ch.pipeline().addLast(codec, new ChannelInboundHandlerAdapter()
                    {
                        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
                        {
                            if (msg instanceof Http2SettingsFrame settings)
                            {
                                serverSettings.complete(settings.settings());
                            }
                            else if (msg instanceof Http2GoAwayFrame frame)
                            {
                                goAway.complete(new GoAway(frame.lastStreamId(), frame.errorCode()));
                            }
                            ctx.fireChannelRead(msg);
                        }
                    }, new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                }
            })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
        return new H2PriorKnowledgeClient(group, channel, codec, serverSettings, goAway);
    }

    Http2Settings serverSettings() throws Exception
    {
        return serverSettings.get(30, TimeUnit.SECONDS);
    }

    /** The server's GOAWAY, once it came. */
    CompletableFuture<GoAway> goAway()
    {
        return goAway;
    }

    /**
     * Stop enforcing the server's SETTINGS_MAX_CONCURRENT_STREAMS on this side (Netty's client does by default), so a
     * test can open more streams than the server allows; call once the server's SETTINGS are in.
     */
    void ignoreStreamLimit() throws Exception
    {
        channel.eventLoop().submit(() -> codec.connection().local().maxActiveStreams(Integer.MAX_VALUE))
            .get(30, TimeUnit.SECONDS);
    }

    /** Whether the connection is still open. */
    boolean isOpen()
    {
        return channel.isActive();
    }

    /** @return how many bytes this client may still send on the connection before the server's next WINDOW_UPDATE. */
    int connectionSendWindow() throws Exception
    {
        return channel.eventLoop().submit(() ->
        {
            final Http2Connection connection = codec.connection();
            return connection.remote().flowController().windowSize(connection.connectionStream());
        }).get(30, TimeUnit.SECONDS);
    }

    Response send(final String method, final String path, final Map<String, String> headers, final byte[] body) throws Exception
    {
        final boolean hasBody = null != body;
        final List<Http2StreamFrame> frames = new ArrayList<>();
        frames.add(new DefaultHttp2HeadersFrame(requestHeaders(method, path, headers), !hasBody));
        if (hasBody)
        {
            frames.add(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
        }
        return open(frames).get(60, TimeUnit.SECONDS);
    }

    static Http2Headers requestHeaders(final String method, final String path, final Map<String, String> headers)
    {
        final Http2Headers requestHeaders = new DefaultHttp2Headers()
            .method(method)
            .path(path)
            .scheme("http")
            .authority("127.0.0.1");
        headers.forEach(requestHeaders::add);
        return requestHeaders;
    }

    /**
     * Open a stream and write {@code frames} on it.
     *
     * @return the response, completed when the server ends the stream.
     */
    CompletableFuture<Response> open(final List<Http2StreamFrame> frames) throws Exception
    {
        final CompletableFuture<Response> response = new CompletableFuture<>();
        final Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel)
            .handler(new ResponseCollector(response))
            .open()
            .get(30, TimeUnit.SECONDS);
        for (final Http2StreamFrame frame : frames)
        {
            stream.write(frame);
        }
        stream.flush();
        return response;
    }

    public void close()
    {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class ResponseCollector extends SimpleChannelInboundHandler<Http2StreamFrame>
    {
        private final CompletableFuture<Response> response;
        private final ByteBuf body = Unpooled.buffer();
        private Http2Headers headers;

        ResponseCollector(final CompletableFuture<Response> response)
        {
            this.response = response;
        }

        protected void channelRead0(final ChannelHandlerContext ctx, final Http2StreamFrame frame)
        {
            final boolean endStream;
            if (frame instanceof Http2HeadersFrame headersFrame)
            {
                headers = headersFrame.headers();
                endStream = headersFrame.isEndStream();
            }
            else if (frame instanceof Http2DataFrame data)
            {
                body.writeBytes(data.content());
                endStream = data.isEndStream();
            }
            else
            {
                endStream = false;
            }
            if (endStream)
            {
                response.complete(new Response(
                    Integer.parseInt(headers.status().toString()), headers, body.toString(StandardCharsets.UTF_8)));
                ReferenceCountUtil.release(body);
            }
        }

        public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
        {
            if (event instanceof Http2ResetFrame reset)
            {
                response.completeExceptionally(new StreamReset(reset.errorCode()));
            }
            ctx.fireUserEventTriggered(event);
        }

        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            response.completeExceptionally(cause);
        }

        public void channelInactive(final ChannelHandlerContext ctx)
        {
            response.completeExceptionally(new IllegalStateException("stream closed before the response ended"));
        }
    }
}
