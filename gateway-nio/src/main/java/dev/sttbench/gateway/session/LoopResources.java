package dev.sttbench.gateway.session;

import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.inference.CompletionSink;
import dev.sttbench.gateway.inference.InferenceExchange;
import dev.sttbench.gateway.inference.InferencePort;
import dev.sttbench.gateway.metrics.LoopMetrics;
import dev.sttbench.gateway.protocol.ErrorEncoder;
import dev.sttbench.gateway.protocol.InferenceResponseParser;
import dev.sttbench.gateway.protocol.InferenceResult;
import dev.sttbench.gateway.protocol.PartialEncoder;
import dev.sttbench.gateway.websocket.FrameDecoder;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.SplittableRandom;

/**
 * What one loop lends its sessions: everything here is confined to the loop thread and reused for every
 * message, so encoding, parsing and writing allocate nothing per frame.
 */
public final class LoopResources
{
    /** Encode scratch: one partial or error frame (bounded by the response body limit) plus its header. */
    private static final int SCRATCH_BYTES = 16 * 1024;
    /** One read takes everything a socket holds after a read interval (a few KiB per session) in one call. */
    private static final int READ_BUFFER_BYTES = 256 * 1024;

    final GatewayConfig config;
    final LoopMetrics metrics;
    final InferencePort inference;
    final CompletionSink completionSink;
    final SessionTimers timers;
    final SessionSlots slots;
    final ByteBuffer scratchBytes = ByteBuffer.allocateDirect(SCRATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    final UnsafeBuffer scratch = new UnsafeBuffer(scratchBytes);
    final PartialEncoder partialEncoder;
    final ErrorEncoder errorEncoder = new ErrorEncoder();
    final InferenceResponseParser parser = new InferenceResponseParser();
    final InferenceResult result = new InferenceResult();
    final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    final UnsafeBuffer readView = new UnsafeBuffer(readBuffer);
    /** Where every decoder of the loop unmasks a control payload received whole. */
    final UnsafeBuffer controlScratch = new UnsafeBuffer(new byte[FrameDecoder.MAX_CONTROL_PAYLOAD]);
    /** Idle exchanges, most recently returned last; those idle for a whole trim period are dropped. */
    private final ArrayDeque<InferenceExchange> exchanges = new ArrayDeque<>();
    private int minIdleExchangesSinceTrim;
    final SplittableRandom random = new SplittableRandom();
    /** The duty cycle's clock: read once per cycle by the loop, read by everything the cycle does. */
    final CachedNanoClock clock = new CachedNanoClock();
    final long flushIntervalNanos;
    final long flushPhaseJitterNanos;
    final long inferenceTimeoutNanos;
    /** Period of a streaming session's socket reads between flushes; 0 = read when readable. */
    final long readPeriodNanos;
    final long startTimeoutNanos;
    final long idleTimeoutNanos;
    final long sendTimeoutNanos;

    /** Batches this loop's sessions have in flight. */
    int inFlightBatches;
    /** Set once the gateway drains: no flushes on the grid; each session's last audio is flushed at once. */
    boolean draining;

    public LoopResources(
        final GatewayConfig config,
        final LoopMetrics metrics,
        final InferencePort inference,
        final CompletionSink completionSink,
        final SessionTimers timers,
        final SessionSlots slots)
    {
        this.config = config;
        this.metrics = metrics;
        this.inference = inference;
        this.completionSink = completionSink;
        this.timers = timers;
        this.slots = slots;
        partialEncoder = new PartialEncoder(config.cpuPasses(), config.modelDelayMs());
        flushIntervalNanos = config.flushIntervalMs() * 1_000_000L;
        flushPhaseJitterNanos = config.flushPhaseJitterMs() * 1_000_000L;
        inferenceTimeoutNanos = config.inferenceTimeoutMs() * 1_000_000L;
        startTimeoutNanos = config.startTimeoutMs() * 1_000_000L;
        idleTimeoutNanos = config.idleTimeoutMs() * 1_000_000L;
        sendTimeoutNanos = config.sendTimeoutMs() * 1_000_000L;
        // Whole reads per flush interval, so that every flush is also a read tick.
        final long readIntervalNanos = config.readIntervalMs() * 1_000_000L;
        readPeriodNanos = 0 == readIntervalNanos ? 0 :
            flushIntervalNanos / Math.max(1, (flushIntervalNanos + readIntervalNanos - 1) / readIntervalNanos);
    }

    /** The loop's read buffer, shared by every connection it reads. */
    public ByteBuffer readBuffer()
    {
        return readBuffer;
    }

    public CachedNanoClock clock()
    {
        return clock;
    }

    /**
     * An idle exchange for a batch of {@code bodyBytes}, its body's pages committed: a returned one, or a new one
     * while more batches are out than ever before; null when every request body of the loop is lent (the flush
     * waits for the next one).
     */
    InferenceExchange lendExchange(final int bodyBytes)
    {
        InferenceExchange exchange = exchanges.pollLast();
        minIdleExchangesSinceTrim = Math.min(minIdleExchangesSinceTrim, exchanges.size());
        if (null == exchange)
        {
            final int slot = slots.requestBodies().acquire();
            if (slot < 0)
            {
                return null;
            }
            exchange = inference.newExchange(completionSink, slot, slots.requestBodies().view(slot));
        }
        slots.requestBodies().commit(exchange.bodySlot(), bodyBytes);
        return exchange;
    }

    /** An exchange whose outcome is handled; one the HTTP client may still write into is dropped. */
    void returnExchange(final InferenceExchange exchange)
    {
        if (exchange.isReusable())
        {
            exchanges.addLast(exchange);
        }
        else
        {
            // The JDK may still read a cancelled request's body: it would read another batch's bytes, on a stream
            // that is already reset, never another request's body.
            slots.requestBodies().release(exchange.bodySlot());
        }
    }

    /**
     * Drop the exchanges that stayed idle since the last trim (the least recently used ones), so that a burst of
     * requests, at startup or after an outage, does not keep its request bodies for good.
     *
     * @return exchanges still idle.
     */
    public int trimExchanges()
    {
        for (int i = 0; i < minIdleExchangesSinceTrim; i++)
        {
            slots.requestBodies().release(exchanges.pollFirst().bodySlot());
        }
        minIdleExchangesSinceTrim = exchanges.size();
        return exchanges.size();
    }

    public int inFlightBatches()
    {
        return inFlightBatches;
    }

    public void startDraining()
    {
        draining = true;
    }
}
