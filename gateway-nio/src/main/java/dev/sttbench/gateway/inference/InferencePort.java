package dev.sttbench.gateway.inference;

import java.nio.ByteBuffer;
import java.util.concurrent.Future;

/** Where a loop's sessions send their batches: the HTTP/2 {@link InferenceClient}, or a fake in unit tests. */
public interface InferencePort
{
    /**
     * A new exchange for this port, posting its outcome to {@code sink}, its request body in slot {@code bodySlot}
     * ({@code body}) of the loop's request-body memory; the loop keeps and reuses it.
     */
    InferenceExchange newExchange(CompletionSink sink, int bodySlot, ByteBuffer body);

    /**
     * POST a frozen batch, its body filled in {@code exchange}'s {@link InferenceExchange#requestBody(int)}, the
     * exchange idle (its last outcome handled). Exactly one outcome is posted, also when the returned future is
     * cancelled, and the caller's loop must call {@link #onCompletionHandled()} for it.
     *
     * @return the response future, to cancel when the loop's deadline passes first.
     */
    Future<?> send(InferenceExchange exchange, InferenceCaller caller);

    /** Requests sent and not yet handled by their loop, across the process. */
    int inFlight();

    void onCompletionHandled();
}
