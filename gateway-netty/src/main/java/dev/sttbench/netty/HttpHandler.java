package dev.sttbench.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side of a connection, in front of Netty's {@link WebSocketServerProtocolHandler}: {@code /health},
 * {@code /metrics}, 404, 405, 408, 431, and the checks PROTOCOL.md §1 wants answered before an upgrade (400 for a
 * bad key or version, 503 past MAX_SESSIONS), which Netty's handshaker answers differently (426, or none). A valid
 * upgrade takes a session slot and goes on to the protocol handler, which completes the handshake; this handler
 * then leaves the pipeline.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest>
{
    static final String WEBSOCKET_PATH = "/ws/stt";
    /** HTTP request line and header block limits: a longer head is answered 431. */
    static final int MAX_LINE_BYTES = 4096;
    static final int MAX_HEAD_BYTES = 8192;
    /** No request this gateway serves has a body worth reading. */
    static final int MAX_BODY_BYTES = 8192;
    /**
     * Largest WebSocket frame Netty's decoder buffers: above it the decoder closes with 1009. At or below it a
     * binary message of any size but 640 bytes is closed with 1003 (by {@link SessionHandler}).
     */
    static final int MAX_FRAME_PAYLOAD_BYTES = 65_536;

    /** The channel pipeline of an accepted connection. */
    static final class Initializer extends ChannelInitializer<SocketChannel>
    {
        private final NettyGateway gateway;
        private final WebSocketServerProtocolConfig websocket;

        Initializer(final NettyGateway gateway)
        {
            this.gateway = gateway;
            this.websocket = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(WEBSOCKET_PATH)
                .checkStartsWith(true)
                .handshakeTimeoutMillis(gateway.config().requestHeadTimeoutMs())
                // The session sends its close frames itself (with their §1 codes); without this Netty would add a
                // 1000 "Bye" after the decoder's 1002 when a framing violation closes the channel.
                .sendCloseFrame(null)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                    .maxFramePayloadLength(MAX_FRAME_PAYLOAD_BYTES)
                    .expectMaskedFrames(true)
                    .allowMaskMismatch(false)
                    .allowExtensions(false)
                    .closeOnProtocolViolation(true)
                    .withUTF8Validator(true)
                    .build())
                .build();
        }

        protected void initChannel(final SocketChannel ch)
        {
            final ChannelPipeline pipeline = ch.pipeline();
            pipeline.addLast("http", new HttpServerCodec(MAX_LINE_BYTES, MAX_HEAD_BYTES, MAX_BODY_BYTES));
            pipeline.addLast("aggregator", new HttpObjectAggregator(MAX_BODY_BYTES));
            pipeline.addLast("router", new HttpHandler(gateway));
            pipeline.addLast("websocket", new WebSocketServerProtocolHandler(websocket));
            pipeline.addLast("session", new SessionHandler(gateway));
        }
    }

    private final NettyGateway gateway;
    private ScheduledFuture<?> headTimeout;

    HttpHandler(final NettyGateway gateway)
    {
        this.gateway = gateway;
    }

    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        headTimeout = ctx.executor().schedule(() ->
        {
            gateway.metrics().of(ctx.channel().eventLoop()).increment(Metrics.REQUEST_HEAD_TIMEOUTS);
            respond(ctx, HttpResponseStatus.REQUEST_TIMEOUT, null, null);
        }, gateway.config().requestHeadTimeoutMs(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        cancelHeadTimeout();
        super.channelInactive(ctx);
    }

    protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        cancelHeadTimeout();
        if (request.decoderResult().isFailure())
        {
            final Throwable cause = request.decoderResult().cause();
            respond(ctx, cause instanceof TooLongHttpHeaderException || cause instanceof TooLongHttpLineException ?
                HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE : HttpResponseStatus.BAD_REQUEST, null, null);
            return;
        }
        if (!HttpMethod.GET.equals(request.method()))
        {
            respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, null, null);
            return;
        }
        final String uri = request.uri();
        final int query = uri.indexOf('?');
        final String path = query < 0 ? uri : uri.substring(0, query);
        switch (path)
        {
            case WEBSOCKET_PATH -> upgrade(ctx, request);
            case "/health" -> respond(ctx, HttpResponseStatus.OK, HttpHeaderValues.APPLICATION_JSON,
                "{\"ok\":true,\"sessions\":" + gateway.metrics().sessions() + "}");
            case "/metrics" -> respond(ctx, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                gateway.metrics().render());
            default -> respond(ctx, HttpResponseStatus.NOT_FOUND, null, null);
        }
    }

    private void upgrade(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        if (!isValidUpgrade(request.headers()))
        {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, null, null);
            return;
        }
        if (!gateway.tryAdmit())
        {
            gateway.metrics().of(ctx.channel().eventLoop()).increment(Metrics.UPGRADES_REJECTED);
            respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, null, null);
            return;
        }
        ctx.pipeline().get(SessionHandler.class).admitted();
        ctx.pipeline().remove(this);
        // Through this (now removed) context to the protocol handler, which answers 101 and swaps in the WebSocket codec.
        ctx.fireChannelRead(request.retain());
    }

    /** RFC 6455 §4.2.1: Upgrade: websocket, Connection: Upgrade, version 13, a key of 16 bytes in base64. */
    static boolean isValidUpgrade(final HttpHeaders headers)
    {
        if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true) ||
            !headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true) ||
            !"13".equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION)))
        {
            return false;
        }
        final String key = headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (null == key)
        {
            return false;
        }
        try
        {
            return 16 == Base64.getDecoder().decode(key.trim()).length;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    private void cancelHeadTimeout()
    {
        if (null != headTimeout)
        {
            headTimeout.cancel(false);
            headTimeout = null;
        }
    }

    /** A complete response, then the connection closes (as gateway-nio: one request per connection). */
    private static void respond(
        final ChannelHandlerContext ctx, final HttpResponseStatus status, final CharSequence contentType, final String body)
    {
        final ByteBuf content = null == body ? Unpooled.EMPTY_BUFFER :
            ByteBufUtil.writeUtf8(ctx.alloc(), body);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        if (null != contentType)
        {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    static String describe()
    {
        return "HTTP head limits: line " + MAX_LINE_BYTES + " B, headers " + MAX_HEAD_BYTES + " B; WebSocket frames up to " +
            MAX_FRAME_PAYLOAD_BYTES + " B";
    }
}
