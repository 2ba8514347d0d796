package dev.sttbench.gateway.server;

import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.inference.CompletionSink;
import dev.sttbench.gateway.inference.InferencePort;
import dev.sttbench.gateway.inference.InferenceExchange;
import dev.sttbench.gateway.metrics.LoopMetrics;
import dev.sttbench.gateway.session.AudioMemoryBudget;
import dev.sttbench.gateway.session.AudioSession;
import dev.sttbench.gateway.session.LoopResources;
import dev.sttbench.gateway.session.SessionLimit;
import dev.sttbench.gateway.session.SessionSlots;
import dev.sttbench.gateway.session.SessionTimers;
import dev.sttbench.gateway.session.WebSocketConnection;
import dev.sttbench.gateway.websocket.Handshake;
import org.agrona.concurrent.UnsafeBuffer;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One event loop: a thread owning a {@link Selector}, its own {@code SO_REUSEPORT} listener, a read buffer, a
 * timer wheel, an MPSC completion queue and its sessions for their whole life. It also routes the few plain
 * HTTP requests (/ws/stt upgrade, /health, /metrics, 400/404/405/503).
 */
public final class EventLoop implements Runnable, CompletionSink
{
    private static final int COMPLETION_QUEUE_CHUNK = 1024;
    /** Shortest select timeout while timers are pending: about one wheel tick. */
    private static final long TIMER_SELECT_MS = 1;
    private static final long DRAIN_SELECT_MS = 10;
    private static final long CLOSE_GRACE_NANOS = 1_500_000_000L;
    private static final long RESOLVE_GRACE_NANOS = 500_000_000L;
    /** How long accepting pauses after it failed (out of file descriptors). */
    private static final long ACCEPT_PAUSE_NANOS = 100_000_000L;
    /** Requested SO_SNDBUF of an upgraded socket (Linux doubles it): partials are a few hundred bytes a second. */
    private static final int KERNEL_SEND_BUFFER_BYTES = 32 * 1024;
    /** How often idle audio chunks and exchanges are given back and the memory gauges are refreshed. */
    private static final long HOUSEKEEPING_NANOS = 1_000_000_000L;

    private final int index;
    private final GatewayConfig config;
    private final Selector selector;
    private final ServerSocketChannel listener;
    // The field-updater flavour: same algorithm, no sun.misc.Unsafe (deprecated for removal, warned about on JDK 25).
    private final MpscUnboundedAtomicArrayQueue<InferenceExchange> completions =
        new MpscUnboundedAtomicArrayQueue<>(COMPLETION_QUEUE_CHUNK);
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final LoopMetrics metrics = new LoopMetrics();
    private final SessionSlots slots;
    private final SessionTimers timers;
    private final LoopResources resources;
    private final Handshake handshake = new Handshake();
    private final Supplier<String> metricsText;
    private final Supplier<String> healthJson;
    private final Consumer<Throwable> onLoopFailure;
    private final Consumer<SelectionKey> onSelected = this::onSelected;
    private final MessagePassingQueue.Consumer<InferenceExchange> onCompletion = this::onCompletion;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ErrorLog errors;
    private boolean clockStale;
    private int selectedKeys;
    private long nextHousekeepingNanos;
    /** When accepting resumes after a failure; 0 while accepting. */
    private long acceptResumeNanos;

    private final long pacingNanos;
    private final long requestHeadTimeoutNanos;

    private volatile boolean drainRequested;
    private int drainPhase;
    private long drainDeadlineNanos;

    public EventLoop(
        final int index,
        final GatewayConfig config,
        final ServerSocketChannel listener,
        final SessionLimit sessionLimit,
        final AudioMemoryBudget audioMemory,
        final InferencePort inference,
        final Supplier<String> metricsText,
        final Supplier<String> healthJson,
        final Consumer<Throwable> onLoopFailure) throws IOException
    {
        this.onLoopFailure = onLoopFailure;
        this.index = index;
        this.config = config;
        this.listener = listener;
        this.metricsText = metricsText;
        this.healthJson = healthJson;
        pacingNanos = config.loopPacingMicros() * 1_000L;
        requestHeadTimeoutNanos = config.requestHeadTimeoutMs() * 1_000_000L;
        selector = Selector.open();
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        slots = new SessionSlots(config, sessionLimit, audioMemory);
        timers = new SessionTimers(System.nanoTime());
        resources = new LoopResources(config, metrics, inference, this, timers, slots);
        errors = new ErrorLog("event loop " + index, metrics);
    }

    public LoopMetrics metrics()
    {
        return metrics;
    }

    public int index()
    {
        return index;
    }

