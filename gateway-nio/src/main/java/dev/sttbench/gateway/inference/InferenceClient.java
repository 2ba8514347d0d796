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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The one HTTP/2 client all loops share. {@code java.net.http} negotiates h2c by Upgrade on its first request
 * to an {@code http://} URI, so {@link #warmUp()} sends a GET /health before any batch: every POST is then a
 * stream multiplexed on that single h2 connection. A response is classified and posted to the owning loop by
 * its body subscriber, on the client's selector thread (see {@link Exchange}).
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

    public CompletableFuture<HttpResponse<byte[]>> send(
        final ByteBuffer[] views,
        final int viewCount,
        final int bodyLength,
        final InferenceCaller caller,
        final CompletionSink sink)
    {
        final HttpRequest request = HttpRequest.newBuilder(inferUri)
            .header(CPU_PASSES_HEADER, cpuPasses)
            .header("content-type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.fromPublisher(new RingSlicePublisher(views, viewCount), bodyLength))
            .build();
        inFlight.incrementAndGet();
        final Exchange exchange = new Exchange(caller, sink, System.nanoTime());
        final CompletableFuture<HttpResponse<byte[]>> response = client.sendAsync(request, exchange);
        response.whenComplete(exchange);
        return response;
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
     * One request's outcome, posted exactly once. A response is posted from its body subscriber, on the client's
     * selector thread: the future {@code sendAsync} returns completes on the common {@code ForkJoinPool} instead
     * (the JDK hops there for every async exchange), where any unrelated task occupying its workers (one on a
     * 2-core host) would hold the answer back past the loop's deadline. The future still posts what never reaches
     * a body: connection failures and the loop's cancellation.
     */
    private static final class Exchange
        implements HttpResponse.BodyHandler<byte[]>, BiConsumer<HttpResponse<byte[]>, Throwable>
    {
        private static final VarHandle POSTED;

        static
        {
            try
            {
                POSTED = MethodHandles.lookup().findVarHandle(Exchange.class, "posted", boolean.class);
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new ExceptionInInitializerError(ex);
            }
        }

        private final InferenceCaller caller;
        private final CompletionSink sink;
        private final long sentNanos;
        private volatile boolean posted;

        Exchange(final InferenceCaller caller, final CompletionSink sink, final long sentNanos)
        {
            this.caller = caller;
            this.sink = sink;
            this.sentNanos = sentNanos;
        }

        public HttpResponse.BodySubscriber<byte[]> apply(final HttpResponse.ResponseInfo info)
        {
            final int status = info.statusCode();
            final HttpResponse.BodySubscriber<byte[]> body = HttpResponse.BodySubscribers.ofByteArray();
            body.getBody().whenComplete((bytes, failure) ->
            {
                if (null == failure)
                {
                    final ErrorKind kind = status >= 200 && status < 300 ? null : ErrorKind.ofHttpStatus(status);
                    post(new InferenceCompletion(caller, kind, status, bytes, System.nanoTime() - sentNanos));
                }
                else
                {
                    post(failed(failure));
                }
            });
            return body;
        }

        /** The future {@code sendAsync} returned: only a failure can still be unposted here. */
        public void accept(final HttpResponse<byte[]> response, final Throwable failure)
        {
            if (null != failure)
            {
                post(failed(failure));
            }
        }

        private void post(final InferenceCompletion completion)
        {
            if (POSTED.compareAndSet(this, false, true))
            {
                sink.post(completion);
            }
        }

        private InferenceCompletion failed(final Throwable failure)
        {
            return new InferenceCompletion(caller, classify(failure), InferenceCompletion.NO_STATUS, null,
                InferenceCompletion.NO_ELAPSED);
        }
    }

    private static ErrorKind classify(final Throwable failure)
    {
        final Throwable cause = failure instanceof CompletionException && null != failure.getCause() ?
            failure.getCause() : failure;
        return cause instanceof HttpTimeoutException ? ErrorKind.TIMEOUT : ErrorKind.CONNECTION_RESET;
    }
}
