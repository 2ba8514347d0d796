package dev.sttbench.gateway.inference;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * One HTTP/2 connection to the inference service: a {@code java.net.http} client of its own (a client keeps one h2
 * connection per origin, so a second client is a second connection) and the streams the gateway has on it.
 * <p>
 * At most {@link #limit()} requests are in flight on it: INFERENCE_MAX_STREAMS, or less once java.net.http has
 * refused a request for the peer's SETTINGS_MAX_CONCURRENT_STREAMS ("too many concurrent streams", at once, before
 * anything is sent): the limit drops to the streams then in flight, and grows back by one after each {@code limit}
 * answers, so a peer that raises its limit is followed.
 * A new connection takes no batch until a GET /health on it has been answered: while java.net.http has no h2
 * connection it upgrades each request to h2c on a TCP connection of its own, so the first request must be alone,
 * and a bodiless one is answered at once. A connection whose warm-up failed, or that failed a request (reset,
 * refused, closed), takes one batch at a time until one is answered: that batch is the probe of a service that may
 * be down, and fails fast if it is.
 * <p>
 * Counters are guarded by the owning {@link InferenceClient}'s lock.
 */
final class UpstreamConnection
{
    /** How many requests the connection takes now: none while warming up, one while probing, else its limit. */
    enum State
    {
        WARMING, PROBING, ANSWERING
    }

    final HttpClient client;
    private final int maxStreams;
    private int limit;
    private int inFlight;
    private int answeredAtLimit;
    private State state;

    UpstreamConnection(final int maxStreams, final Duration connectTimeout, final State state)
    {
        this.maxStreams = maxStreams;
        this.limit = maxStreams;
        this.state = state;
        client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_2)
            // Run the client's stages where they are triggered (the loop on send, the client's selector thread
            // on response) rather than handing each to an executor thread: measured to halve the client's CPU
            // per request. Nothing here blocks: the completion callback only enqueues.
            .executor(Runnable::run)
            .connectTimeout(connectTimeout)
            .build();
    }

    /** Whether one more request may go out on this connection now. */
    boolean hasCapacity()
    {
        return inFlight < switch (state)
        {
            case WARMING -> 0;
            case PROBING -> 1;
            case ANSWERING -> limit;
        };
    }

    /** Whether it answers and every stream it allows is taken: time for another connection. */
    boolean isFull()
    {
        return State.ANSWERING == state && inFlight >= limit;
    }

    void acquire()
    {
        inFlight++;
    }

    /**
     * A request on it ended.
     *
     * @param answered a response came.
     * @param broken   the connection failed (not a cancellation): probe it with one request until it answers.
     */
    void release(final boolean answered, final boolean broken)
    {
        inFlight--;
        if (answered)
        {
            state = State.ANSWERING;
            if (limit < maxStreams && ++answeredAtLimit >= limit)
            {
                limit++;
                answeredAtLimit = 0;
            }
        }
        else if (broken)
        {
            state = State.PROBING;
        }
    }

    /** A request was refused for the stream limit (its stream already released): the limit is what is in flight. */
    void refused()
    {
        inFlight--;
        limit = Math.max(1, inFlight);
        answeredAtLimit = 0;
    }

    /** The warm-up request (GET /health) ended: answered, or not (then batches probe the service one by one). */
    void warmedUp(final boolean answered)
    {
        state = answered ? State.ANSWERING : State.PROBING;
    }

    State state()
    {
        return state;
    }

    int limit()
    {
        return limit;
    }

    int inFlight()
    {
        return inFlight;
    }
}
