package dev.sttbench.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket session, last in its channel's pipeline and confined to its event loop: the start message, the
 * 640-byte rule and the close codes of §1, fragments reassembled, each frame numbered and appended to the session's
 * pending audio (a pooled direct {@link ByteBuf} that grows as frames arrive and becomes the request body), the
 * flush every FLUSH_INTERVAL_MS from a random phase (a fixed-rate task on the loop), at most one request in flight
 * with its INFERENCE_TIMEOUT_MS deadline (a task on the loop), and the partial or error frame that names every
 * frame it stored or shed. Netty's {@link WebSocketServerProtocolHandler} before it answers pings and the client's
 * close, and its decoder closes framing violations (1002, 1007, 1009).
 */
final class SessionHandler extends ChannelInboundHandlerAdapter implements InferenceClient.Callback
{
    /** Kernel send buffer of an upgraded socket (the kernel doubles it): a client that stops reading is found early. */
    private static final int SEND_BUFFER_BYTES = 32 * 1024;
    /** First capacity of a session's pending audio (12 frames); it doubles as frames arrive. */
    private static final int PENDING_INITIAL_BYTES = 8 * 1024;
    private static final int FRAME_BYTES = GatewayConfig.FRAME_BYTES;
    /** With READ_INTERVAL_MS: how long a flush (or the drain) waits for the read it asked for before it sends. */
    private static final long READ_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** With READ_INTERVAL_MS, one read per tick: 0.5 s of audio is ~16 KB of frames. */
    private static final AdaptiveRecvByteBufAllocator TICK_RECEIVE_BUFFERS =
        new AdaptiveRecvByteBufAllocator(4096, 32 * 1024, 256 * 1024);

    /** The response parser of each event loop (it keeps no state between two parses). */
    private static final FastThreadLocal<Protocol.ResponseParser> PARSER = new FastThreadLocal<>()
    {
        protected Protocol.ResponseParser initialValue()
        {
            return new Protocol.ResponseParser();
        }
    };
    private static final FastThreadLocal<Protocol.InferenceResult> RESULT = new FastThreadLocal<>()
    {
        protected Protocol.InferenceResult initialValue()
        {
            return new Protocol.InferenceResult();
        }
    };

    private enum State
    {
        HTTP, AWAIT_START, STREAMING, CLOSING
    }

    private final NettyGateway gateway;
    private final GatewayConfig config;
    private ChannelHandlerContext ctx;
    private Metrics.Loop metrics;
    private boolean admitted;
    private State state = State.HTTP;
    private boolean draining;

    private int fragmentOpcode;
    private ByteBuf fragment;

    private long nextSeq = 1;
    private ByteBuf pending;
    private int pendingFrames;
    private long pendingFirstSeq;
    private long pendingFirstArrivalNanos;
    private long pendingLastArrivalNanos;

    private InferenceClient.Request request;
    private boolean inFlight;
    private long batchGeneration;
    private long batchFirstSeq;
    private int batchFrames;
    private long batchFirstArrivalNanos;
    private long batchLastArrivalNanos;
    private long batchLatenessNanos;
    private ScheduledFuture<?> deadline;

    private boolean shedding;
    private long shedFirstSeq;
    private long shedFrames;
    private long shedFirstArrivalNanos;
    private long shedLastArrivalNanos;

    private ScheduledFuture<?> flushTask;
    private ScheduledFuture<?> readTask;
    private long nextFlushNanos;
    /** READ_INTERVAL_MS: a flush came due and asked for a read; it sends when that read completes. */
    private boolean flushAwaitsRead;
    private long awaitedFlushLatenessNanos;
    private long lastFlushNanos;
    private ScheduledFuture<?> startTimeout;
    private ScheduledFuture<?> sendTimeout;

