package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.inference.InferenceCaller;
import dev.sttbench.gateway.inference.InferenceExchange;
import dev.sttbench.gateway.metrics.LoopMetrics;
import dev.sttbench.gateway.protocol.ErrorEncoder;
import dev.sttbench.gateway.protocol.ErrorKind;
import dev.sttbench.gateway.websocket.FrameEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.Future;

/**
 * The rules of one session's audio, without a socket: seq numbering, the ring, shedding, the flush schedule,
 * the batch in flight and its deadline, and the partial or error frame that resolves every stored or shed frame.
 * What it sends goes to an {@link Output}; batches go to the loop's inference port. Confined to its loop.
 * <p>
 * The batch is one explicit state. {@link BatchState#IN_FLIGHT}: a request is outstanding and its batch not yet
 * resolved. {@link BatchState#ABANDONED}: the batch was resolved by the deadline (or the connection went away)
 * while its request is still outstanding; its completion, when it comes back, is discarded. At most one request
 * is outstanding, so a completion always belongs to the current state and needs no id; no flush is sent until
 * the state is {@link BatchState#IDLE} again.
 */
public final class AudioSession implements InferenceCaller, SessionTimers.Owner
{
    /** Where the session's messages go: the WebSocket connection, or a test. */
    public interface Output
    {
        /** Send {@code scratch[payloadIndex, payloadIndex + length)} as a text message. */
        void sendText(int payloadIndex, int length);

        /** Handling this session failed (a bug): drop the connection. */
        void abort();
    }

    public enum BatchState
    {
        IDLE, IN_FLIGHT, ABANDONED
    }

    private static final int FRAME_BYTES = GatewayConfig.FRAME_BYTES;

    private final LoopResources loop;
    private final int slot;
    private final Output output;
    /** Made when the first frame arrives: a session that never streams holds no ring. */
    private AudioRing ring;

    private long nextSeq = 1;
    private boolean closed;
    private long flushDeadlineNanos;

    private BatchState batch = BatchState.IDLE;
    private Future<?> request;
    private final SessionTimers.Timer deadlineTimer = new SessionTimers.Timer(this);
    private long batchFlushLatenessNanos;

    private boolean storingFrame;
    private boolean shedding;
    private long shedFirstSeq;
    private long shedFrames;
    private long shedFirstArrivalNanos;
    private long shedLastArrivalNanos;

    public AudioSession(final LoopResources loop, final int slot, final Output output)
    {
        this.loop = loop;
        this.slot = slot;
        this.output = output;
    }

    /** The start message arrived at {@code nowNanos}: the first flush comes after a random phase. */
    public void start(final long nowNanos)
    {
        final long phase = loop.flushPhaseJitterNanos > 0 ? loop.random.nextLong(loop.flushPhaseJitterNanos + 1) : 0;
        flushDeadlineNanos = nowNanos + phase;
    }

    public long flushDeadlineNanos()
    {
        return flushDeadlineNanos;
    }

    /** Frames are stored and not yet sent: the session needs its flush. */
    public boolean hasPendingAudio()
    {
        return null != ring && ring.pending() > 0;
    }

    /** Ticks stopped (a quiet session) or ran late: the next flush is the first on its grid after now. */
    public void skipMissedFlushes(final long nowNanos)
    {
        if (flushDeadlineNanos <= nowNanos)
        {
            flushDeadlineNanos += ((nowNanos - flushDeadlineNanos) / loop.flushIntervalNanos + 1) * loop.flushIntervalNanos;
        }
    }

    public BatchState batchState()
    {
        return batch;
    }

    /** A 640-byte binary message begins: true to unmask it into {@link #audio()}, false to discard (shed) it. */
    public boolean beginFrame()
    {
        if (null == ring)
        {
            ring = new AudioRing(loop.slots.audio(), loop.config.sessionBufferFrames());
            ring.reset(nextSeq);
        }
        storingFrame = !shedding && ring.reserveNext();
        return storingFrame;
    }

