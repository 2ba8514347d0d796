package dev.sttbench.sim.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.EventExecutor;

import java.util.ArrayDeque;

/**
 * Plain HTTP/1.1 with keep-alive. Responses complete out of order (random model delays) but HTTP/1.1
 * pipelining needs them in request order, so each connection keeps its exchanges in a FIFO and writes
 * from the head while the head is ready.
 */
final class Http1Handler extends SimpleChannelInboundHandler<FullHttpRequest>
{
    private final InferenceEndpoint endpoint;
    private final ArrayDeque<Http1Exchange> exchanges = new ArrayDeque<>();
    private ChannelHandlerContext ctx;

    Http1Handler(final InferenceEndpoint endpoint)
    {
        this.endpoint = endpoint;
    }

    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
    }

    protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        if (request.decoderResult().isFailure())
        {
            final Http1Exchange exchange = new Http1Exchange(false);
            exchanges.addLast(exchange);
            endpoint.rejectMalformed(exchange, Transport.HTTP_1_1, ctx.alloc(), request.decoderResult().cause());
            return;
        }
        final Http1Exchange exchange = new Http1Exchange(HttpUtil.isKeepAlive(request));
        exchanges.addLast(exchange);
        final HttpHeaders headers = request.headers();
        endpoint.handle(
            exchange,
            Transport.HTTP_1_1,
            ctx.alloc(),
            request.method().asciiName(),
            request.uri(),
            headers.get(InferenceEndpoint.X_CPU_PASSES),
            request.content());
    }

    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ctx.close();
    }

    private void writeReadyResponses()
    {
        Http1Exchange head;
        while (null != (head = exchanges.peekFirst()) && null != head.response)
        {
            exchanges.pollFirst();
            if (!head.keepAlive)
            {
                ctx.writeAndFlush(head.response).addListener(ChannelFutureListener.CLOSE);
                for (final Http1Exchange dropped : exchanges)
                {
                    if (null != dropped.response)
                    {
                        dropped.response.release();
                    }
                }
                exchanges.clear();
                return;
            }
            ctx.write(head.response, ctx.voidPromise());
        }
        ctx.flush();
    }

    private final class Http1Exchange extends Exchange
    {
        private final boolean keepAlive;
        private FullHttpResponse response;

        Http1Exchange(final boolean keepAlive)
        {
            this.keepAlive = keepAlive;
        }

        protected EventExecutor executor()
        {
            return ctx.executor();
        }

        protected void write(
            final HttpResponseStatus status, final AsciiString contentType, final ByteBuf body, final AsciiString allow)
        {
            final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
            final HttpHeaders headers = response.headers();
            headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (null != allow)
            {
                headers.set(HttpHeaderNames.ALLOW, allow);
            }
            if (!keepAlive)
            {
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            this.response = response;
            writeReadyResponses();
        }
    }
}
