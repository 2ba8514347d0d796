package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.metrics.LoopMetrics;
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

/**
 * One upgraded WebSocket connection, owned by one loop for its whole life: the socket and when it is read, the
 * frame decoder, PROTOCOL §1's message rules (start message, 640-byte binary frames, text after start),
 * control frames, the close handshake and the bounded outbound buffer. The session's audio rules live in its
 * {@link AudioSession}, which sends through {@link #sendText(int, int)}.
 * <p>
 * Once streaming, the socket has no read interest: it is read on this connection's tick timer every
 * READ_INTERVAL_MS, and right before each flush, so a read takes many frames at once while the kernel holds
 * them meanwhile. Before the start message and while closing it is read as soon as it is readable. A streaming
 * session whose tick finds nothing to read and no audio waiting to be flushed goes quiet: no timer, read
 * interest back on, so an idle connection costs no CPU until its client sends again, and then resumes ticking.
 */
public final class WebSocketConnection implements FrameHandler, AudioSession.Output, SessionTimers.Owner
{
    private static final int AWAITING_START = 0;
    private static final int STREAMING = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    private static final int FRAME_BYTES = GatewayConfig.FRAME_BYTES;
    /** The start message is small; anything longer is refused with 1009. */
    private static final int MAX_START_MESSAGE = 4096;
    /** Idle deadlines fall on this grid: 2^30 ns, one turn of the timer wheel. */
    private static final long IDLE_GRID_NANOS = 1L << 30;
    /** How long to wait for the peer to close after our close frame. */
    private static final long CLOSE_LINGER_NANOS = 1_000_000_000L;

    private final LoopResources loop;
    private final SocketChannel channel;
    private final SelectionKey key;
    private final int slot;
    private final AudioSession audio;
    private final FrameDecoder decoder;
    /** Made the first time a write falls short. */
    private OutboundBuffer outbound;

    private int state = AWAITING_START;
    private boolean quiet;
    private int interestOps = SelectionKey.OP_READ;
    /** Only while the start message is being received. */
    private UnsafeBuffer startMessage;
    private MutableDirectBuffer sink;
    private int sinkIndex;
    private long arrivalNanos;
    /** When bytes last came from the client: the idle timeout counts from here. */
    private long lastReadNanos;
    /** When the outbound buffer last went from empty to holding bytes the client has not taken. */
    private long outboundSinceNanos;
    /** The gateway drains: the socket was read one last time and is not read again. */
    private boolean draining;

    /**
     * Awaiting the start message, its deadline (START_TIMEOUT_MS); streaming, the next read tick, which is the
     * flush when it falls on the flush deadline (it keeps its last deadline); quiet, the idle deadline; closing,
     * the end of the wait for the peer's close.
     */
    private final SessionTimers.Timer timer = new SessionTimers.Timer(this);

