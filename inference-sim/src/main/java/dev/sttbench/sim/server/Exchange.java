package dev.sttbench.sim.server;

import dev.sttbench.sim.model.AdmissionQueue;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.TimeUnit;

/**
 * One request and its eventual response, independent of the transport. An /infer exchange carries its
 * encoded response through admission and the simulated model delay, then {@link #run()}s on its own event
 * loop to write it.
 */
public abstract class Exchange implements AdmissionQueue.Job, Runnable
{
    private InferenceEndpoint endpoint;
    private ByteBuf pendingBody;
    private long arrivalNanos;
    private long delayNanos;

    /** @return the event loop that owns the connection; responses are written only there. */
    protected abstract EventExecutor executor();

    /**
     * Write the response. Called on {@link #executor()}.
     *
     * @param status      response status.
     * @param contentType content type of {@code body}.
     * @param body        response body; ownership passes to the callee.
     * @param allow       value of the Allow header (405 only), or null.
     */
    protected abstract void write(HttpResponseStatus status, AsciiString contentType, ByteBuf body, AsciiString allow);

    final void awaitModel(
        final InferenceEndpoint endpoint, final ByteBuf body, final long arrivalNanos, final long delayNanos)
    {
        this.endpoint = endpoint;
        this.pendingBody = body;
        this.arrivalNanos = arrivalNanos;
        this.delayNanos = delayNanos;
    }

    final ByteBuf takePendingBody()
    {
        final ByteBuf body = pendingBody;
        pendingBody = null;
        return body;
    }

    final long arrivalNanos()
    {
        return arrivalNanos;
    }

    /**
     * Holds a model slot now: wait out the simulated model time on the owning loop, without a thread. Never
     * answers inline: answering frees a slot, which may admit the next job, so inline answers could recurse.
     */
    public final void admitted()
    {
        final EventExecutor executor = executor();
        if (delayNanos > 0)
        {
            executor.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
        }
        else
        {
            executor.execute(this);
        }
    }

    /** The model time is over: answer and free the slot. */
    public final void run()
    {
        endpoint.completeInference(this);
    }
}
