package dev.sttbench.gateway.inference;

import java.nio.ByteBuffer;
import java.util.concurrent.Future;

/** Where a loop's sessions send their batches: the HTTP/2 {@link InferenceClient}, or a fake in unit tests. */
public interface InferencePort
{
    /**
     * POST a frozen batch, the body being {@code views[0, viewCount)} in order; the caller may reuse the views
     * once this returns. Exactly one completion is posted to {@code sink}, also when the returned future is
     * cancelled, and the caller's loop must call {@link #onCompletionHandled()} for it.
     *
     * @return the response future, to cancel when the loop's deadline passes first.
     */
    Future<?> send(ByteBuffer[] views, int viewCount, int bodyLength, InferenceCaller caller, CompletionSink sink);

    /** Requests sent and not yet handled by their loop, across the process. */
    int inFlight();

    void onCompletionHandled();
}