    /** From an HTTP client thread: enqueue, and wake the selector only if no wakeup is already pending. */
    public void post(final InferenceExchange exchange)
    {
        completions.offer(exchange);
        if (wakeupPending.compareAndSet(false, true))
        {
            selector.wakeup();
        }
    }

    /** Stop accepting, let in-flight batches resolve, then close every session with 1001. */
    public void drain()
    {
        drainRequested = true;
        selector.wakeup();
    }

    public void awaitStopped() throws InterruptedException
    {
        stopped.await();
    }

    /** Release the off-heap slab; only once nothing can read it any more. */
    public void releaseMemory()
    {
        slots.close();
    }

    /**
     * The duty cycle: wait for readiness, a completion's wakeup or the next timer tick; read the clock once;
     * handle ready sockets, drained completions and due timers; measure how long the work took.
     */
    public void run()
    {
        try
        {
            nextHousekeepingNanos = System.nanoTime() + HOUSEKEEPING_NANOS;
            while (true)
            {
                final long selectMs = selectTimeoutMs();
                clockStale = true;
                selectedKeys = 0;
                selector.select(onSelected, selectMs);
                final long now = cycleClock();
                wakeupPending.set(false);
                final int work = selectedKeys + completions.drain(onCompletion) + timers.poll(now);
                resumeAcceptingWhenDue(now);
                if (now >= nextHousekeepingNanos)
                {
                    housekeeping(now);
                }
                if (drainRequested && drainStep(now))
                {
                    break;
                }
                final long end = System.nanoTime();
                if (work > 0)
                {
                    metrics.cycleTime(end - now);
                }
                // parkNanos may return early: wait out the whole pacing period.
                long pauseNanos = now + pacingNanos - end;
                while (pauseNanos > 0)
                {
                    LockSupport.parkNanos(pauseNanos);
                    pauseNanos = now + pacingNanos - System.nanoTime();
                }
            }
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            // The loop itself is broken (its selector, or a fault outside any one connection): its listener would
            // keep accepting connections nobody serves, so the process must stop rather than limp on.
            errors.fatal("failed", ex);
            onLoopFailure.accept(ex);
        }
        finally
        {
            closeAll();
            stopped.countDown();
        }
    }

    /**
     * How long to wait for readiness: until the next wheel tick that holds a timer (at least 1 ms, about a tick,
     * so a due timer runs at most a tick late), or until accepting resumes; 0 = until something is ready. Quiet
     * sessions' idle deadlines share a few spokes, so a loop holding only quiet sessions wakes a few times a
     * second, not at every tick.
     */
    private long selectTimeoutMs()
    {
        if (drainRequested)
        {
            return DRAIN_SELECT_MS;
        }
        final long now = System.nanoTime();
        long waitNanos = timers.nanosUntilNextOccupiedTick(now);
        if (0 != acceptResumeNanos)
        {
            final long untilAccepting = Math.max(0, acceptResumeNanos - now);
            waitNanos = waitNanos < 0 ? untilAccepting : Math.min(waitNanos, untilAccepting);
        }
        return waitNanos < 0 ? 0 : Math.max(TIMER_SELECT_MS, (waitNanos + 999_999) / 1_000_000);
    }

    /** This cycle's time, read from the system clock the first time it is asked for after waking up. */
    private long cycleClock()
    {
        if (clockStale)
        {
            resources.clock().update(System.nanoTime());
            clockStale = false;
        }
        return resources.clock().nanoTime();
    }

    private void housekeeping(final long now)
    {
        nextHousekeepingNanos = now + HOUSEKEEPING_NANOS;
        metrics.add(LoopMetrics.AUDIO_CHUNKS_TRIMMED, slots.audio().trim());
        metrics.set(LoopMetrics.AUDIO_CHUNKS_IN_USE, slots.audio().inUse());
        metrics.set(LoopMetrics.AUDIO_MEMORY_REFUSALS, slots.audio().refusals());
        metrics.set(LoopMetrics.EXCHANGES_IDLE, resources.trimExchanges());
    }

    private void onCompletion(final InferenceExchange exchange)
    {
        try
        {
            exchange.caller().onInferenceCompletion(exchange);
        }
        catch (final RuntimeException ex)
        {
            abort(exchange.caller(), null, ex);
        }
    }

    private void onSelected(final SelectionKey key)
    {
        selectedKeys++;
        try
        {
            dispatch(key);
        }
        catch (final RuntimeException ex)
        {
            abort(key.attachment(), key, ex);
        }
    }

