package dev.sttbench.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpScheme;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
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
import io.netty.handler.codec.http2.StreamBufferingEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /infer} over HTTP/2 cleartext by prior knowledge, with Netty's HTTP/2 client: an
 * {@link Http2FrameCodec} and an {@link Http2MultiplexHandler} per connection, one {@link Http2StreamChannel}
 * per request opened with {@link Http2StreamChannelBootstrap}.
 * <p>
 * Each event loop owns its connections ({@link LoopPool}): a session's request, its stream, the response and the
 * partial it becomes all run on the session's own loop, with no hand-off between threads. A loop opens its first
 * connection at startup and more (up to INFERENCE_CONNECTIONS_PER_LOOP) only when every one it has carries as many
 * streams as the service's SETTINGS_MAX_CONCURRENT_STREAMS allows; past that, requests wait in the loop's queue for
 * a stream to close (and the codec's {@link StreamBufferingEncoder} keeps a stream beyond a limit lowered later).
 * A stream the service did not process (RST_STREAM REFUSED_STREAM, or above a GOAWAY's last stream id) is sent
 * again on another connection, once.
 */
final class InferenceClient
{
    private static final AsciiString INFER_PATH = AsciiString.cached("/infer");
    private static final AsciiString X_CPU_PASSES = AsciiString.cached("x-cpu-passes");
    private static final int MAX_ATTEMPTS = 2;

    /** What a request ends in; called on the loop that sent it, never after {@link Request#cancel()}. */
    interface Callback
    {
        /** A complete response: {@code body} is valid during the call only. */
        void onInferenceResponse(int status, ByteBuf body, long elapsedNanos);

        /** No response: the connection failed, was reset or closed before the answer. */
        void onInferenceFailure(Protocol.ErrorKind kind);
    }

    private final GatewayConfig config;
    private final Metrics metrics;
    private final Class<? extends Channel> channelClass;
    private final ByteBufAllocator allocator;
    private final AsciiString authority;
    private final AsciiString cpuPasses;
    private final Map<EventExecutor, LoopPool> pools = new IdentityHashMap<>();

    InferenceClient(
        final GatewayConfig config,
        final Metrics metrics,
        final EventLoopGroup group,
        final Class<? extends Channel> channelClass,
        final ByteBufAllocator allocator)
    {
        this.config = config;
        this.metrics = metrics;
        this.channelClass = channelClass;
        this.allocator = allocator;
        final int port = config.inferenceUrl().getPort();
        this.authority = AsciiString.of(config.inferenceUrl().getHost() + ":" + (port < 0 ? 80 : port));
        this.cpuPasses = AsciiString.of(Integer.toString(config.cpuPasses()));
        for (final EventExecutor executor : group)
        {
            pools.put(executor, new LoopPool((EventLoop)executor));
        }
    }

    /** The connections of {@code loop}: use them on that loop only. */
    LoopPool forLoop(final EventLoop loop)
    {
        return pools.get(loop);
    }

    /** Open each loop's first connection now, so that the first flush does not wait for it. */
    void warmUp()
    {
        for (final LoopPool pool : pools.values())
        {
            pool.loop.execute(() ->
            {
                if (pool.connections.isEmpty())
                {
                    pool.connect();
                }
            });
        }
    }

    /** Close every connection (each on its loop), waiting at most {@code timeoutMillis}. */
    void close(final long timeoutMillis)
    {
        final List<Future<?>> closing = new ArrayList<>();
        for (final LoopPool pool : pools.values())
        {
            if (!pool.loop.isShuttingDown())
            {
                closing.add(pool.loop.submit(pool::closeAll));
            }
        }
        for (final Future<?> future : closing)
        {
            future.awaitUninterruptibly(timeoutMillis);
        }
    }

    /** One event loop's HTTP/2 connections and the requests waiting for a stream; confined to that loop. */
    final class LoopPool
    {
        private final EventLoop loop;
        private final Metrics.Loop loopMetrics;
        private final List<Connection> connections = new ArrayList<>();
        private final ArrayDeque<Request> waiting = new ArrayDeque<>();

        private LoopPool(final EventLoop loop)
        {
            this.loop = loop;
            this.loopMetrics = metrics.of(loop);
        }

        /** Post {@code body} (ownership passes to the request) and call {@code callback} with the outcome. */
        Request send(final ByteBuf body, final Callback callback)
        {
            final Request request = new Request(this, body, callback);
            metrics.inferenceInFlight.incrementAndGet();
            dispatch(request);
            return request;
        }

        /**
         * A request that was never sent on its connection (it went away first): another connection may take it,
         * a bounded number of times, so that a service that is down still ends it in a connection_reset.
         */
        private void redispatchOrFail(final Request request)
        {
            if (request.redispatches++ < MAX_ATTEMPTS)
            {
                dispatch(request);
            }
            else
            {
                request.fail(Protocol.ErrorKind.CONNECTION_RESET);
            }
        }

        private void dispatch(final Request request)
        {
            final Connection connection = pick();
            if (null == connection)
            {
                waiting.add(request);
                loopMetrics.increment(Metrics.INFERENCE_QUEUED);
            }
            else
            {
                assign(connection, request);
            }
        }

        /** Give {@code request} to {@code connection}, or to another if that one is already gone. */
        private void assign(final Connection connection, final Request request)
        {
            if (connection.gone)
            {
                redispatchOrFail(request);
            }
            else
            {
                connection.submit(request);
            }
        }

        /** A connection with a free stream, a new one if all are full and the loop may open one, else null. */
        private Connection pick()
        {
            for (final Connection connection : connections)
            {
                if (connection.acceptsStream())
                {
                    return connection;
                }
            }
            return connections.size() < config.inferenceConnectionsPerLoop() ? connect() : null;
        }

        private Connection connect()
        {
            final Connection connection = new Connection(this);
            connections.add(connection);
            loopMetrics.increment(Metrics.INFERENCE_CONNECTIONS);
            connection.connect();
            return connection;
        }

        /** A request a connection could not take after all: first in line again. */
        private void requeue(final Request request)
        {
            waiting.addFirst(request);
            loopMetrics.increment(Metrics.INFERENCE_QUEUED);
        }

        private void onConnectionGone(final Connection connection)
        {
            if (connections.remove(connection))
            {
                loopMetrics.add(Metrics.INFERENCE_CONNECTIONS, -1);
            }
            serveWaiting();
        }

        private void serveWaiting()
        {
            while (!waiting.isEmpty())
            {
                final Connection connection = pick();
                if (null == connection)
                {
                    return;
                }
                loopMetrics.add(Metrics.INFERENCE_QUEUED, -1);
                assign(connection, waiting.poll());
            }
        }

        private void closeAll()
        {
            for (final Connection connection : new ArrayList<>(connections))
            {
                connection.channel.close();
            }
        }
    }

    /**
     * One HTTP/2 connection to the service. It opens streams once the service's first SETTINGS arrived (its stream
     * limit is known then): requests given to it before wait in {@link #waiting}, and those beyond the limit go back
     * to the loop's pool.
     */
    private final class Connection extends ChannelInboundHandlerAdapter
    {
        private final LoopPool pool;
        private final ArrayDeque<Request> waiting = new ArrayDeque<>();
        private Channel channel;
        private Http2FrameCodec codec;
        private boolean ready;
        private boolean goingAway;
        private boolean gone;
        /** Streams opened (until their channel closes) and requests waiting here: this connection's share. */
        private int streams;

        private Connection(final LoopPool pool)
        {
            this.pool = pool;
        }

        private void connect()
        {
            codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                .encoderEnforceMaxConcurrentStreams(true)
                .validateHeaders(false)
                .build();
            final ChannelFuture future = new Bootstrap()
                .group(pool.loop)
                .channel(channelClass)
                .option(ChannelOption.ALLOCATOR, allocator)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.inferenceTimeoutMs())
                .handler(new ChannelInitializer<>()
                {
                    protected void initChannel(final Channel ch)
                    {
                        // Flushes issued by flush timers that run in the same loop iteration leave as one write.
                        ch.pipeline().addLast(new FlushConsolidationHandler(
                            FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                        ch.pipeline().addLast(codec);
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        ch.pipeline().addLast(Connection.this);
                    }
                })
                .connect(config.inferenceUrl().getHost(), config.inferenceUrl().getPort() < 0 ? 80 : config.inferenceUrl().getPort());
            channel = future.channel();
            future.addListener(done ->
            {
                if (!done.isSuccess())
                {
                    pool.loopMetrics.increment(Metrics.INFERENCE_CONNECTS_FAILED);
                    onGone();
                }
            });
        }

        private boolean acceptsStream()
        {
            return !goingAway && !gone && (!ready || streams < limit());
        }

        private int limit()
        {
            return codec.connection().local().maxActiveStreams();
        }

        private void submit(final Request request)
        {
            streams++;
            if (ready)
            {
                openStream(request);
            }
            else
            {
                waiting.add(request);
            }
        }

        private void openStream(final Request request)
        {
            if (request.cancelled)
            {
                onStreamGone();
                return;
            }
            request.connection = this;
            new Http2StreamChannelBootstrap(channel).handler(request).open().addListener(opened ->
            {
                if (opened.isSuccess())
                {
                    request.start((Http2StreamChannel)opened.getNow());
                }
                else if (this == request.connection)
                {
                    // The stream never opened (the connection closed first, e.g. after a GOAWAY): nothing was sent,
                    // so another connection may take it, as a request still waiting here would be.
                    request.connection = null;
                    onStreamGone();
                    pool.redispatchOrFail(request);
                }
            });
        }

        private void onStreamGone()
        {
            streams--;
            if (goingAway && 0 == streams)
            {
                channel.close();
            }
            pool.serveWaiting();
        }

        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            if (msg instanceof Http2SettingsFrame && !ready)
            {
                // The codec applied them: the limit is known. Open what fits, hand the rest back to the pool.
                ready = true;
                final int limit = limit();
                for (Request request = waiting.poll(); null != request; request = waiting.poll())
                {
                    if (streams - waiting.size() <= limit)
                    {
                        openStream(request);
                    }
                    else
                    {
                        streams--;
                        pool.requeue(request);
                    }
                }
                pool.serveWaiting();
            }
            else if (msg instanceof Http2GoAwayFrame)
            {
                // No new streams here; the streams it named finish, then the connection closes.
                goingAway = true;
                if (0 == streams)
                {
                    ctx.close();
                }
            }
            ReferenceCountUtil.release(msg);
        }

        public void channelInactive(final ChannelHandlerContext ctx)
        {
            onGone();
            ctx.fireChannelInactive();
        }

        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            // A connection error: its streams fail through their own channels; the next request connects again.
            ctx.close();
        }

        /** Closed or never connected: requests still waiting here, never sent, go to another connection. */
        private void onGone()
        {
            if (gone)
            {
                return;
            }
            gone = true;
            goingAway = true;
            streams -= waiting.size();
            final ArrayDeque<Request> failed = new ArrayDeque<>(waiting);
            waiting.clear();
            pool.onConnectionGone(this);
            for (final Request request : failed)
            {
                pool.redispatchOrFail(request);
            }
        }
    }

    /** One batch's exchange: the stream's handler, its response, and its place in the pool. */
    final class Request extends ChannelInboundHandlerAdapter
    {
        private final LoopPool pool;
        private final ByteBuf body;
        private final Callback callback;
        private final long startNanos = System.nanoTime();
        private Connection connection;
        private Http2StreamChannel stream;
        private int attempts;
        private int redispatches;
        private int status = -1;
        private ByteBuf response;
        private boolean tooLong;
        private boolean unprocessed;
        private boolean done;
        private boolean cancelled;

        private Request(final LoopPool pool, final ByteBuf body, final Callback callback)
        {
            this.pool = pool;
            this.body = body;
            this.callback = callback;
        }

        /** The session no longer wants the outcome (its deadline passed or it closed): reset the stream. */
        void cancel()
        {
            if (done)
            {
                return;
            }
            cancelled = true;
            finish();
            if (null != stream)
            {
                stream.close();
            }
            else if (pool.waiting.remove(this))
            {
                pool.loopMetrics.add(Metrics.INFERENCE_QUEUED, -1);
            }
        }

        private void start(final Http2StreamChannel stream)
        {
            if (cancelled)
            {
                stream.close();
                return;
            }
            this.stream = stream;
            attempts++;
            status = -1;
            unprocessed = false;
            final Http2Headers headers = new DefaultHttp2Headers(false)
                .method(HttpMethod.POST.asciiName())
                .scheme(HttpScheme.HTTP.name())
                .authority(authority)
                .path(INFER_PATH);
            headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            headers.set(X_CPU_PASSES, cpuPasses);
            // Headers that could not be written (the connection got its GOAWAY first) reached no one: send again.
            stream.write(new DefaultHttp2HeadersFrame(headers, false)).addListener(written ->
            {
                if (!written.isSuccess())
                {
                    unprocessed = true;
                }
            });
            // The body stays ours until the outcome, so a stream the service refused can be sent again.
            stream.writeAndFlush(new DefaultHttp2DataFrame(body.retainedDuplicate(), true));
        }

        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            try
            {
                if (msg instanceof Http2HeadersFrame headers)
                {
                    if (status < 0)
                    {
                        final CharSequence value = headers.headers().status();
                        status = null == value ? 0 : parseStatus(value);
                    }
                    if (headers.isEndStream())
                    {
                        respond();
                    }
                }
                else if (msg instanceof Http2DataFrame data)
                {
                    append(data.content());
                    if (data.isEndStream())
                    {
                        respond();
                    }
                }
            }
            finally
            {
                ReferenceCountUtil.release(msg);
            }
        }

        public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt)
        {
            if (evt instanceof Http2ResetFrame reset && Http2Error.REFUSED_STREAM.code() == reset.errorCode())
            {
                unprocessed = true;
            }
            else if (evt instanceof Http2GoAwayFrame)
            {
                unprocessed = true;
            }
            ReferenceCountUtil.release(evt);
        }

        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            if (cause instanceof StreamBufferingEncoder.Http2GoAwayException)
            {
                unprocessed = true;
            }
            ctx.close();
        }

        public void channelInactive(final ChannelHandlerContext ctx)
        {
            final Connection closedOn = connection;
            stream = null;
            connection = null;
            if (null != closedOn)
            {
                closedOn.onStreamGone();
            }
            if (done)
            {
                return;
            }
            releaseResponse();
            if (unprocessed && attempts < MAX_ATTEMPTS)
            {
                pool.loopMetrics.increment(Metrics.INFERENCE_RETRIES);
                pool.dispatch(this);
                return;
            }
            fail(Protocol.ErrorKind.CONNECTION_RESET);
        }

        private void append(final ByteBuf content)
        {
            if (tooLong || !content.isReadable())
            {
                return;
            }
            if (null == response)
            {
                response = allocator().buffer(Math.min(content.readableBytes(), Protocol.MAX_RESPONSE_BYTES));
            }
            if (response.readableBytes() + content.readableBytes() > Protocol.MAX_RESPONSE_BYTES)
            {
                tooLong = true;
                return;
            }
            response.writeBytes(content);
        }

        private ByteBufAllocator allocator()
        {
            return null == stream ? allocator : stream.alloc();
        }

        private void respond()
        {
            if (done)
            {
                return;
            }
            finish();
            final ByteBuf answer = tooLong ? tooLongMarker() : null == response ? Unpooled.EMPTY_BUFFER : response;
            try
            {
                callback.onInferenceResponse(status, answer, System.nanoTime() - startNanos);
            }
            finally
            {
                releaseResponse();
            }
        }

        private void fail(final Protocol.ErrorKind kind)
        {
            if (done)
            {
                return;
            }
            finish();
            callback.onInferenceFailure(kind);
        }

        private void finish()
        {
            done = true;
            metrics.inferenceInFlight.decrementAndGet();
            body.release();
        }

        private void releaseResponse()
        {
            if (null != response)
            {
                response.release();
                response = null;
            }
        }
    }

    /** A body over the parser's limit: a buffer the strict parser rejects whatever it holds. */
    private static ByteBuf tooLongMarker()
    {
        return Unpooled.wrappedBuffer(new byte[Protocol.MAX_RESPONSE_BYTES + 1]);
    }

    private static int parseStatus(final CharSequence value)
    {
        int status = 0;
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (c < '0' || c > '9')
            {
                return 0;
            }
            status = status * 10 + (c - '0');
        }
        return status;
    }
}
