package dev.sttbench.gateway.inference;

import dev.sttbench.gateway.protocol.ErrorKind;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * The HTTP/2 client all loops share: one or more connections to the inference service (one
 * {@code java.net.http.HttpClient} each, {@link UpstreamConnection}), at most INFERENCE_MAX_STREAMS requests in
 * flight on each, and a FIFO of batches waiting for a free stream. {@code java.net.http} negotiates h2c by Upgrade on
 * its first request to an {@code http://} URI, so {@link #warmUp()} sends a GET /health before any batch: every POST
 * is then a stream multiplexed on that h2 connection. A response is classified and posted to the owning loop by its
 * body subscriber, on the client's selector thread (see {@link Http2Exchange}).
 * <p>
 * Why the limit: {@code java.net.http} fails a request beyond the peer's SETTINGS_MAX_CONCURRENT_STREAMS at once
 * ("too many concurrent streams") and opens no second connection. So a batch takes a stream of the first connection
 * that has one free; when every connection answers and is full, another connection is opened (up to
 * INFERENCE_MAX_CONNECTIONS); else the batch waits in the queue (at most INFERENCE_QUEUE_MAX: past it, it fails at
 * once with a timeout error) until a stream frees up, or until its loop's inference deadline cancels it, which
 * takes it out of the queue and resolves it as a timeout as before. A request refused before the peer processed it
 * (the JDK's stream limit, or the peer's REFUSED_STREAM after the JDK's own retry) goes back to the head of the queue;
 * on the JDK's stream limit its connection learns the lower limit ({@link UpstreamConnection}). GOAWAY is the JDK's:
 * it retries the requests the peer did not process on a new connection; requests lost with a connection end as
 * {@code connection_reset}. Every batch thus ends in exactly one posted outcome.
 * <p>
 * Queued batches are sent by whoever frees a stream or adds a batch: a loop in {@link #send} or in
 * {@link #onCompletionHandled()} (streams are released on the HTTP client's thread when the outcome is posted, and
 * the loop that handles it sends the next), so {@code sendAsync} still runs on a loop, but after a new connection's
 * warm-up and a peer's refusal, which send from the JDK's completion thread.
 * <p>
 * Requests carry no {@code HttpRequest.timeout}: the client would register a timer (a lock and a wakeup of its
 * selector thread) per request. The owning loop enforces INFERENCE_TIMEOUT_MS on its own timer wheel and
 * cancels the request instead.
 */
public final class InferenceClient implements InferencePort, AutoCloseable
{
    public static final int DEFAULT_MAX_STREAMS = 100;
    public static final int DEFAULT_MAX_CONNECTIONS = 16;
    public static final int DEFAULT_QUEUE_MAX = 4096;
    /** Times one batch may be refused a stream and requeued before it fails as {@code connection_reset}. */
    static final int MAX_REFUSALS = 8;
    /** java.net.http's message when a request would exceed the peer's SETTINGS_MAX_CONCURRENT_STREAMS. */
    static final String TOO_MANY_STREAMS = "too many concurrent streams";
    /** java.net.http's message when the peer refused a stream (REFUSED_STREAM, or beyond GOAWAY) and it gave up. */
    static final String NOT_PROCESSED = "request not processed by peer";

    private static final String CPU_PASSES_HEADER = "x-cpu-passes";
    private static final long SHUTDOWN_WAIT_NANOS = 2_000_000_000L;

    private final URI inferUri;
    private final HttpRequest healthRequest;
    private final Duration timeout;
    private final String cpuPasses;
    private final int maxStreams;
    private final int queueMax;
    private final AtomicInteger inFlight = new AtomicInteger();

    /** Guards the connections' counters, the queue and the exchanges' dispatch fields. Never held across a send. */
    private final ReentrantLock lock = new ReentrantLock();
    private final UpstreamConnection[] connections;
    private int connectionCount;
    private Http2Exchange queueHead;
    private Http2Exchange queueTail;
    /** A connection {@link #assign} opened, to be warmed up once the lock is released. */
    private UpstreamConnection opened;
    /** Batches in the queue; written under the lock, read without it to skip an empty queue. */
    private volatile int queued;
    private boolean closed;
    private long rejected;
    private long requeued;

    public InferenceClient(final URI baseUrl, final int cpuPasses, final int timeoutMs)
    {
        this(baseUrl, cpuPasses, timeoutMs, DEFAULT_MAX_STREAMS, DEFAULT_MAX_CONNECTIONS, DEFAULT_QUEUE_MAX);
    }

    /**
     * @param maxStreams     requests in flight per connection (INFERENCE_MAX_STREAMS).
     * @param maxConnections connections to open at most (INFERENCE_MAX_CONNECTIONS).
     * @param queueMax       batches that may wait for a stream (INFERENCE_QUEUE_MAX).
     */
    public InferenceClient(
        final URI baseUrl,
        final int cpuPasses,
        final int timeoutMs,
        final int maxStreams,
        final int maxConnections,
        final int queueMax)
    {
        timeout = Duration.ofMillis(timeoutMs);
        inferUri = baseUrl.resolve("/infer");
        healthRequest = HttpRequest.newBuilder(baseUrl.resolve("/health")).timeout(timeout).GET().build();
        this.cpuPasses = Integer.toString(cpuPasses);
        this.maxStreams = maxStreams;
        this.queueMax = queueMax;
        connections = new UpstreamConnection[maxConnections];
        // The first connection is warmed up by warmUp() at startup; until then, or when that failed, it probes.
        connections[connectionCount++] = new UpstreamConnection(maxStreams, timeout, UpstreamConnection.State.PROBING);
    }

    /**
     * GET /health once on the first connection so the h2c upgrade happens on a bodiless request.
     *
     * @return the negotiated protocol version, or null when the service is not reachable yet.
     */
    public HttpClient.Version warmUp()
    {
        final UpstreamConnection first = connections[0];
        try
        {
            final HttpClient.Version version = first.client.send(healthRequest, HttpResponse.BodyHandlers.discarding()).version();
            lock.lock();
            try
            {
                first.warmedUp(true);
            }
            finally
            {
                lock.unlock();
            }
            return version;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
        catch (final Exception ex)
        {
            return null;
        }
    }

    public int inFlight()
    {
        return inFlight.get();
    }

    /** Batches waiting for a stream now. */
    public int queued()
    {
        return queued;
    }

    /** Connections opened so far. */
    public int connections()
    {
        lock.lock();
        try
        {
            return connectionCount;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * This client's series of {@code GET /metrics}, in MetricsRenderer's style: batches waiting for a stream,
     * batches failed because the queue was full, requests refused a stream and requeued, connections opened and
     * their stream limits (INFERENCE_MAX_STREAMS each, or less where a connection learned a lower one), summed.
     */
    public String metricsText()
    {
        final long rejectedNow;
        final long requeuedNow;
        final int connectionsNow;
        long streams = 0;
        lock.lock();
        try
        {
            rejectedNow = rejected;
            requeuedNow = requeued;
            connectionsNow = connectionCount;
            for (int i = 0; i < connectionCount; i++)
            {
                streams += connections[i].limit();
            }
        }
        finally
        {
            lock.unlock();
        }
        return "# TYPE gateway_inference_requests_queued gauge\ngateway_inference_requests_queued " + queued + "\n" +
            "# TYPE gateway_inference_requests_rejected_total counter\ngateway_inference_requests_rejected_total " +
            rejectedNow + "\n" +
            "# TYPE gateway_inference_requests_requeued_total counter\ngateway_inference_requests_requeued_total " +
            requeuedNow + "\n" +
            "# TYPE gateway_inference_connections gauge\ngateway_inference_connections " + connectionsNow + "\n" +
            "# TYPE gateway_inference_stream_limit gauge\ngateway_inference_stream_limit " + streams + "\n";
    }

    public InferenceExchange newExchange(final CompletionSink sink, final int bodySlot, final ByteBuffer body)
    {
        return new Http2Exchange(sink, bodySlot, body);
    }

    /**
     * Send on a free stream, or queue (FIFO) until one frees up, or fail at once (a timeout outcome) when the queue
     * is full. The returned handle cancels the request, or takes it out of the queue.
     */
    public Future<?> send(final InferenceExchange exchange, final InferenceCaller caller)
    {
        inFlight.incrementAndGet();
        final Http2Exchange http = (Http2Exchange)exchange;
        http.prepare(caller);
        UpstreamConnection to = null;
        boolean reject = false;
        lock.lock();
        try
        {
            if (null == queueHead)
            {
                to = assign(http);
            }
            if (null == to)
            {
                if (closed || queued >= queueMax)
                {
                    rejected++;
                    reject = true;
                }
                else
                {
                    linkLast(http);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
        warmUpOpened();
        if (null != to)
        {
            http.transmit(to);
        }
        else if (reject)
        {
            http.failUnsent(ErrorKind.TIMEOUT);
        }
        drain();
        return http.handle;
    }

    /** A loop handled an outcome: its stream was released when it was posted, so send what waits. */
    public void onCompletionHandled()
    {
        inFlight.decrementAndGet();
        drain();
    }

    /** Send queued batches, head first, while a connection has a free stream. */
    private void drain()
    {
        while (0 != queued)
        {
            final Http2Exchange next;
            final UpstreamConnection to;
            lock.lock();
            try
            {
                next = queueHead;
                if (null == next)
                {
                    return;
                }
                to = assign(next);
                if (null != to)
                {
                    unlink(next);
                }
            }
            finally
            {
                lock.unlock();
            }
            warmUpOpened();
            if (null == to)
            {
                return;
            }
            next.transmit(to);
        }
    }

    /**
     * GET /health on a connection {@link #assign} just opened (outside the lock: no JDK call is made under it); its
     * answer lets batches onto it, and sends those waiting.
     */
    private void warmUpOpened()
    {
        if (null == opened)
        {
            return;
        }
        final UpstreamConnection connection;
        lock.lock();
        try
        {
            connection = opened;
            opened = null;
        }
        finally
        {
            lock.unlock();
        }
        if (null == connection)
        {
            return;
        }
        CompletableFuture<HttpResponse<Void>> health;
        try
        {
            health = connection.client.sendAsync(healthRequest, HttpResponse.BodyHandlers.discarding());
        }
        catch (final RuntimeException ex)
        {
            health = CompletableFuture.failedFuture(ex);
        }
        health.whenComplete((response, failure) ->
        {
            lock.lock();
            try
            {
                // Any answer, /health or not, shows the h2 connection is up.
                connection.warmedUp(null == failure);
            }
            finally
            {
                lock.unlock();
            }
            drain();
        });
    }

    /**
     * A stream for {@code exchange}: on the first connection with one free. When every connection answers and is
     * full, a new connection is opened (left in {@link #opened} for the caller to warm up). Under the lock.
     *
     * @return the connection, or null when the batch must wait.
     */
    private UpstreamConnection assign(final Http2Exchange exchange)
    {
        if (closed)
        {
            return null;
        }
        boolean allFull = true;
        for (int i = 0; i < connectionCount; i++)
        {
            final UpstreamConnection connection = connections[i];
            if (connection.hasCapacity())
            {
                return take(connection, exchange);
            }
            allFull &= connection.isFull();
        }
        if (allFull && connectionCount < connections.length)
        {
            // The batch waits for the new connection's warm-up (or a stream freed meanwhile): see UpstreamConnection.
            opened = new UpstreamConnection(maxStreams, timeout, UpstreamConnection.State.WARMING);
            connections[connectionCount++] = opened;
        }
        return null;
    }

    private static UpstreamConnection take(final UpstreamConnection connection, final Http2Exchange exchange)
    {
        connection.acquire();
        exchange.connection = connection;
        exchange.attempted = true;
        return connection;
    }

    /** The exchange's request ended: its stream goes back to its connection. */
    private void release(final Http2Exchange exchange, final boolean answered, final boolean broken)
    {
        lock.lock();
        try
        {
            final UpstreamConnection connection = exchange.connection;
            if (null != connection)
            {
                exchange.connection = null;
                connection.release(answered, broken);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The exchange's request was refused before the peer processed it: back to the head of the queue, unless its
     * batch was cancelled meanwhile or was refused too often.
     *
     * @param streamLimit refused by java.net.http's check of the peer's SETTINGS_MAX_CONCURRENT_STREAMS: the
     *                    connection's limit is what it has in flight. Other refusals (REFUSED_STREAM, a GOAWAY, a
     *                    closing connection) teach nothing about the limit.
     * @return false when it must fail instead (its stream is then still held, for {@link #release}).
     */
    private boolean requeue(final Http2Exchange exchange, final boolean streamLimit)
    {
        lock.lock();
        try
        {
            if (closed || exchange.cancelRequested || exchange.refusals >= MAX_REFUSALS || null == exchange.connection)
            {
                return false;
            }
            exchange.refusals++;
            if (streamLimit)
            {
                exchange.connection.refused();
            }
            else
            {
                exchange.connection.release(false, false);
            }
            exchange.connection = null;
            requeued++;
            linkFirst(exchange);
            return true;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Cancel the batch's request, or take it out of the queue. */
    private void cancel(final Http2Exchange exchange)
    {
        final boolean wasQueued;
        final CompletableFuture<HttpResponse<Void>> response;
        lock.lock();
        try
        {
            exchange.cancelRequested = true;
            wasQueued = exchange.queued;
            if (wasQueued)
            {
                unlink(exchange);
            }
            response = exchange.response;
        }
        finally
        {
            lock.unlock();
        }
        if (wasQueued)
        {
            exchange.failUnsent(ErrorKind.TIMEOUT);
        }
        else if (null != response)
        {
            response.cancel(true);
        }
    }

    private void linkLast(final Http2Exchange exchange)
    {
        exchange.queued = true;
        exchange.queuePrevious = queueTail;
        exchange.queueNext = null;
        if (null == queueTail)
        {
            queueHead = exchange;
        }
        else
        {
            queueTail.queueNext = exchange;
        }
        queueTail = exchange;
        queued++;
    }

    private void linkFirst(final Http2Exchange exchange)
    {
        exchange.queued = true;
        exchange.queuePrevious = null;
        exchange.queueNext = queueHead;
        if (null == queueHead)
        {
            queueTail = exchange;
        }
        else
        {
            queueHead.queuePrevious = exchange;
        }
        queueHead = exchange;
        queued++;
    }

    private void unlink(final Http2Exchange exchange)
    {
        final Http2Exchange previous = exchange.queuePrevious;
        final Http2Exchange next = exchange.queueNext;
        if (null == previous)
        {
            queueHead = next;
        }
        else
        {
            previous.queueNext = next;
        }
        if (null == next)
        {
            queueTail = previous;
        }
        else
        {
            next.queuePrevious = previous;
        }
        exchange.queuePrevious = null;
        exchange.queueNext = null;
        exchange.queued = false;
        queued--;
    }

    /**
     * Fail what waits, abort outstanding requests and wait briefly for the clients to stop.
     *
     * @return true when they stopped, so nothing can read batch memory any more.
     */
    public boolean closeAndAwait()
    {
        final List<Http2Exchange> waiting = new ArrayList<>();
        final UpstreamConnection[] all;
        lock.lock();
        try
        {
            closed = true;
            while (null != queueHead)
            {
                final Http2Exchange exchange = queueHead;
                unlink(exchange);
                waiting.add(exchange);
            }
            all = Arrays.copyOf(connections, connectionCount);
        }
        finally
        {
            lock.unlock();
        }
        for (final Http2Exchange exchange : waiting)
        {
            exchange.failUnsent(ErrorKind.CONNECTION_RESET);
        }
        for (final UpstreamConnection connection : all)
        {
            connection.client.shutdownNow();
        }
        final long deadline = System.nanoTime() + SHUTDOWN_WAIT_NANOS;
        boolean stopped = true;
        try
        {
            for (final UpstreamConnection connection : all)
            {
                stopped &= connection.client.awaitTermination(
                    Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
        return stopped;
    }

    public void close()
    {
        closeAndAwait();
    }

    /**
     * An exchange of this client: its request (built once, with this exchange as the body publisher and its
     * content length re-armed per batch), its body handler and subscriber, and the completion of the future
     * {@code sendAsync} returns, all one object reused for every batch it carries. Per request remain the
     * subscription to the body with its view, the body stage and what the JDK allocates inside.
     * <p>
     * The outcome is claimed once (a CAS), written, then posted. A response is posted from its body subscriber,
     * on the client's selector thread: the future {@code sendAsync} returns completes on the common
     * {@code ForkJoinPool} instead (the JDK hops there for every async exchange), where any unrelated task
     * occupying its workers (one on a 2-core host) would hold the answer back past the loop's deadline. The future
     * still posts what never reaches a body: connection failures and the loop's cancellation. Only an outcome the
     * body subscriber posted (after its last signal), or a batch the JDK never saw (failed in the queue), leaves the
     * exchange reusable: after a cancellation or a failure of the future, the JDK may still be feeding the old
     * response into it. The stream is released just before the outcome is posted.
     * <p>
     * Its dispatch fields (connection, queue links, refusals) are guarded by the client's lock; {@link #response}
     * and {@link #cancelRequested} are volatile so that a cancellation racing a send always reaches the request:
     * the sender publishes the future, then reads the flag; the canceller sets the flag, then reads the future.
     */
    private final class Http2Exchange extends InferenceExchange implements HttpRequest.BodyPublisher,
        HttpResponse.BodyHandler<Void>, HttpResponse.BodySubscriber<Void>, BiConsumer<HttpResponse<Void>, Throwable>
    {
        private static final VarHandle POSTED;

        static
        {
            try
            {
                POSTED = MethodHandles.lookup().findVarHandle(Http2Exchange.class, "posted", boolean.class);
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new ExceptionInInitializerError(ex);
            }
        }

        private final CompletionSink sink;
        private final HttpRequest request;
        private final Future<Void> handle = new Handle();
        private Flow.Subscription bodySubscription;
        private CompletableFuture<Void> bodyStage;
        private volatile boolean posted;
        private volatile boolean cancelRequested;
        private volatile CompletableFuture<HttpResponse<Void>> response;
        private UpstreamConnection connection;
        private boolean attempted;
        private int refusals;
        private boolean queued;
        private Http2Exchange queuePrevious;
        private Http2Exchange queueNext;

        Http2Exchange(final CompletionSink sink, final int bodySlot, final ByteBuffer body)
        {
            super(bodySlot, body);
            this.sink = sink;
            request = HttpRequest.newBuilder(inferUri)
                .header(CPU_PASSES_HEADER, cpuPasses)
                .header("content-type", "application/octet-stream")
                .POST(this)
                .build();
        }

        /** Armed for a new batch of {@code caller}, not yet queued or sent. */
        void prepare(final InferenceCaller caller)
        {
            posted = false;
            setReusable(false);
            arm(caller, System.nanoTime());
            cancelRequested = false;
            response = null;
            attempted = false;
            refusals = 0;
        }

        /** Send on a stream of {@code to}, taken for it under the lock. */
        void transmit(final UpstreamConnection to)
        {
            sentAt(System.nanoTime());
            CompletableFuture<HttpResponse<Void>> sent;
            try
            {
                sent = to.client.sendAsync(request, this);
            }
            catch (final RuntimeException ex)
            {
                sent = CompletableFuture.failedFuture(ex);
            }
            response = sent;
            sent.whenComplete(this);
            if (cancelRequested)
            {
                sent.cancel(true);
            }
        }

        /** Never sent, or refused and not to be sent again: post {@code kind}. */
        void failUnsent(final ErrorKind kind)
        {
            if (claim())
            {
                onFailure(kind);
                setReusable(!attempted);
                sink.post(this);
            }
        }

        public long contentLength()
        {
            return requestBody().limit();
        }

        /**
         * Each subscription gets its own view of the body, from its start: a resend reads it again, and a
         * request the JDK may still be writing keeps its view when the exchange is armed for the next batch.
         */
        public void subscribe(final Flow.Subscriber<? super ByteBuffer> subscriber)
        {
            subscriber.onSubscribe(new BodySubscription(subscriber, requestBody().duplicate()));
        }

        public HttpResponse.BodySubscriber<Void> apply(final HttpResponse.ResponseInfo info)
        {
            onResponse(info.statusCode());
            bodyStage = new CompletableFuture<>();
            return this;
        }

        public void onSubscribe(final Flow.Subscription subscription)
        {
            bodySubscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        public void onNext(final List<ByteBuffer> items)
        {
            for (final ByteBuffer item : items)
            {
                if (!appendResponse(item))
                {
                    // Longer than any valid answer: stop reading it and fail the batch now. Items the JDK still
                    // delivers after the cancel would land in this exchange: it is not lent again.
                    bodySubscription.cancel();
                    if (claim())
                    {
                        onBodyComplete(System.nanoTime());
                        release(this, true, false);
                        sink.post(this);
                    }
                    bodyStage.complete(null);
                    return;
                }
            }
        }

        public void onError(final Throwable failure)
        {
            if (claim())
            {
                onFailure(classify(failure));
                setReusable(true);
                release(this, false, !cancelRequested);
                sink.post(this);
            }
            bodyStage.completeExceptionally(failure);
        }

        public void onComplete()
        {
            if (claim())
            {
                onBodyComplete(System.nanoTime());
                setReusable(true);
                release(this, true, false);
                sink.post(this);
            }
            bodyStage.complete(null);
        }

        public CompletionStage<Void> getBody()
        {
            return bodyStage;
        }

        /**
         * The future {@code sendAsync} returned: only a failure can still be unposted here. A request refused before
         * the peer processed it goes back to the queue instead.
         */
        public void accept(final HttpResponse<Void> response, final Throwable failure)
        {
            if (null == failure || posted)
            {
                return;
            }
            final Throwable cause = cause(failure);
            final boolean refused = isRefusal(cause);
            if (refused && requeue(this, isStreamLimit(cause)))
            {
                // Its stream is free again: send the head of the queue (this batch, unless another connection is
                // full too). Inline in transmit this recurses at most MAX_REFUSALS deep.
                drain();
                return;
            }
            if (claim())
            {
                final ErrorKind kind = classify(failure);
                release(this, false, ErrorKind.CONNECTION_RESET == kind && !refused && !cancelRequested);
                onFailure(kind);
                sink.post(this);
            }
        }

        private boolean claim()
        {
            return POSTED.compareAndSet(this, false, true);
        }

        /** What the loop holds to cancel the batch's request at its deadline. */
        private final class Handle implements Future<Void>
        {
            public boolean cancel(final boolean mayInterruptIfRunning)
            {
                InferenceClient.this.cancel(Http2Exchange.this);
                return true;
            }

            public boolean isCancelled()
            {
                return cancelRequested;
            }

            public boolean isDone()
            {
                return posted;
            }

            public Void get()
            {
                throw new UnsupportedOperationException("the outcome is posted to the loop");
            }

            public Void get(final long timeout, final TimeUnit unit)
            {
                throw new UnsupportedOperationException("the outcome is posted to the loop");
            }
        }
    }

    /** Hands a batch's body to the HTTP client as the request body: one buffer, once demanded. */
    private static final class BodySubscription implements Flow.Subscription
    {
        private final Flow.Subscriber<? super ByteBuffer> subscriber;
        private final ByteBuffer body;
        private boolean done;

        BodySubscription(final Flow.Subscriber<? super ByteBuffer> subscriber, final ByteBuffer body)
        {
            this.subscriber = subscriber;
            this.body = body;
        }

        public synchronized void request(final long n)
        {
            if (done)
            {
                return;
            }
            done = true;
            if (n <= 0)
            {
                subscriber.onError(new IllegalArgumentException("non-positive demand: " + n));
                return;
            }
            subscriber.onNext(body);
            subscriber.onComplete();
        }

        public synchronized void cancel()
        {
            done = true;
        }
    }

    private static ErrorKind classify(final Throwable failure)
    {
        return cause(failure) instanceof HttpTimeoutException ? ErrorKind.TIMEOUT : ErrorKind.CONNECTION_RESET;
    }

    /**
     * Whether java.net.http failed the request before the peer processed it for want of a stream: its own
     * SETTINGS_MAX_CONCURRENT_STREAMS check, or the peer's REFUSED_STREAM (after the JDK's own retry). Known only by
     * the message of the IOException (java.net.http has no type for it); InferenceClientTest pins both.
     */
    static boolean isRefusal(final Throwable failure)
    {
        return isStreamLimit(failure) || hasMessage(failure, NOT_PROCESSED);
    }

    /** Refused by java.net.http's own check of the peer's SETTINGS_MAX_CONCURRENT_STREAMS. */
    static boolean isStreamLimit(final Throwable failure)
    {
        return hasMessage(failure, TOO_MANY_STREAMS);
    }

    private static boolean hasMessage(final Throwable failure, final String text)
    {
        final Throwable cause = cause(failure);
        final String message = cause instanceof IOException ? cause.getMessage() : null;
        return null != message && message.contains(text);
    }

    private static Throwable cause(final Throwable failure)
    {
        return failure instanceof CompletionException && null != failure.getCause() ? failure.getCause() : failure;
    }
}
