package dev.sttbench.netty;

import dev.sttbench.gateway.Pcm;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A scripted inference service speaking HTTP/2 cleartext by prior knowledge (what gateway-netty speaks): each
 * POST takes the next behaviour of {@link #script}, then it answers correctly.
 */
final class ScriptedService implements AutoCloseable
{
    record Reply(int status, String body, long delayMs)
    {
    }

    final ConcurrentLinkedQueue<Function<byte[], Reply>> script = new ConcurrentLinkedQueue<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    ScriptedService()
    {
        server = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<>()
            {
                protected void initChannel(final Channel ch)
                {
                    ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                        new Http2MultiplexHandler(new ChannelInitializer<>()
                        {
                            protected void initChannel(final Channel stream)
                            {
                                stream.pipeline().addLast(new StreamHandler());
                            }
                        }));
                }
            })
            .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    int port()
    {
        return ((InetSocketAddress)server.localAddress()).getPort();
    }

    /** The stub's correct JSON for {@code body}. */
    static Reply correct(final byte[] body)
    {
        final Pcm.Stub stub = Pcm.stub(body, 4);
        return new Reply(200, String.format(Locale.ROOT, "{\"rms\":%s,\"zero_crossings\":%d,\"checksum\":%d," +
            "\"samples\":%d,\"transcript\":\"%s\",\"audio_bytes\":%d}", stub.rms(), stub.zeroCrossings(),
            stub.checksum(), stub.samples(), stub.transcript(), stub.audioBytes()), 0);
    }

    public void close()
    {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter
    {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            try
            {
                final boolean end;
                if (msg instanceof Http2HeadersFrame headers)
                {
                    end = headers.isEndStream();
                }
                else if (msg instanceof Http2DataFrame data)
                {
                    body.writeBytes(ByteBufUtil.getBytes(data.content()));
                    end = data.isEndStream();
                }
                else
                {
                    end = false;
                }
                if (end)
                {
                    final Function<byte[], Reply> next = script.poll();
                    final Reply reply = null == next ? correct(body.toByteArray()) : next.apply(body.toByteArray());
                    ctx.executor().schedule(() -> answer(ctx, reply), reply.delayMs(), TimeUnit.MILLISECONDS);
                }
            }
            finally
            {
                ReferenceCountUtil.release(msg);
            }
        }

        private void answer(final ChannelHandlerContext ctx, final Reply reply)
        {
            final ByteBuf content = ctx.alloc().buffer().writeBytes(reply.body().getBytes(StandardCharsets.UTF_8));
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status(Integer.toString(reply.status()))));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(content, true));
        }
    }
}
