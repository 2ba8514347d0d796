package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.inference.InferenceCaller;
import dev.sttbench.gateway.inference.InferenceCompletion;
import dev.sttbench.gateway.metrics.LoopMetrics;
import dev.sttbench.gateway.protocol.ErrorEncoder;
import dev.sttbench.gateway.protocol.ErrorKind;
import dev.sttbench.gateway.protocol.StartMessage;
import dev.sttbench.gateway.websocket.CloseCodes;
import dev.sttbench.gateway.websocket.FrameDecoder;
import dev.sttbench.gateway.websocket.FrameEncoder;
import dev.sttbench.gateway.websocket.FrameHandler;
import dev.sttbench.gateway.websocket.Opcodes;
import dev.sttbench.gateway.websocket.Utf8;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;

/**
 * One upgraded WebSocket connection, owned by one loop for its whole life: §1 message rules, seq numbering,
 * its ring, the flush timer, the in-flight batch and the writes back to the client.
 * <p>
 * The in-flight flag is a plain field: it is set when a batch leaves and cleared when the batch is resolved, by
 * its completion or by the loop's INFERENCE_TIMEOUT_MS deadline, whichever comes first; both happen on the owning
 * loop (completions come back through the loop's MPSC queue), so it needs no atomic. A batch id tells the
 * current completion from one that arrives after its batch was resolved by the deadline.
 */
public final class Session implements FrameHandler, InferenceCaller, SessionTimers.Owner
{
    private static final int AWAITING_START = 0;
    private static final int STREAMING = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    private static final int FRAME_BYTES = GatewayConfig.FRAME_BYTES;
    /** The start message is small; anything longer is refused with 1009. */
    private static final int MAX_START_MESSAGE = 4096;
    /** How long to wait for the peer to close after our close frame. */
    private static final long CLOSE_LINGER_NANOS = 1_000_000_000L;

    private final LoopResources loop;
    private final SocketChannel channel;
    private final SelectionKey key;
    private final int slot;
    private final AudioRing ring;
    private final OutboundBuffer outbound;
    private final FrameDecoder decoder = new FrameDecoder();

    private int state = AWAITING_START;
    private UnsafeBuffer startMessage;
    private MutableDirectBuffer sink;
    private int sinkIndex;
    private boolean storingFrame;

    private long nextSeq = 1;
    /** One timer per session: the next read tick, which is the flush when it falls on the flush deadline. */
    private long tickTimerId = SessionTimers.NO_TIMER;
    private long tickDeadlineNanos;
    private long flushDeadlineNanos;
    private int interestOps = SelectionKey.OP_READ;
    private long closeTimerId = SessionTimers.NO_TIMER;

    private boolean inFlight;
    private long batchId;
    private CompletableFuture<?> request;
    private long inferenceDeadlineTimerId = SessionTimers.NO_TIMER;
    private long batchFlushLatenessNanos;

    private boolean shedding;
    private long shedFirstSeq;
    private long shedFrames;
    private long shedFirstArrivalNanos;
    private long shedLastArrivalNanos;

    private long arrivalNanos;

    public Session(final LoopResources loop, final SocketChannel channel, final SelectionKey key, final int slot)
    {
        this.loop = loop;
        this.channel = channel;
        this.key = key;
        this.slot = slot;
        ring = loop.slots.ring(slot);
        outbound = loop.slots.outbound(slot);
        ring.reset(nextSeq);
        outbound.clear();
        loop.metrics.increment(LoopMetrics.SESSIONS);
    }

    public boolean isClosed()
    {
        return CLOSED == state;
    }

    /** Bytes read from the socket at {@code arrivalNanos}. */
    public void onBytes(final DirectBuffer buffer, final int offset, final int length, final long arrivalNanos)
    {
        if (state >= CLOSING)
        {
            return;
        }
        this.arrivalNanos = arrivalNanos;
        final int result = decoder.decode(buffer, offset, length, this);
        if (result > 0)
        {
            loop.metrics.increment(LoopMetrics.PROTOCOL_CLOSES);
            close(result);
        }
    }

    /**
     * Read everything the socket holds and decode it: a read that fills the buffer is followed by another, a
     * short read means the socket is drained (no extra read just to see 0).
     */
    public void readAvailable(final long nowNanos)
    {
        final ByteBuffer buffer = loop.readBuffer;
        while (CLOSED != state)
        {
            buffer.clear();
            final int read;
            try
            {
                read = channel.read(buffer);
            }
            catch (final IOException ex)
            {
                dispose();
                return;
            }
            if (read < 0)
            {
                dispose();
                return;
            }
            if (read > 0)
            {
                onBytes(loop.readView, 0, read, nowNanos);
            }
            if (read < buffer.capacity())
            {
                return;
            }
        }
    }