    /** Whether the frame begun last is being stored (else it is shed). */
    public boolean isStoringFrame()
    {
        return storingFrame;
    }

    public UnsafeBuffer audio()
    {
        return ring.audio();
    }

    public int writeIndex()
    {
        return ring.writeIndex();
    }

    /** The frame begun by {@link #beginFrame()} is complete: number it, and store or shed it. */
    public void endFrame(final long arrivalNanos)
    {
        loop.metrics.increment(LoopMetrics.FRAMES_IN);
        if (storingFrame)
        {
            ring.commit(arrivalNanos);
            loop.metrics.increment(LoopMetrics.BUFFERED_FRAMES);
        }
        else
        {
            shed(arrivalNanos);
        }
        nextSeq++;
    }

    /**
     * The flush deadline passed: schedule the next one on the same grid, and send everything pending as one
     * batch unless one is still outstanding, nothing is pending, or the gateway is draining.
     */
    public void onFlushDue(final long nowNanos)
    {
        final long latenessNanos = nowNanos - flushDeadlineNanos;
        flushDeadlineNanos += loop.flushIntervalNanos;
        skipMissedFlushes(nowNanos);
        if (closed || loop.draining)
        {
            return;
        }
        loop.metrics.flushLateness(latenessNanos);
        if (BatchState.IDLE != batch)
        {
            loop.metrics.increment(LoopMetrics.FLUSHES_SKIPPED);
            return;
        }
        send(nowNanos, latenessNanos);
    }

    /** The gateway drains: send what is pending now, or once the batch in flight is resolved. */
    public void flushNow(final long nowNanos)
    {
        if (!closed && BatchState.IDLE == batch)
        {
            send(nowNanos, 0);
        }
    }

    /**
     * Send everything pending as one batch, unless nothing is pending or no request body is free. Its body is
     * committed first, so that while that overdraws the audio memory budget the chunks the batch leaves give their
     * pages back at once.
     */
    private void send(final long nowNanos, final long latenessNanos)
    {
        if (shedding && ring.isEmpty())
        {
            // Frames were shed while nothing was stored (the memory budget refused a chunk): no answer will come to
            // report them, so the flush does.
            reportShedFrames();
        }
        if (null == ring || 0 == ring.pending())
        {
            return;
        }
        final int bodyBytes = ring.pending() * FRAME_BYTES;
        final InferenceExchange exchange = loop.lendExchange(bodyBytes);
        if (null == exchange)
        {
            loop.metrics.increment(LoopMetrics.FLUSHES_DEFERRED);
            return;
        }
        ring.freezeBatch(exchange.requestBody(bodyBytes));
        batch = BatchState.IN_FLIGHT;
        batchFlushLatenessNanos = latenessNanos;
        loop.inFlightBatches++;
        loop.metrics.increment(LoopMetrics.FLUSHES);
        loop.timers.schedule(deadlineTimer, nowNanos + loop.inferenceTimeoutNanos);
        request = loop.inference.send(exchange, this);
    }

    /** The inference deadline: resolve the batch with a timeout now; the cancelled request comes back later. */
    public void onTimer(final SessionTimers.Timer timer, final long nowNanos)
    {
        if (BatchState.IN_FLIGHT == batch)
        {
            resolveBatch(ErrorKind.TIMEOUT, InferenceExchange.NO_STATUS, InferenceExchange.NO_ELAPSED);
            batch = BatchState.ABANDONED;
            request.cancel(true);
        }
        else if (BatchState.ABANDONED == batch && closed)
        {
            // The connection went away with its batch out: cancelling brings the outcome back, and the slot with it,
            // even from a service that never answers.
            request.cancel(true);
        }
    }

    /** Handling this session's completion failed (a bug): drop its connection, sparing the loop's others. */
    public void abort()
    {
        output.abort();
    }

