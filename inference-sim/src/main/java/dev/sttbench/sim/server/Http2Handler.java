package dev.sttbench.sim.server;

import dev.sttbench.sim.SimConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.EventExecutor;

/**
 * HTTP/2 on one connection, reached by prior knowledge or by an {@code Upgrade: h2c}. Works at the frame
 * listener level (no child channel per stream): a stream's request lives in a small {@link Http2Exchange}
 * kept as a stream property until its last DATA frame, then goes to the {@link InferenceEndpoint}.
 * <p>
 * {@code MAX_CONCURRENT_STREAMS} is advertised in the SETTINGS and enforced once the client has acknowledged
 * them: a stream beyond it is refused with {@code RST_STREAM(REFUSED_STREAM)} (RFC 9113 §5.1.2) and the
 * connection stays. With {@code MAX_REQUESTS_PER_CONNECTION} the N-th request stream is the last: GOAWAY
 * (NO_ERROR) names it, streams the client opened after it are refused the same way, the streams up to it are
 * answered, then the connection closes (what nginx does after {@code keepalive_requests}).
 * <p>
 * Both refusals are the handler's, not Netty's: Netty refuses such a stream without creating it, so the DATA frame
 * that follows its HEADERS names a stream that "does not exist" and costs the whole connection a PROTOCOL_ERROR
 * (Netty 4.2.18, also after its own graceful GOAWAY). Here the stream is created, then reset; Netty discards the
 * DATA that follows.
 */
final class Http2Handler extends Http2ConnectionHandler
{
    /** Per-stream receive window: a whole maximal body fits, so no request ever waits for a WINDOW_UPDATE. */
    static final int STREAM_WINDOW_BYTES = SimConfig.MAX_BODY_BYTES;
    /** Connection receive window: 64 MiB, 0.4 s of 5000 x 32 KB/s, replenished as each DATA frame is read. */
    static final int CONNECTION_WINDOW_BYTES = 64 * 1024 * 1024;

    private final InferenceEndpoint endpoint;
    private final Transport transport;
    private final Http2Connection.PropertyKey exchangeKey;
    private final long maxRequests;
    private final long maxStreams;
    private boolean streamLimitAcknowledged;
    private long requests;
    /** The last stream GOAWAY named, or -1 before it was sent. */
    private int lastStreamId = -1;
    private ChannelHandlerContext ctx;

    private Http2Handler(
        final Http2ConnectionDecoder decoder,
        final Http2ConnectionEncoder encoder,
        final Http2Settings initialSettings,
        final InferenceEndpoint endpoint,
        final Transport transport,
        final long maxRequests)
    {
        super(decoder, encoder, initialSettings);
        this.endpoint = endpoint;
        this.transport = transport;
        this.maxRequests = maxRequests;
        this.maxStreams = initialSettings.maxConcurrentStreams();
        this.exchangeKey = connection().newKey();
        connection().addListener(new Http2ConnectionAdapter()
        {
            public void onStreamClosed(final Http2Stream stream)
            {
                final Http2Exchange exchange = stream.removeProperty(exchangeKey);
                if (null != exchange)
                {
                    exchange.releaseBody();
                }
                if (lastStreamId >= 0 && 0 == connection().numActiveStreams())
                {
                    // Gone away and every stream up to the last is answered: close once this write is flushed.
                    ctx.executor().execute(() -> ctx.close());
                }
            }
        });
        decoder.frameListener(new FrameListener());
    }

    static Http2Handler create(final InferenceEndpoint endpoint, final Transport transport, final SimConfig config)
    {
        return new Builder(endpoint, transport, config).build();
    }

    public void handlerAdded(final ChannelHandlerContext ctx) throws Exception
    {
        this.ctx = ctx;
        super.handlerAdded(ctx);
        // The connection speaks HTTP/2 from now on: the HTTP/1.1 handlers behind this one would never see a byte.
        final ChannelPipeline pipeline = ctx.pipeline();
        if (null != pipeline.get(SimChannelInitializer.HTTP1_HANDLER))
        {
            pipeline.remove(SimChannelInitializer.HTTP1_AGGREGATOR);
            pipeline.remove(SimChannelInitializer.HTTP1_HANDLER);
        }
        final Http2Stream connectionStream = connection().connectionStream();
        connection().local().flowController().incrementWindowSize(
            connectionStream, CONNECTION_WINDOW_BYTES - Http2CodecUtil.DEFAULT_WINDOW_SIZE);
        ctx.flush();
    }