    /** The peer closed its side. */
    public void onEndOfStream()
    {
        dispose();
    }

    public void onWritable()
    {
        try
        {
            if (outbound.writeTo(channel))
            {
                updateInterest();
                if (CLOSING == state)
                {
                    channel.shutdownOutput();
                }
            }
        }
        catch (final IOException ex)
        {
            dispose();
        }
    }

    /** Graceful shutdown: close with 1001. */
    public void goAway()
    {
        close(CloseCodes.GOING_AWAY);
    }

    public int onDataFrame(final int messageOpcode, final long frameLength, final int messageReceived)
    {
        if (AWAITING_START == state)
        {
            if (Opcodes.TEXT != messageOpcode)
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            if (messageReceived + frameLength > MAX_START_MESSAGE)
            {
                return CloseCodes.MESSAGE_TOO_BIG;
            }
            if (null == startMessage)
            {
                startMessage = new UnsafeBuffer(new byte[MAX_START_MESSAGE]);
            }
            sink = startMessage;
            sinkIndex = messageReceived;
            return FrameDecoder.CONTINUE;
        }

        if (Opcodes.BINARY != messageOpcode)
        {
            return CloseCodes.PROTOCOL_ERROR;
        }
        if (messageReceived + frameLength > FRAME_BYTES)
        {
            return CloseCodes.UNSUPPORTED_DATA;
        }
        if (0 == messageReceived)
        {
            storingFrame = !shedding && ring.reserveNext();
        }
        sink = storingFrame ? ring.audio() : null;
        sinkIndex = ring.writeIndex() + messageReceived;
        return FrameDecoder.CONTINUE;
    }

    public MutableDirectBuffer dataSink()
    {
        return sink;
    }

    public int dataSinkIndex()
    {
        return sinkIndex;
    }

    public int onMessageEnd(final int messageOpcode, final int messageLength)
    {
        if (AWAITING_START == state)
        {
            if (!StartMessage.isValid(startMessage.byteArray(), messageLength))
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            startMessage = null;
            state = STREAMING;
            final long phase = loop.flushPhaseJitterNanos > 0 ? loop.random.nextLong(loop.flushPhaseJitterNanos + 1) : 0;
            flushDeadlineNanos = arrivalNanos + phase;
            tickDeadlineNanos = arrivalNanos;
            scheduleTick(arrivalNanos);
            // From now on the socket is read on this session's ticks, not when it becomes readable.
            updateInterest();
            return FrameDecoder.CONTINUE;
        }

        if (FRAME_BYTES != messageLength)
        {
            return CloseCodes.UNSUPPORTED_DATA;
        }
        loop.metrics.increment(LoopMetrics.FRAMES_IN);
        if (storingFrame)
        {
            ring.commit(arrivalNanos);
            loop.metrics.increment(LoopMetrics.BUFFERED_FRAMES);
        }
        else
        {
            shed();
        }
        nextSeq++;
        return FrameDecoder.CONTINUE;
    }

    public int onControlFrame(final int opcode, final DirectBuffer payload, final int length)
    {
        switch (opcode)
        {
            case Opcodes.PING ->
            {
                final UnsafeBuffer scratch = loop.scratch;
                send(0, FrameEncoder.writeControl(scratch, 0, Opcodes.PONG, payload, length), false);
                // A client that does not read its pongs may have been closed by that send.
                return state < CLOSING ? FrameDecoder.CONTINUE : FrameDecoder.STOP;
            }
            case Opcodes.CLOSE ->
            {
                if (1 == length)
                {
                    return CloseCodes.PROTOCOL_ERROR;
                }
                final int code = length >= 2 ? payload.getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF : CloseCodes.NORMAL;
                if (!CloseCodes.isValidOnWire(code))
                {
                    return CloseCodes.PROTOCOL_ERROR;
                }
                if (length > 2 && !Utf8.isValid(payload, 2, length - 2))
                {
                    return CloseCodes.INVALID_PAYLOAD;
                }
                close(code);
                return FrameDecoder.STOP;
            }
            default ->
            {
                return FrameDecoder.CONTINUE;
            }
        }
    }

    /** A timer of this session expired on its loop. */
    public void onTimer(final long timerId, final long nowNanos)
    {
        if (timerId == tickTimerId)
        {
            tickTimerId = SessionTimers.NO_TIMER;
            loop.metrics.timerLateness(nowNanos - tickDeadlineNanos);
            if (tickDeadlineNanos == flushDeadlineNanos)
            {
                onFlushDue(nowNanos);
            }
            else
            {
                readAvailable(nowNanos);
            }
            if (STREAMING == state)
            {
                scheduleTick(nowNanos);
            }
        }
        else if (timerId == inferenceDeadlineTimerId)
        {
            inferenceDeadlineTimerId = SessionTimers.NO_TIMER;
            if (inFlight)
            {
                // The deadline won: resolve the batch now; the cancelled request's completion comes back stale.
                resolveBatch(ErrorKind.TIMEOUT, InferenceCompletion.NO_STATUS, InferenceCompletion.NO_ELAPSED);
                request.cancel(true);
            }
        }
        else if (timerId == closeTimerId)
        {
            closeTimerId = SessionTimers.NO_TIMER;
            dispose();
        }
    }