    /** A fault in one connection's handling (a bug) closes that connection and spares the loop's others. */
    private void abort(final Object connection, final SelectionKey key, final RuntimeException ex)
    {
        metrics.increment(LoopMetrics.CONNECTIONS_ABORTED);
        errors.record("connection aborted", ex);
        if (connection instanceof WebSocketConnection webSocket)
        {
            webSocket.abort();
        }
        else if (connection instanceof AudioSession session)
        {
            session.abort();
        }
        else if (null != key)
        {
            closeChannel(key);
        }
    }

    private void dispatch(final SelectionKey key)
    {
        if (!key.isValid())
        {
            return;
        }
        final Object attachment = key.attachment();
        final int ready = key.readyOps();
        if (attachment instanceof WebSocketConnection webSocket)
        {
            if ((ready & SelectionKey.OP_WRITE) != 0)
            {
                webSocket.onWritable();
            }
            if ((ready & SelectionKey.OP_READ) != 0 && !webSocket.isClosed())
            {
                webSocket.onReadable(cycleClock());
            }
        }
        else if (attachment instanceof HttpConnection connection)
        {
            readHttp(key, connection);
        }
        else if ((ready & SelectionKey.OP_ACCEPT) != 0)
        {
            accept();
        }
    }

    private void accept()
    {
        while (true)
        {
            final SocketChannel channel;
            try
            {
                channel = listener.accept();
            }
            catch (final IOException ex)
            {
                pauseAccepting(ex);
                return;
            }
            if (null == channel)
            {
                return;
            }
            try
            {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                final HttpConnection connection = new HttpConnection(this);
                connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
                timers.schedule(connection.headTimer, cycleClock() + requestHeadTimeoutNanos);
            }
            catch (final IOException ex)
            {
                errors.record("accepted connection failed", ex);
                closeQuietly(channel);
            }
        }
    }

    /**
     * Accepting failed, typically out of file descriptors (EMFILE): the pending connection stays queued and the
     * listener readable, so retrying at once would spin the loop. Stop watching the listener for a while (counted,
     * logged at most once a second) and resume by itself; connections wait in the backlog meanwhile.
     */
    private void pauseAccepting(final IOException cause)
    {
        metrics.increment(LoopMetrics.ACCEPT_PAUSES);
        errors.record("accept failed, pausing accepts for " + ACCEPT_PAUSE_NANOS / 1_000_000 + " ms", cause);
        listener.keyFor(selector).interestOps(0);
        acceptResumeNanos = cycleClock() + ACCEPT_PAUSE_NANOS;
    }