    public void onInferenceCompletion(final InferenceExchange exchange)
    {
        loop.inference.onCompletionHandled();
        request = null;
        final BatchState was = batch;
        batch = BatchState.IDLE;
        if (BatchState.ABANDONED == was)
        {
            loop.metrics.increment(LoopMetrics.LATE_COMPLETIONS);
        }
        else
        {
            final ErrorKind failure = null != exchange.failure() ? exchange.failure() :
                loop.parser.parse(exchange.responseBody(), exchange.responseLength(), loop.result) ? null :
                ErrorKind.PARSE_ERROR;
            resolveBatch(failure, exchange.status(), exchange.elapsedNanos());
        }
        loop.returnExchange(exchange);
        if (loop.draining)
        {
            flushNow(loop.clock.nanoTime());
        }
    }

    /**
     * The connection is gone: nothing more is sent, and its slot and audio chunks go back now. A batch in flight
     * lives on in its exchange's request body until its outcome comes back: its answer, or its cancellation at
     * the inference deadline.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (BatchState.IN_FLIGHT == batch)
        {
            // The deadline stays: it cancels the request if no answer comes by then.
            loop.inFlightBatches--;
            batch = BatchState.ABANDONED;
        }
        if (null != ring)
        {
            loop.metrics.add(LoopMetrics.BUFFERED_FRAMES, -ring.size());
            ring.releaseAll();
        }
        loop.slots.release(slot);
    }

    /**
     * The batch in flight is answered (failure null: {@link LoopResources#result} holds the parsed response)
     * or has failed: tell the client, free its frames, and report shed frames once the ring is empty.
     */
    private void resolveBatch(final ErrorKind failure, final int status, final long elapsedNanos)
    {
        loop.inFlightBatches--;
        loop.timers.cancel(deadlineTimer);

        final int frames = ring.batchSize();
        if (null == failure)
        {
            sendPartial(frames);
        }
        else
        {
            sendBatchError(failure, frames, status, elapsedNanos);
        }
        ring.releaseBatch();
        loop.metrics.add(LoopMetrics.BUFFERED_FRAMES, -frames);
        if (shedding && ring.isEmpty())
        {
            reportShedFrames();
        }
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
        loop.metrics.increment(LoopMetrics.FRAMES_SHED);
    }

    private void sendPartial(final int frames)
    {
        final int payloadIndex = FrameEncoder.PAYLOAD_OFFSET;
        final int length = loop.partialEncoder.encode(loop.scratch, payloadIndex, ring.batchOldestSeq(), frames,
            loop.result, batchFlushLatenessNanos, loop.inference.inFlight());
        output.sendText(payloadIndex, length);
        loop.metrics.increment(LoopMetrics.PARTIALS);
    }

    private void sendBatchError(final ErrorKind kind, final int frames, final int status, final long elapsedNanos)
    {
        final long now = loop.clock.nanoTime();
        final int payloadIndex = FrameEncoder.PAYLOAD_OFFSET;
        final int length = loop.errorEncoder.encode(loop.scratch, payloadIndex, kind, ring.batchOldestSeq(), frames,
            FRAME_BYTES, now - ring.batchOldestArrivalNanos(), now - ring.batchNewestArrivalNanos(),
            batchFlushLatenessNanos, elapsedNanos, loop.inference.inFlight(), ring.size(), status);
        output.sendText(payloadIndex, length);
        loop.metrics.errorFrame(kind);
    }

    /** After the frames stored before the shed range are resolved: one error frame names the range. */
    private void reportShedFrames()
    {
        final long now = loop.clock.nanoTime();
        final int payloadIndex = FrameEncoder.PAYLOAD_OFFSET;
        final int length = loop.errorEncoder.encode(loop.scratch, payloadIndex, ErrorKind.BUFFER_OVERFLOW,
            shedFirstSeq, shedFrames, FRAME_BYTES, now - shedFirstArrivalNanos, now - shedLastArrivalNanos, 0,
            ErrorEncoder.ABSENT, loop.inference.inFlight(), 0, ErrorEncoder.ABSENT);
        shedding = false;
        ring.resumeAt(nextSeq);
        output.sendText(payloadIndex, length);
        loop.metrics.errorFrame(ErrorKind.BUFFER_OVERFLOW);
    }
}