    public void onInferenceCompletion(final InferenceCompletion completion)
    {
        loop.inference.onCompletionHandled();
        request = null;
        if (CLOSED == state)
        {
            // The slot was kept while the HTTP client could still read the batch from it.
            loop.slots.release(slot);
            return;
        }
        if (!inFlight || completion.batchId() != batchId)
        {
            loop.metrics.increment(LoopMetrics.LATE_COMPLETIONS);
            return;
        }
        final ErrorKind failure = null != completion.failure() ? completion.failure() :
            loop.parser.parse(completion.body(), completion.body().length, loop.result) ? null :
            ErrorKind.PARSE_ERROR;
        resolveBatch(failure, completion.status(), completion.elapsedNanos());
    }

    /**
     * The batch in flight is answered (failure null: {@link LoopResources#result} holds the parsed response)
     * or has failed: tell the client, free its ring slots, and report shed frames once the ring is empty.
     */
    private void resolveBatch(final ErrorKind failure, final int status, final long elapsedNanos)
    {
        inFlight = false;
        loop.inFlightBatches--;
        loop.timers.cancel(inferenceDeadlineTimerId);
        inferenceDeadlineTimerId = SessionTimers.NO_TIMER;

        final int frames = ring.batchSize();
        if (STREAMING == state)
        {
            if (null == failure)
            {
                sendPartial(frames);
            }
            else
            {
                sendBatchError(failure, frames, status, elapsedNanos);
            }
        }
        ring.releaseBatch();
        loop.metrics.add(LoopMetrics.BUFFERED_FRAMES, -frames);
        if (shedding && ring.isEmpty())
        {
            reportShedFrames();
        }
    }

    /** The flush deadline: read what the socket holds, then send everything pending as one batch. */
    private void onFlushDue(final long nowNanos)
    {
        final long latenessNanos = nowNanos - flushDeadlineNanos;
        long next = flushDeadlineNanos + loop.flushIntervalNanos;
        while (next <= nowNanos)
        {
            next += loop.flushIntervalNanos;
        }
        flushDeadlineNanos = next;
        if (loop.readPeriodNanos > 0)
        {
            readAvailable(nowNanos);
        }
        if (STREAMING != state || loop.draining)
        {
            return;
        }
        loop.metrics.flushLateness(latenessNanos);

        // One request per session: also wait for a timed-out request's cancellation to come back.
        if (inFlight || null != request)
        {
            loop.metrics.increment(LoopMetrics.FLUSHES_SKIPPED);
            return;
        }
        if (0 == ring.pending())
        {
            return;
        }
        final int frames = ring.freezeBatch();
        final ByteBuffer[] views = loop.batchViews;
        final int viewCount = ring.batchViews(views);
        inFlight = true;
        batchFlushLatenessNanos = latenessNanos;
        loop.inFlightBatches++;
        loop.metrics.increment(LoopMetrics.FLUSHES);
        inferenceDeadlineTimerId = loop.timers.schedule(this, nowNanos + loop.inferenceTimeoutNanos);
        request = loop.inference.send(views, viewCount, frames * FRAME_BYTES, this, ++batchId, loop.completionSink);
    }

    /**
     * Schedule the next tick: a read {@code readPeriodNanos} after the last one, or the flush when that comes
     * first. Ticks are spaced from their schedule, not from when they fired, so they stay aligned with the flush.
     */
    private void scheduleTick(final long nowNanos)
    {
        long deadline = flushDeadlineNanos;
        final long period = loop.readPeriodNanos;
        if (period > 0)
        {
            long read = tickDeadlineNanos + period;
            if (read <= nowNanos)
            {
                read = nowNanos + period;
            }
            if (read < flushDeadlineNanos - period / 2)
            {
                deadline = read;
            }
        }
        tickDeadlineNanos = deadline;
        tickTimerId = loop.timers.schedule(this, deadline);
    }

    /**
     * Read interest only while the socket must be watched: before the start message, while closing, or when
     * reads are not on ticks. Write interest only while outbound bytes wait.
     */
    private void updateInterest()
    {
        final boolean read = STREAMING != state || 0 == loop.readPeriodNanos;
        final int ops = (read ? SelectionKey.OP_READ : 0) | (outbound.isEmpty() ? 0 : SelectionKey.OP_WRITE);
        if (ops != interestOps)
        {
            interestOps = ops;
            key.interestOps(ops);
        }
    }