    SessionHandler(final NettyGateway gateway)
    {
        this.gateway = gateway;
        this.config = gateway.config();
    }

    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
        this.metrics = gateway.metrics().of(ctx.channel().eventLoop());
    }

    /** {@link HttpHandler} took a session slot for this connection: it is given back when the channel closes. */
    void admitted()
    {
        admitted = true;
    }

    // ---- lifecycle --------------------------------------------------------------------------------------------

    public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt)
    {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete)
        {
            onUpgraded();
        }
        else if (evt instanceof IdleStateEvent idle && IdleState.READER_IDLE == idle.state())
        {
            metrics.increment(Metrics.IDLE_TIMEOUTS);
            close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "idle");
        }
        ReferenceCountUtil.release(evt);
    }

    private void onUpgraded()
    {
        state = State.AWAIT_START;
        metrics.increment(Metrics.SESSIONS);
        gateway.register(ctx.channel(), this);
        ctx.channel().config().setOption(ChannelOption.SO_SNDBUF, SEND_BUFFER_BYTES);
        ctx.channel().config().setWriteBufferWaterMark(
            new WriteBufferWaterMark(config.outboundBufferBytes() / 2, config.outboundBufferBytes()));
        if (config.idleTimeoutMs() > 0)
        {
            ctx.pipeline().addBefore(ctx.name(), "idle",
                new IdleStateHandler(config.idleTimeoutMs(), 0, 0, TimeUnit.MILLISECONDS));
        }
        startTimeout = ctx.executor().schedule(() ->
        {
            metrics.increment(Metrics.START_TIMEOUTS);
            close(WebSocketCloseStatus.POLICY_VIOLATION, "no start message");
        }, config.startTimeoutMs(), TimeUnit.MILLISECONDS);
        if (gateway.isDraining())
        {
            drain();
        }
    }

    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        if (admitted)
        {
            admitted = false;
            gateway.release();
        }
        if (State.HTTP != state)
        {
            metrics.add(Metrics.SESSIONS, -1);
        }
        stop();
        super.channelInactive(ctx);
    }

    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        if (cause instanceof CorruptedWebSocketFrameException)
        {
            // Netty's decoder sent the close (1002, 1007 or 1009) and closes the channel.
            metrics.increment(Metrics.PROTOCOL_CLOSES);
            state = State.CLOSING;
        }
        else if (!(cause instanceof IOException))
        {
            metrics.increment(Metrics.CONNECTIONS_ABORTED);
            gateway.logError("connection aborted", cause);
        }
        ctx.close();
    }

    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        if (!ctx.channel().isWritable())
        {
            if (null == sendTimeout && State.HTTP != state)
            {
                sendTimeout = ctx.executor().schedule(() ->
                {
                    sendTimeout = null;
                    if (!ctx.channel().isWritable())
                    {
                        metrics.increment(Metrics.SEND_TIMEOUTS);
                        close(WebSocketCloseStatus.POLICY_VIOLATION, "messages left unread");
                    }
                }, config.sendTimeoutMs(), TimeUnit.MILLISECONDS);
            }
        }
        else if (null != sendTimeout)
        {
            sendTimeout.cancel(false);
            sendTimeout = null;
        }
        super.channelWritabilityChanged(ctx);
    }

    /**
     * The gateway drains (SIGTERM): read the socket one last time, flush what is buffered at once, answer it, then
     * close with 1001. Frames sent after that last read stay unread.
     */
    void drain()
    {
        draining = true;
        if (State.STREAMING != state)
        {
            close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "going away");
            return;
        }
        ctx.channel().config().setAutoRead(false);
        if (null != readTask)
        {
            cancel(readTask);
            readTask = null;
            ctx.read();
            ctx.executor().schedule(this::drainFlush, READ_LEAD_NANOS, TimeUnit.NANOSECONDS);
            return;
        }
        drainFlush();
    }

    private void drainFlush()
    {
        if (State.STREAMING == state && !inFlight)
        {
            if (pendingFrames > 0)
            {
                send(System.nanoTime(), 0);
            }
            else
            {
                close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "going away");
            }
        }
    }

    // ---- frames -------------------------------------------------------------------------------------------------

    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        try
        {
            if (msg instanceof WebSocketFrame frame && State.CLOSING != state)
            {
                onFrame(frame);
            }
        }
        finally
        {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onFrame(final WebSocketFrame frame)
    {
        final ByteBuf content = frame.content();
        if (frame instanceof ContinuationWebSocketFrame)
        {
            onFragment(content, frame.isFinalFragment());
        }
        else if (frame instanceof TextWebSocketFrame)
        {
            if (State.AWAIT_START != state)
            {
                protocolClose(WebSocketCloseStatus.PROTOCOL_ERROR, "text message after start");
            }
            else if (!frame.isFinalFragment())
            {
                beginFragments(1, content);
            }
            else
            {
                onStartMessage(content);
            }
        }
        else if (frame instanceof BinaryWebSocketFrame)
        {
            if (State.STREAMING != state)
            {
                protocolClose(WebSocketCloseStatus.PROTOCOL_ERROR, "binary message before start");
            }
            else if (!frame.isFinalFragment())
            {
                beginFragments(2, content);
            }
            else if (FRAME_BYTES != content.readableBytes())
            {
                protocolClose(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "audio frames are 640 bytes");
            }
            else
            {
                onAudioFrame(content);
            }
        }
    }

    private void beginFragments(final int opcode, final ByteBuf content)
    {
        fragmentOpcode = opcode;
        fragment = ctx.alloc().buffer(1 == opcode ? 256 : FRAME_BYTES);
        onFragment(content, false);
    }

    /** A data message in fragments: reassembled up to its limit (start message 4 KiB: 1009; audio 640 B: 1003). */
    private void onFragment(final ByteBuf content, final boolean last)
    {
        final int limit = 1 == fragmentOpcode ? Protocol.MAX_START_MESSAGE_BYTES : FRAME_BYTES;
        if (fragment.readableBytes() + content.readableBytes() > limit)
        {
            if (1 == fragmentOpcode)
            {
                protocolClose(WebSocketCloseStatus.MESSAGE_TOO_BIG, "start message over 4 KiB");
            }
            else
            {
                protocolClose(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "audio frames are 640 bytes");
            }
            return;
        }
        fragment.writeBytes(content);
        if (!last)
        {
            return;
        }
        final ByteBuf message = fragment;
        final int opcode = fragmentOpcode;
        fragment = null;
        fragmentOpcode = 0;
        try
        {
            if (1 == opcode)
            {
                onStartMessage(message);
            }
            else if (FRAME_BYTES != message.readableBytes())
            {
                protocolClose(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "audio frames are 640 bytes");
            }
            else
            {
                onAudioFrame(message);
            }
        }
        finally
        {
            message.release();
        }
    }

    private void onStartMessage(final ByteBuf text)
    {
        if (text.readableBytes() > Protocol.MAX_START_MESSAGE_BYTES)
        {
            protocolClose(WebSocketCloseStatus.MESSAGE_TOO_BIG, "start message over 4 KiB");
            return;
        }
        if (!Protocol.isStartMessage(text))
        {
            protocolClose(WebSocketCloseStatus.PROTOCOL_ERROR, "the first message must be {\"type\":\"start\"}");
            return;
        }
        state = State.STREAMING;
        cancel(startTimeout);
        startTimeout = null;
        final long intervalNanos = TimeUnit.MILLISECONDS.toNanos(config.flushIntervalMs());
        final long jitterNanos = TimeUnit.MILLISECONDS.toNanos(config.flushPhaseJitterMs());
        final long phaseNanos = jitterNanos > 0 ? ThreadLocalRandom.current().nextLong(jitterNanos + 1) : 0;
        nextFlushNanos = System.nanoTime() + phaseNanos;
        flushTask = ctx.executor().scheduleAtFixedRate(this::onFlushDue, phaseNanos, intervalNanos, TimeUnit.NANOSECONDS);
        if (config.readIntervalMs() > 0)
        {
            startReadTicks(phaseNanos, intervalNanos);
        }
    }

    /**
     * READ_INTERVAL_MS: auto-read off, and one {@code read()} per tick takes everything the socket holds (a receive
     * buffer sized for it), so one read and one epoll wake-up serve ~25 frames instead of one. The ticks divide the
     * flush interval and one falls on each flush, which asks for its read itself (see {@link #onFlushDue}). A ping, a
     * close or EOF is seen within a tick.
     */
    private void startReadTicks(final long flushPhaseNanos, final long flushIntervalNanos)
    {
        final long ticksPerFlush = Math.max(1, Math.round((double)flushIntervalNanos /
            TimeUnit.MILLISECONDS.toNanos(config.readIntervalMs())));
        final long periodNanos = flushIntervalNanos / ticksPerFlush;
        final long firstNanos = Math.floorMod(flushPhaseNanos, periodNanos);
        ctx.channel().config().setRecvByteBufAllocator(TICK_RECEIVE_BUFFERS);
        ctx.channel().config().setAutoRead(false);
        readTask = ctx.executor().scheduleAtFixedRate(ctx::read, firstNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    /** A complete 640-byte frame: number it, and append it to the pending audio or shed it. */
    private void onAudioFrame(final ByteBuf content)
    {
        final long now = System.nanoTime();
        metrics.increment(Metrics.FRAMES_IN);
        if (shedding || pendingFrames + batchFrames >= config.sessionBufferFrames())
        {
            shed(now);
        }
        else
        {
            if (null == pending)
            {
                pending = ctx.alloc().directBuffer(PENDING_INITIAL_BYTES, config.sessionBufferFrames() * FRAME_BYTES);
                pendingFirstSeq = nextSeq;
                pendingFirstArrivalNanos = now;
            }
            pending.writeBytes(content);
            pendingFrames++;
            pendingLastArrivalNanos = now;
            metrics.increment(Metrics.BUFFERED_FRAMES);
        }
        nextSeq++;
    }

    private void shed(final long arrivalNanos)
    {
        if (!shedding)
        {
            shedding = true;
            shedFirstSeq = nextSeq;
            shedFrames = 0;
            shedFirstArrivalNanos = arrivalNanos;
        }
        shedFrames++;
        shedLastArrivalNanos = arrivalNanos;
        metrics.increment(Metrics.FRAMES_SHED);
    }

    // ---- flush, request, answer ---------------------------------------------------------------------------------

    /**
     * The flush timer: skipped while a batch is in flight, nothing sent when nothing is pending. Netty runs a
     * fixed-rate task's missed periods back to back after a stall; those catch-up runs do nothing.
     */
    private void onFlushDue()
    {
        final long now = System.nanoTime();
        final long intervalNanos = TimeUnit.MILLISECONDS.toNanos(config.flushIntervalMs());
        final long latenessNanos = now - nextFlushNanos;
        nextFlushNanos += intervalNanos;
        if (0 != lastFlushNanos && now - lastFlushNanos < intervalNanos / 2)
        {
            return;
        }
        lastFlushNanos = now;
        if (draining || State.STREAMING != state)
        {
            return;
        }
        metrics.flushLateness(latenessNanos);
        if (inFlight)
        {
            metrics.increment(Metrics.FLUSHES_SKIPPED);
            return;
        }
        if (null != readTask)
        {
            // A read only happens at the loop's next I/O pass; sending now would leave out what the socket holds. A
            // read tick scheduled just before the flush does not help a loop the CPU quota throttled: both tasks then
            // run in one pass of tasks, before any I/O.
            flushAwaitsRead = true;
            awaitedFlushLatenessNanos = latenessNanos;
            readAll();
            ctx.executor().schedule(this::flushAfterRead, READ_LEAD_NANOS, TimeUnit.NANOSECONDS);
            return;
        }
        send(now, latenessNanos);
    }

    /**
     * A flush's read: auto-read on until the read completes, so that it takes everything the socket holds. A tick's
     * {@code read()} takes one buffer (32 KiB, a tick's audio is ~16 KB), which leaves a backlog behind after a stall;
     * reading on to the end costs one more {@code read} that finds nothing, so only the flush pays it.
     */
    private void readAll()
    {
        ctx.channel().config().setAutoRead(true);
    }

    /**
     * The read a flush asked for completed, or found nothing to read within {@link #READ_LEAD_NANOS}: auto-read off
     * again (only a flush turns it on once the session streams), and the batch goes.
     */
    private void flushAfterRead()
    {
        if (flushAwaitsRead)
        {
            flushAwaitsRead = false;
            if (null != readTask)
            {
                ctx.channel().config().setAutoRead(false);
            }
            if (!draining && State.STREAMING == state && !inFlight)
            {
                send(System.nanoTime(), awaitedFlushLatenessNanos);
            }
        }
    }

    public void channelReadComplete(final ChannelHandlerContext ctx) throws Exception
    {
        flushAfterRead();
        super.channelReadComplete(ctx);
    }

    private void send(final long nowNanos, final long latenessNanos)
    {
        if (0 == pendingFrames)
        {
            return;
        }
        final ByteBuf body = pending;
        pending = null;
        batchFirstSeq = pendingFirstSeq;
        batchFrames = pendingFrames;
        batchFirstArrivalNanos = pendingFirstArrivalNanos;
        batchLastArrivalNanos = pendingLastArrivalNanos;
        batchLatenessNanos = Math.max(0, latenessNanos);
        pendingFrames = 0;
        inFlight = true;
        metrics.increment(Metrics.FLUSHES);
        deadline = ctx.executor().schedule(this::onDeadline, config.inferenceTimeoutMs(), TimeUnit.MILLISECONDS);
        final long generation = ++batchGeneration;
        final InferenceClient.Request sent = gateway.inference().forLoop(ctx.channel().eventLoop()).send(body, this);
        if (inFlight && generation == batchGeneration)
        {
            request = sent;
        }
    }

    private void onDeadline()
    {
        if (inFlight)
        {
            final InferenceClient.Request abandoned = request;
            resolve(Protocol.ErrorKind.TIMEOUT, Protocol.ABSENT, Protocol.ABSENT);
            if (null != abandoned)
            {
                abandoned.cancel();
            }
        }
    }

    public void onInferenceResponse(final int status, final ByteBuf body, final long elapsedNanos)
    {
        if (!inFlight)
        {
            return;
        }
        if (status < 200 || status > 299)
        {
            resolve(Protocol.ErrorKind.ofHttpStatus(status), status, elapsedNanos);
            return;
        }
        final Protocol.InferenceResult result = RESULT.get();
        if (!PARSER.get().parse(body, result))
        {
            resolve(Protocol.ErrorKind.PARSE_ERROR, status, elapsedNanos);
            return;
        }
        final ByteBuf partial = ctx.alloc().buffer(512);
        Protocol.writePartial(partial, gateway.partialFields(), batchFirstSeq, batchFrames, result, batchLatenessNanos,
            gateway.metrics().inferenceInFlight.get());
        result.body = null;
        metrics.increment(Metrics.PARTIALS);
        resolved(partial);
    }

    public void onInferenceFailure(final Protocol.ErrorKind kind)
    {
        if (inFlight)
        {
            resolve(kind, Protocol.ABSENT, Protocol.ABSENT);
        }
    }

    /** The batch in flight failed: one error frame names its frames. */
    private void resolve(final Protocol.ErrorKind kind, final long status, final long elapsedNanos)
    {
        final long now = System.nanoTime();
        final ByteBuf error = ctx.alloc().buffer(640);
        Protocol.writeError(error, kind, batchFirstSeq, batchFrames, now - batchFirstArrivalNanos,
            now - batchLastArrivalNanos, batchLatenessNanos, elapsedNanos, gateway.metrics().inferenceInFlight.get(),
            pendingFrames + batchFrames, status);
        metrics.errorFrame(kind);
        resolved(error);
    }

    /** Send the batch's partial or error, free its frames, report shed frames once nothing stored is left. */
    private void resolved(final ByteBuf message)
    {
        inFlight = false;
        request = null;
        cancel(deadline);
        deadline = null;
        metrics.add(Metrics.BUFFERED_FRAMES, -batchFrames);
        batchFrames = 0;
        ctx.writeAndFlush(new TextWebSocketFrame(message));
        if (shedding && 0 == pendingFrames)
        {
            reportShedFrames();
        }
        if (draining)
        {
            drainFlush();
        }
    }

    private void reportShedFrames()
    {
        final long now = System.nanoTime();
        final ByteBuf error = ctx.alloc().buffer(640);
        Protocol.writeError(error, Protocol.ErrorKind.BUFFER_OVERFLOW, shedFirstSeq, shedFrames,
            now - shedFirstArrivalNanos, now - shedLastArrivalNanos, 0, Protocol.ABSENT,
            gateway.metrics().inferenceInFlight.get(), 0, Protocol.ABSENT);
        shedding = false;
        metrics.errorFrame(Protocol.ErrorKind.BUFFER_OVERFLOW);
        ctx.writeAndFlush(new TextWebSocketFrame(error));
    }

    // ---- closing ------------------------------------------------------------------------------------------------

    private void protocolClose(final WebSocketCloseStatus status, final String reason)
    {
        metrics.increment(Metrics.PROTOCOL_CLOSES);
        close(status, reason);
    }

    /**
     * Send a close frame and close the channel once it is written; at once when the peer does not read (the frame
     * would wait behind what it left unread).
     */
    private void close(final WebSocketCloseStatus status, final String reason)
    {
        if (State.CLOSING == state || !ctx.channel().isActive())
        {
            return;
        }
        state = State.CLOSING;
        stop();
        final boolean peerReads = ctx.channel().isWritable();
        ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
        if (!peerReads)
        {
            ctx.close();
        }
    }

    /** Nothing more is sent or flushed: timers cancelled, the request reset, buffers back to the pool. */
    private void stop()
    {
        cancel(flushTask);
        flushTask = null;
        cancel(readTask);
        readTask = null;
        cancel(startTimeout);
        startTimeout = null;
        cancel(sendTimeout);
        sendTimeout = null;
        cancel(deadline);
        deadline = null;
        if (null != request)
        {
            final InferenceClient.Request abandoned = request;
            request = null;
            abandoned.cancel();
        }
        inFlight = false;
        metrics.add(Metrics.BUFFERED_FRAMES, -(pendingFrames + batchFrames));
        pendingFrames = 0;
        batchFrames = 0;
        if (null != pending)
        {
            pending.release();
            pending = null;
        }
        if (null != fragment)
        {
            fragment.release();
            fragment = null;
        }
    }

    private static void cancel(final ScheduledFuture<?> future)
    {
        if (null != future)
        {
            future.cancel(false);
        }
    }

    boolean isStreaming()
    {
        return State.STREAMING == state;
    }
}
