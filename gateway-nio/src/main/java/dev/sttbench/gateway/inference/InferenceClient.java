package dev.sttbench.gateway.inference;

import dev.sttbench.gateway.protocol.ErrorKind;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The one HTTP/2 client all loops share. {@code java.net.http} negotiates h2c by Upgrade on its first request
 * to an {@code http://} URI, so {@link #warmUp()} sends a GET /health before any batch: every POST is then a
 * stream multiplexed on that single h2 connection. A response is classified and posted to the owning loop by
 * its body subscriber, on the client's selector thread (see {@link Http2Exchange}).
 * <p>
 * Requests carry no {@code HttpRequest.timeout}: the client would register a timer (a lock and a wakeup of its
 * selector thread) per request. The owning loop enforces INFERENCE_TIMEOUT_MS on its own timer wheel and
 * cancels the request instead.
 */
public final class InferenceClient implements InferencePort, AutoCloseable
{
    private static final String CPU_PASSES_HEADER = "x-cpu-passes";
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(2);

    private final HttpClient client;
    private final URI inferUri;
    private final URI healthUri;
    private final Duration timeout;
    private final String cpuPasses;
    private final AtomicInteger inFlight = new AtomicInteger();

    public InferenceClient(final URI baseUrl, final int cpuPasses, final int timeoutMs)
    {
        timeout = Duration.ofMillis(timeoutMs);
        client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_2)
            // Run the client's stages where they are triggered (the loop on send, the client's selector thread
            // on response) rather than handing each to an executor thread: measured to halve the client's CPU
            // per request. Nothing here blocks: the completion callback only enqueues.
            .executor(Runnable::run)
            .connectTimeout(timeout)
            .build();
        inferUri = baseUrl.resolve("/infer");
        healthUri = baseUrl.resolve("/health");
        this.cpuPasses = Integer.toString(cpuPasses);
    }

    /**
     * GET /health once so the h2c upgrade happens on a bodiless request.
     *
     * @return the negotiated protocol version, or null when the service is not reachable yet.
     */
    public HttpClient.Version warmUp()
    {
        try
        {
            final HttpRequest request = HttpRequest.newBuilder(healthUri).timeout(timeout).GET().build();
            return client.send(request, HttpResponse.BodyHandlers.discarding()).version();
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

    public InferenceExchange newExchange(final CompletionSink sink, final int bodySlot, final ByteBuffer body)
    {
        return new Http2Exchange(sink, bodySlot, body);
    }

    public CompletableFuture<HttpResponse<Void>> send(final InferenceExchange exchange, final InferenceCaller caller)
    {
        inFlight.incrementAndGet();
        return ((Http2Exchange)exchange).send(caller);
    }

    public void onCompletionHandled()
    {
        inFlight.decrementAndGet();
    }

    /**
     * Abort outstanding requests and wait briefly for the client to stop.
     *
     * @return true when it stopped, so nothing can read batch memory any more.
     */
    public boolean closeAndAwait()
    {
        client.shutdownNow();
        try
        {
            return client.awaitTermination(SHUTDOWN_WAIT);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
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
     * body subscriber posted (after its last signal) leaves the exchange reusable: after a cancellation or a
     * failure of the future, the JDK may still be feeding the old response into it.
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
        private Flow.Subscription bodySubscription;
        private CompletableFuture<Void> bodyStage;
        private volatile boolean posted;

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

        CompletableFuture<HttpResponse<Void>> send(final InferenceCaller caller)
        {
            posted = false;
            setReusable(false);
            arm(caller, System.nanoTime());
            final CompletableFuture<HttpResponse<Void>> response = client.sendAsync(request, this);
            response.whenComplete(this);
            return response;
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
                sink.post(this);
            }
            bodyStage.complete(null);
        }

        public CompletionStage<Void> getBody()
        {
            return bodyStage;
        }

        /** The future {@code sendAsync} returned: only a failure can still be unposted here. */
        public void accept(final HttpResponse<Void> response, final Throwable failure)
        {
            if (null != failure && claim())
            {
                onFailure(classify(failure));
                sink.post(this);
            }
        }

        private boolean claim()
        {
            return POSTED.compareAndSet(this, false, true);
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
        final Throwable cause = failure instanceof CompletionException && null != failure.getCause() ?
            failure.getCause() : failure;
        return cause instanceof HttpTimeoutException ? ErrorKind.TIMEOUT : ErrorKind.CONNECTION_RESET;
    }
}