    private void shed()
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
        sendText(payloadIndex, length);
        loop.metrics.increment(LoopMetrics.PARTIALS);
    }

    private void sendBatchError(final ErrorKind kind, final int frames, final int status, final long elapsedNanos)
    {
        final long now = System.nanoTime();
        final int payloadIndex = FrameEncoder.PAYLOAD_OFFSET;
        final int length = loop.errorEncoder.encode(loop.scratch, payloadIndex, kind, ring.batchOldestSeq(), frames,
            FRAME_BYTES, now - ring.batchOldestArrivalNanos(), now - ring.batchNewestArrivalNanos(),
            batchFlushLatenessNanos, elapsedNanos, loop.inference.inFlight(), ring.size(), status);
        sendText(payloadIndex, length);
        loop.metrics.errorFrame(kind);
    }

    /** After the frames stored before the shed range are resolved: one error frame names the range. */
    private void reportShedFrames()
    {
        final long now = System.nanoTime();
        final int payloadIndex = FrameEncoder.PAYLOAD_OFFSET;
        final int length = loop.errorEncoder.encode(loop.scratch, payloadIndex, ErrorKind.BUFFER_OVERFLOW,
            shedFirstSeq, shedFrames, FRAME_BYTES, now - shedFirstArrivalNanos, now - shedLastArrivalNanos, 0,
            ErrorEncoder.ABSENT, loop.inference.inFlight(), 0, ErrorEncoder.ABSENT);
        shedding = false;
        ring.resumeAt(nextSeq);
        if (STREAMING == state)
        {
            sendText(payloadIndex, length);
            loop.metrics.errorFrame(ErrorKind.BUFFER_OVERFLOW);
        }
    }

    private void sendText(final int payloadIndex, final int payloadLength)
    {
        final int start = FrameEncoder.writeHeaderBefore(loop.scratch, payloadIndex, Opcodes.TEXT, payloadLength);
        send(start, payloadIndex + payloadLength - start, false);
    }

    /**
     * Write {@code scratch[index, index + length)} with one call; what the socket does not take waits in the
     * bounded outbound buffer, and only then is write interest set. A client that stops reading fills that
     * buffer: it is closed with 1008 (the buffer keeps room for that close frame) and counted as a drop.
     */
    private void send(final int index, final int length, final boolean closeFrame)
    {
        if (CLOSED == state || (CLOSING == state && !closeFrame))
        {
            return;
        }
        int written = 0;
        if (outbound.isEmpty())
        {
            final ByteBuffer bytes = loop.scratchBytes;
            bytes.limit(index + length).position(index);
            try
            {
                written = channel.write(bytes);
            }
            catch (final IOException ex)
            {
                dispose();
                return;
            }
            if (written == length)
            {
                return;
            }
        }
        if (outbound.append(loop.scratch, index + written, length - written, closeFrame))
        {
            updateInterest();
        }
        else if (closeFrame)
        {
            dispose();
        }
        else
        {
            loop.metrics.increment(LoopMetrics.OUTBOUND_DROPS);
            close(CloseCodes.POLICY_VIOLATION);
        }
    }

    /** Send a close frame, half-close once it is written, and give the peer a moment to close its side. */
    private void close(final int code)
    {
        if (state >= CLOSING)
        {
            return;
        }
        state = CLOSING;
        loop.timers.cancel(tickTimerId);
        tickTimerId = SessionTimers.NO_TIMER;
        send(0, FrameEncoder.writeClose(loop.scratch, 0, code), true);
        if (CLOSED == state)
        {
            return;
        }
        updateInterest();
        if (outbound.isEmpty())
        {
            try
            {
                channel.shutdownOutput();
            }
            catch (final IOException ex)
            {
                dispose();
                return;
            }
        }
        closeTimerId = loop.timers.schedule(this, System.nanoTime() + CLOSE_LINGER_NANOS);
    }

    private void dispose()
    {
        if (CLOSED == state)
        {
            return;
        }
        state = CLOSED;
        loop.timers.cancel(tickTimerId);
        loop.timers.cancel(closeTimerId);
        key.cancel();
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Closing a socket that already failed: nothing left to release.
        }
        loop.timers.cancel(inferenceDeadlineTimerId);
        if (inFlight)
        {
            inFlight = false;
            loop.inFlightBatches--;
        }
        loop.metrics.add(LoopMetrics.BUFFERED_FRAMES, -ring.size());
        loop.metrics.add(LoopMetrics.SESSIONS, -1);
        if (null == request)
        {
            loop.slots.release(slot);
        }
    }
}
