package dev.sttbench.gateway.inference;

import dev.sttbench.gateway.protocol.ErrorKind;

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

/**
 * The one HTTP/2 client all loops share. {@code java.net.http} negotiates h2c by Upgrade on its first request
 * to an {@code http://} URI, so {@link #warmUp()} sends a GET /health before any batch: every POST is then a
 * stream multiplexed on that single h2 connection. Responses complete on the client's selector thread, which
 * only classifies the outcome and posts it to the owning loop.
 * <p>
 * Requests carry no {@code HttpRequest.timeout}: the client would register a timer (a lock and a wakeup of its
 * selector thread) per request. The owning loop enforces INFERENCE_TIMEOUT_MS on its own timer wheel and
 * cancels the request instead.
 */
public final class InferenceClient implements AutoCloseable
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

    /** Requests sent and not yet handled by their loop, across the process. */
    public int inFlight()
    {
        return inFlight.get();
    }

    /**
     * POST a frozen batch. {@code second} is null unless the batch wraps around the ring. Exactly one
     * completion is posted to {@code sink}, also when the returned future is cancelled; the caller's loop must
     * call {@link #onCompletionHandled()} for it.
     *
     * @return the response future, to cancel when the loop's deadline passes first.
     */
    public CompletableFuture<HttpResponse<byte[]>> send(
        final ByteBuffer first,
        final ByteBuffer second,
        final int bodyLength,
        final InferenceCaller caller,
        final long batchId,
        final CompletionSink sink)
    {
        final HttpRequest request = HttpRequest.newBuilder(inferUri)
            .header(CPU_PASSES_HEADER, cpuPasses)
            .header("content-type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.fromPublisher(new RingSlicePublisher(first, second), bodyLength))
            .build();
        inFlight.incrementAndGet();
        final long sentNanos = System.nanoTime();
        final CompletableFuture<HttpResponse<byte[]>> response =
            client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        response.whenComplete((answer, failure) ->
            sink.post(null == failure ? completed(caller, batchId, answer, System.nanoTime() - sentNanos) :
                new InferenceCompletion(caller, batchId, classify(failure), InferenceCompletion.NO_STATUS, null,
                    InferenceCompletion.NO_ELAPSED)));
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

    private static InferenceCompletion completed(
        final InferenceCaller caller, final long batchId, final HttpResponse<byte[]> response, final long elapsedNanos)
    {
        final int status = response.statusCode();
        final ErrorKind failure = status >= 200 && status < 300 ? null : ErrorKind.ofHttpStatus(status);
        return new InferenceCompletion(caller, batchId, failure, status, response.body(), elapsedNanos);
    }

    private static ErrorKind classify(final Throwable failure)
    {
        final Throwable cause = failure instanceof CompletionException && null != failure.getCause() ?
            failure.getCause() : failure;
        return cause instanceof HttpTimeoutException ? ErrorKind.TIMEOUT : ErrorKind.CONNECTION_RESET;
    }
}