    /**
     * A request stream was opened (the upgraded request included). The N-th of MAX_REQUESTS_PER_CONNECTION is the
     * last: GOAWAY names it. Written directly, so Netty's own GOAWAY handling, which would refuse later streams in
     * its decoder (see the class comment), stays out of it; the connection is closed from this handler's context
     * for the same reason, once the last answered stream closes.
     */
    private void countRequest(final ChannelHandlerContext ctx, final int streamId)
    {
        if (++requests == maxRequests)
        {
            lastStreamId = streamId;
            encoder().frameWriter().writeGoAway(ctx, streamId, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                ctx.newPromise());
            flush(ctx);
        }
    }

    /** Refuse a stream: the client may retry it, since nothing of it was processed (RFC 9113 §8.7). */
    private void refuse(final ChannelHandlerContext ctx, final int streamId)
    {
        resetStream(ctx, streamId, Http2Error.REFUSED_STREAM.code(), ctx.newPromise());
        flush(ctx);
    }

    /** The request that carried {@code Upgrade: h2c} becomes stream 1; answer it over HTTP/2. */
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt) throws Exception
    {
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent upgrade)
        {
            try
            {
                countRequest(ctx, Http2CodecUtil.HTTP_UPGRADE_STREAM_ID);
                final FullHttpRequest request = upgrade.upgradeRequest();
                endpoint.handle(
                    new Http2Exchange(Http2CodecUtil.HTTP_UPGRADE_STREAM_ID),
                    transport,
                    ctx.alloc(),
                    request.method().asciiName(),
                    request.uri(),
                    request.headers().get(InferenceEndpoint.X_CPU_PASSES),
                    request.content());
            }
            finally
            {
                upgrade.release();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private final class FrameListener extends Http2FrameAdapter
    {
        /** Netty has just applied our SETTINGS, stream limit included: take the limit over (see the class comment). */
        public void onSettingsAckRead(final ChannelHandlerContext ctx)
        {
            streamLimitAcknowledged = true;
            connection().remote().maxActiveStreams(Integer.MAX_VALUE);
        }

        public void onHeadersRead(
            final ChannelHandlerContext ctx,
            final int streamId,
            final Http2Headers headers,
            final int padding,
            final boolean endOfStream)
        {
            final Http2Stream stream = connection().stream(streamId);
            final Http2Exchange pending = null == stream ? null : stream.getProperty(exchangeKey);
            if (null != pending)
            {
                if (endOfStream) // trailers close the request
                {
                    stream.removeProperty(exchangeKey);
                    pending.dispatch(null == pending.body ? Unpooled.EMPTY_BUFFER : pending.body);
                    pending.releaseBody();
                }
                return;
            }
            if ((lastStreamId >= 0 && streamId > lastStreamId) ||
                (streamLimitAcknowledged && connection().numActiveStreams() > maxStreams))
            {
                refuse(ctx, streamId);
                return;
            }
            final Http2Exchange exchange = new Http2Exchange(streamId);
            countRequest(ctx, streamId);
            exchange.method = headers.method();
            exchange.path = headers.path();
            exchange.cpuPasses = headers.get(InferenceEndpoint.X_CPU_PASSES);
            if (endOfStream)
            {
                exchange.dispatch(Unpooled.EMPTY_BUFFER);
            }
            else
            {
                exchange.expectedLength = headers.getInt(HttpHeaderNames.CONTENT_LENGTH, -1);
                stream.setProperty(exchangeKey, exchange);
            }
        }

        public void onHeadersRead(
            final ChannelHandlerContext ctx,
            final int streamId,
            final Http2Headers headers,
            final int streamDependency,
            final short weight,
            final boolean exclusive,
            final int padding,
            final boolean endOfStream)
        {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }

        /** Every byte is consumed on arrival (copied or processed), so all of it returns to the window. */
        public int onDataRead(
            final ChannelHandlerContext ctx,
            final int streamId,
            final ByteBuf data,
            final int padding,
            final boolean endOfStream) throws Http2Exception
        {
            final int processed = data.readableBytes() + padding;
            final Http2Stream stream = connection().stream(streamId);
            final Http2Exchange exchange = null == stream ? null : stream.getProperty(exchangeKey);
            if (null == exchange)
            {
                return processed;
            }
            if (endOfStream && null == exchange.body)
            {
                stream.removeProperty(exchangeKey);
                exchange.dispatch(data); // the whole body in one frame: read it in place
                return processed;
            }
            final int received = (null == exchange.body ? 0 : exchange.body.readableBytes()) + data.readableBytes();
            if (received > SimConfig.MAX_BODY_BYTES)
            {
                stream.removeProperty(exchangeKey);
                exchange.releaseBody();
                endpoint.rejectTooLarge(exchange, transport, ctx.alloc(), received);
                encoder().writeRstStream(ctx, streamId, Http2Error.NO_ERROR.code(), ctx.newPromise());
                return processed;
            }
            if (null == exchange.body)
            {
                final int expected = exchange.expectedLength;
                final int initialCapacity = expected > 0 && expected <= SimConfig.MAX_BODY_BYTES ?
                    expected : 2 * data.readableBytes();
                exchange.body = ctx.alloc().buffer(initialCapacity, SimConfig.MAX_BODY_BYTES);
            }
            exchange.body.writeBytes(data);
            if (endOfStream)
            {
                stream.removeProperty(exchangeKey);
                exchange.dispatch(exchange.body);
                exchange.releaseBody();
            }
            return processed;
        }
    }

    private final class Http2Exchange extends Exchange
    {
        private final int streamId;
        private CharSequence method;
        private CharSequence path;
        private CharSequence cpuPasses;
        private int expectedLength;
        private ByteBuf body;

        Http2Exchange(final int streamId)
        {
            this.streamId = streamId;
        }

        void dispatch(final ByteBuf requestBody)
        {
            if (null == method || null == path)
            {
                endpoint.rejectMalformed(this, transport, ctx.alloc(), new IllegalArgumentException("missing :method or :path"));
                return;
            }
            endpoint.handle(this, transport, ctx.alloc(), method, path, cpuPasses, requestBody);
        }

        void releaseBody()
        {
            if (null != body)
            {
                body.release();
                body = null;
            }
        }

        protected EventExecutor executor()
        {
            return ctx.executor();
        }

        protected void write(
            final HttpResponseStatus status, final AsciiString contentType, final ByteBuf body, final AsciiString allow)
        {
            final Http2Headers headers = new DefaultHttp2Headers()
                .status(status.codeAsText())
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (null != allow)
            {
                headers.set(HttpHeaderNames.ALLOW, allow);
            }
            final Http2ConnectionEncoder encoder = encoder();
            encoder.writeHeaders(ctx, streamId, headers, 0, false, ctx.newPromise());
            encoder.writeData(ctx, streamId, body, 0, true, ctx.newPromise());
            flush(ctx);
        }
    }

    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2Handler, Builder>
    {
        private final InferenceEndpoint endpoint;
        private final Transport transport;
        private final long maxRequests;

        Builder(final InferenceEndpoint endpoint, final Transport transport, final SimConfig config)
        {
            this.endpoint = endpoint;
            this.transport = transport;
            this.maxRequests = config.maxRequestsPerConnection();
            initialSettings(new Http2Settings()
                .maxConcurrentStreams(config.maxConcurrentStreams())
                .initialWindowSize(STREAM_WINDOW_BYTES)
                .maxHeaderListSize(Http2CodecUtil.DEFAULT_HEADER_LIST_SIZE));
            // Netty's rapid-reset guard closes a connection after 200 RST_STREAMs in 30 s; a gateway that times out
            // requests under overload cancels far more than that, and the simulator must not cut it off for it.
            decoderEnforceMaxRstFramesPerWindow(0, 0);
        }

        protected Http2Handler build()
        {
            return super.build();
        }

        protected Http2Handler build(
            final Http2ConnectionDecoder decoder, final Http2ConnectionEncoder encoder, final Http2Settings initialSettings)
        {
            return new Http2Handler(decoder, encoder, initialSettings, endpoint, transport, maxRequests);
        }
    }
}