    private void resumeAcceptingWhenDue(final long now)
    {
        if (acceptResumeNanos != 0 && now >= acceptResumeNanos)
        {
            acceptResumeNanos = 0;
            if (0 == drainPhase)
            {
                listener.keyFor(selector).interestOps(SelectionKey.OP_ACCEPT);
            }
        }
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Never registered: nothing else holds it.
        }
    }

    /** REQUEST_HEAD_TIMEOUT_MS passed before the request head was complete (or anything came at all). */
    void requestHeadTimedOut(final HttpConnection connection)
    {
        metrics.increment(LoopMetrics.REQUEST_HEAD_TIMEOUTS);
        respondAndClose(connection.key, HttpResponses.REQUEST_TIMEOUT);
    }

    private void readHttp(final SelectionKey key, final HttpConnection connection)
    {
        final SocketChannel channel = (SocketChannel)key.channel();
        final ByteBuffer readBuffer = resources.readBuffer();
        readBuffer.clear();
        final int read;
        try
        {
            read = channel.read(readBuffer);
        }
        catch (final IOException ex)
        {
            closeChannel(key);
            return;
        }
        if (read < 0)
        {
            closeChannel(key);
            return;
        }
        readBuffer.flip();
        final int headEnd = connection.append(readBuffer);
        if (HttpConnection.INCOMPLETE == headEnd)
        {
            return;
        }
        timers.cancel(connection.headTimer);
        if (HttpConnection.TOO_LONG == headEnd)
        {
            respondAndClose(key, HttpResponses.HEADERS_TOO_LARGE);
            return;
        }
        if (!handshake.parse(connection.bytes(), headEnd))
        {
            respondAndClose(key, HttpResponses.BAD_REQUEST);
            return;
        }
        if (!"GET".equals(handshake.method()))
        {
            respondAndClose(key, HttpResponses.METHOD_NOT_ALLOWED);
            return;
        }
        switch (handshake.path())
        {
            case "/ws/stt" -> upgrade(key, connection, headEnd);
            case "/health" -> respondAndClose(key, HttpResponses.ok("application/json", healthJson.get()));
            case "/metrics" -> respondAndClose(
                key, HttpResponses.ok("text/plain; version=0.0.4; charset=utf-8", metricsText.get()));
            default -> respondAndClose(key, HttpResponses.NOT_FOUND);
        }
    }

    private void upgrade(final SelectionKey key, final HttpConnection connection, final int headEnd)
    {
        if (!handshake.isValidUpgrade())
        {
            respondAndClose(key, HttpResponses.BAD_REQUEST);
            return;
        }
        final int slot = 0 == drainPhase ? slots.acquire() : -1;
        if (slot < 0)
        {
            metrics.increment(LoopMetrics.UPGRADES_REJECTED);
            respondAndClose(key, HttpResponses.SERVICE_UNAVAILABLE);
            return;
        }
        final SocketChannel channel = (SocketChannel)key.channel();
        final ByteBuffer response = ByteBuffer.wrap(handshake.switchingProtocolsResponse());
        try
        {
            channel.write(response);
        }
        catch (final IOException ex)
        {
            slots.release(slot);
            closeChannel(key);
            return;
        }
        if (response.hasRemaining())
        {
            // A fresh socket's send buffer always takes ~130 bytes; if it does not, the peer is not worth a slot.
            slots.release(slot);
            closeChannel(key);
            return;
        }
        try
        {
            // A client that stops reading is found once this fills (then OUTBOUND_BUFFER_BYTES), within
            // SEND_TIMEOUT_MS, not after the megabytes the kernel's autotuning would let it leave unread.
            channel.setOption(StandardSocketOptions.SO_SNDBUF, KERNEL_SEND_BUFFER_BYTES);
        }
        catch (final IOException ex)
        {
            slots.release(slot);
            closeChannel(key);
            return;
        }
        final WebSocketConnection webSocket = new WebSocketConnection(resources, channel, key, slot);
        key.attach(webSocket);
        final int pipelined = connection.length() - headEnd;
        if (pipelined > 0)
        {
            webSocket.onBytes(new UnsafeBuffer(connection.bytes()), headEnd, pipelined, cycleClock());
        }
    }

    private void respondAndClose(final SelectionKey key, final byte[] response)
    {
        try
        {
            ((SocketChannel)key.channel()).write(ByteBuffer.wrap(response));
        }
        catch (final IOException ignore)
        {
            // The peer is gone; the connection is closed below either way.
        }
        closeChannel(key);
    }

    private void closeChannel(final SelectionKey key)
    {
        if (key.attachment() instanceof HttpConnection connection)
        {
            timers.cancel(connection.headTimer);
        }
        key.cancel();
        try
        {
            key.channel().close();
        }
        catch (final IOException ignore)
        {
            // Nothing more to release for a socket that fails to close.
        }
    }

    /**
     * Phase 1: stop accepting; read each streaming session one last time and flush what it sent at once; wait
     * (bounded: a batch in flight, then the last one) until every batch is answered and its partial written.
     * Phase 2: close every session with 1001 and wait (bounded) for the peers. Returns true when done.
     */
    private boolean drainStep(final long now) throws IOException
    {
        if (0 == drainPhase)
        {
            drainPhase = 1;
            resources.startDraining();
            listener.keyFor(selector).cancel();
            listener.close();
            for (final SelectionKey key : new ArrayList<>(selector.keys()))
            {
                if (key.attachment() instanceof WebSocketConnection webSocket)
                {
                    webSocket.drain(now);
                }
            }
            drainDeadlineNanos = now + 2 * config.inferenceTimeoutMs() * 1_000_000L + RESOLVE_GRACE_NANOS;
        }
        if (1 == drainPhase && (allAnswered() || now >= drainDeadlineNanos))
        {
            drainPhase = 2;
            for (final SelectionKey key : new ArrayList<>(selector.keys()))
            {
                if (key.attachment() instanceof WebSocketConnection webSocket)
                {
                    webSocket.goAway();
                }
                else if (key.attachment() instanceof HttpConnection)
                {
                    closeChannel(key);
                }
            }
            drainDeadlineNanos = now + CLOSE_GRACE_NANOS;
        }
        return 2 == drainPhase && (0 == metrics.get(LoopMetrics.SESSIONS) || now >= drainDeadlineNanos);
    }

    private boolean allAnswered()
    {
        if (0 != resources.inFlightBatches())
        {
            return false;
        }
        for (final SelectionKey key : selector.keys())
        {
            if (key.attachment() instanceof WebSocketConnection webSocket && !webSocket.isDrained())
            {
                return false;
            }
        }
        return true;
    }

    private void closeAll()
    {
        final List<SelectionKey> keys = new ArrayList<>(selector.keys());
        for (final SelectionKey key : keys)
        {
            closeChannel(key);
        }
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // Shutting down: the selector's descriptors go with the process or the next GC.
        }
    }
}