    public WebSocketConnection(final LoopResources loop, final SocketChannel channel, final SelectionKey key, final int slot)
    {
        this.loop = loop;
        this.channel = channel;
        this.key = key;
        this.slot = slot;
        decoder = new FrameDecoder(loop.controlScratch);
        audio = new AudioSession(loop, slot, this);
        loop.metrics.increment(LoopMetrics.SESSIONS);
        lastReadNanos = loop.clock.nanoTime();
        loop.timers.schedule(timer, lastReadNanos + loop.startTimeoutNanos);
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
    /** The socket is readable: read it; a quiet session that hears from its client resumes its ticks. */
    public void onReadable(final long nowNanos)
    {
        final long read = readAvailable(nowNanos);
        if (quiet && read > 0 && STREAMING == state)
        {
            leaveQuiet();
            audio.skipMissedFlushes(nowNanos);
            scheduleTick(nowNanos, nowNanos);
            updateInterest();
        }
    }

    /**
     * Read everything the socket holds and decode it: a read that fills the buffer is followed by another, a
     * short read means the socket is drained (no extra read just to see 0).
     *
     * @return bytes read.
     */
    private long readAvailable(final long nowNanos)
    {
        final ByteBuffer buffer = loop.readBuffer;
        long total = 0;
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
                break;
            }
            if (read < 0)
            {
                dispose();
                break;
            }
            if (read > 0)
            {
                total += read;
                lastReadNanos = nowNanos;
                onBytes(loop.readView, 0, read, nowNanos);
            }
            if (read < buffer.capacity())
            {
                break;
            }
        }
        return total;
    }

    public void abort()
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

    /**
     * The gateway drains: read what the client sent up to now, flush it at once (the answer comes back before
     * {@link #goAway()}), and read nothing more, so every frame accepted is answered and none is left unnamed.
     */
    public void drain(final long nowNanos)
    {
        if (STREAMING != state)
        {
            return;
        }
        readAvailable(nowNanos);
        if (STREAMING != state)
        {
            return;
        }
        draining = true;
        leaveQuiet();
        loop.timers.cancel(timer);
        updateInterest();
        audio.flushNow(nowNanos);
    }

    /** Drained, and nothing of this session's audio is left to answer. */
    public boolean isDrained()
    {
        return STREAMING != state || !(audio.hasPendingAudio() || AudioSession.BatchState.IDLE != audio.batchState());
    }

    public int onDataFrame(final int messageOpcode, final long frameLength, final int messageReceived)
    {
        // Lengths are checked one at a time, so that no sum of declared lengths can overflow.
        if (AWAITING_START == state)
        {
            if (Opcodes.TEXT != messageOpcode)
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            if (frameLength > MAX_START_MESSAGE - messageReceived)
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
        if (frameLength > FRAME_BYTES - messageReceived)
        {
            return CloseCodes.UNSUPPORTED_DATA;
        }
        if (0 == messageReceived)
        {
            audio.beginFrame();
        }
        // A shed frame is decoded into nothing; a stored one, fragment by fragment, into its ring slot.
        sink = audio.isStoringFrame() ? audio.audio() : null;
        sinkIndex = null == sink ? 0 : audio.writeIndex() + messageReceived;
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
            if (!Utf8.isValid(startMessage, 0, messageLength))
            {
                // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection with 1007.
                return CloseCodes.INVALID_PAYLOAD;
            }
            if (!StartMessage.isValid(startMessage.byteArray(), messageLength))
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            startMessage = null;
            sink = null;
            state = STREAMING;
            audio.start(arrivalNanos);
            scheduleTick(arrivalNanos, arrivalNanos);
            // From now on the socket is read on this connection's ticks, not when it becomes readable.
            updateInterest();
            return FrameDecoder.CONTINUE;
        }

        if (FRAME_BYTES != messageLength)
        {
            return CloseCodes.UNSUPPORTED_DATA;
        }
        audio.endFrame(arrivalNanos);
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

    /** The start deadline, a tick, the idle deadline or the wait for the peer's close expired on this loop. */
    public void onTimer(final SessionTimers.Timer timer, final long nowNanos)
    {
        if (CLOSING == state)
        {
            dispose();
            return;
        }
        if (AWAITING_START == state)
        {
            loop.metrics.increment(LoopMetrics.START_TIMEOUTS);
            close(CloseCodes.POLICY_VIOLATION);
            return;
        }
        if (quiet)
        {
            loop.metrics.increment(LoopMetrics.IDLE_TIMEOUTS);
            close(CloseCodes.GOING_AWAY);
            return;
        }
        if (hasOutbound() && nowNanos - outboundSinceNanos >= loop.sendTimeoutNanos)
        {
            loop.metrics.increment(LoopMetrics.SEND_TIMEOUTS);
            close(CloseCodes.POLICY_VIOLATION);
            return;
        }
        final long tickNanos = timer.deadlineNanos();
        loop.metrics.timerLateness(nowNanos - tickNanos);
        final long read = loop.readPeriodNanos > 0 ? readAvailable(nowNanos) : 0;
        if (STREAMING != state)
        {
            return;
        }
        if (tickNanos == audio.flushDeadlineNanos())
        {
            audio.onFlushDue(nowNanos);
        }
        if (0 == read && !audio.hasPendingAudio() && !hasOutbound())
        {
            // Nothing came since the last tick and nothing waits for a flush: wait for the client instead.
            quiet = true;
            loop.metrics.add(LoopMetrics.QUIET_SESSIONS, 1);
            updateInterest();
            if (loop.idleTimeoutNanos > 0)
            {
                // Rounded up to a grid of one wheel turn: quiet sessions' deadlines share one spoke, so the loop
                // wakes about once a second for all of them. The timeout is kept or exceeded by up to 1.07 s.
                final long deadline = lastReadNanos + loop.idleTimeoutNanos;
                loop.timers.schedule(timer, (deadline + IDLE_GRID_NANOS - 1) & -IDLE_GRID_NANOS);
            }
            return;
        }
        scheduleTick(tickNanos, nowNanos);
    }

    /**
     * Schedule the next tick: a read {@code readPeriodNanos} after the last one, due at {@code lastTickNanos}, or
     * the flush when that comes first. Ticks are spaced from their schedule, not from when they fired, so they
     * stay aligned with the flush.
     */
    private void scheduleTick(final long lastTickNanos, final long nowNanos)
    {
        final long flushDeadline = audio.flushDeadlineNanos();
        long deadline = flushDeadline;
        final long period = loop.readPeriodNanos;
        if (period > 0)
        {
            long read = lastTickNanos + period;
            if (read <= nowNanos)
            {
                read = nowNanos + period;
            }
            if (read < flushDeadline - period / 2)
            {
                deadline = read;
            }
        }
        loop.timers.schedule(timer, deadline);
    }

    /**
     * Read interest only while the socket must be watched: before the start message, while quiet or closing, or
     * when reads are not on ticks. Write interest only while outbound bytes wait.
     */
    private void updateInterest()
    {
        final boolean read = !draining && (STREAMING != state || quiet || 0 == loop.readPeriodNanos);
        final int ops = (read ? SelectionKey.OP_READ : 0) | (hasOutbound() ? SelectionKey.OP_WRITE : 0);
        if (ops != interestOps)
        {
            interestOps = ops;
            key.interestOps(ops);
        }
    }

    public void sendText(final int payloadIndex, final int payloadLength)
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
        if (!hasOutbound())
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
        if (null == outbound)
        {
            outbound = loop.slots.outbound(slot);
        }
        if (outbound.isEmpty())
        {
            outboundSinceNanos = loop.clock.nanoTime();
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
        leaveQuiet();
        loop.timers.cancel(timer);
        send(0, FrameEncoder.writeClose(loop.scratch, 0, code), true);
        if (CLOSED == state)
        {
            return;
        }
        updateInterest();
        if (!hasOutbound())
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
        loop.timers.schedule(timer, loop.clock.nanoTime() + CLOSE_LINGER_NANOS);
    }

    private boolean hasOutbound()
    {
        return null != outbound && !outbound.isEmpty();
    }

    private void leaveQuiet()
    {
        if (quiet)
        {
            quiet = false;
            loop.metrics.add(LoopMetrics.QUIET_SESSIONS, -1);
        }
    }

    private void dispose()
    {
        if (CLOSED == state)
        {
            return;
        }
        state = CLOSED;
        leaveQuiet();
        loop.timers.cancel(timer);
        key.cancel();
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Closing a socket that already failed: nothing left to release.
        }
        if (null != outbound)
        {
            outbound = null;
            loop.slots.releaseOutbound(slot);
        }
        audio.close();
        loop.metrics.add(LoopMetrics.SESSIONS, -1);
    }
}
