package dev.sttbench.netty;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters for {@code GET /metrics}, gateway-nio's names where they apply. Each event loop owns a {@link Loop}
 * that only that loop writes (plain read, ordered store: no contended atomics on the data path), summed when
 * scraped.
 */
final class Metrics
{
    static final int SESSIONS = 0;
    static final int FRAMES_IN = 1;
    static final int FLUSHES = 2;
    static final int FLUSHES_SKIPPED = 3;
    static final int PARTIALS = 4;
    static final int FRAMES_SHED = 5;
    static final int BUFFERED_FRAMES = 6;
    static final int UPGRADES_REJECTED = 7;
    static final int PROTOCOL_CLOSES = 8;
    static final int CONNECTIONS_ABORTED = 9;
    static final int REQUEST_HEAD_TIMEOUTS = 10;
    static final int START_TIMEOUTS = 11;
    static final int IDLE_TIMEOUTS = 12;
    static final int SEND_TIMEOUTS = 13;
    static final int INFERENCE_CONNECTIONS = 14;
    static final int INFERENCE_CONNECTS_FAILED = 15;
    static final int INFERENCE_RETRIES = 16;
    static final int INFERENCE_QUEUED = 17;
    static final int FLUSH_LATENESS_SUM_MICROS = 18;
    static final int FLUSH_LATENESS_COUNT = 19;
    private static final int ERROR_FRAMES_BASE = 20;
    private static final int LATENESS_BUCKETS_BASE = ERROR_FRAMES_BASE + Protocol.ErrorKind.values().length;
    /** Upper bounds (ms) of the flush-lateness histogram's buckets, as gateway-nio's. */
    static final long[] LATENESS_BOUNDS_MS = { 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000 };
    private static final int COUNT = LATENESS_BUCKETS_BASE + LATENESS_BOUNDS_MS.length + 1;

    private static final String[][] COUNTERS = {
        { "gateway_frames_in_total", "counter", Integer.toString(FRAMES_IN) },
        { "gateway_flushes_total", "counter", Integer.toString(FLUSHES) },
        { "gateway_flushes_skipped_total", "counter", Integer.toString(FLUSHES_SKIPPED) },
        { "gateway_partials_total", "counter", Integer.toString(PARTIALS) },
        { "gateway_frames_shed_total", "counter", Integer.toString(FRAMES_SHED) },
        { "gateway_upgrades_rejected_total", "counter", Integer.toString(UPGRADES_REJECTED) },
        { "gateway_protocol_closes_total", "counter", Integer.toString(PROTOCOL_CLOSES) },
        { "gateway_connections_aborted_total", "counter", Integer.toString(CONNECTIONS_ABORTED) },
        { "gateway_request_head_timeouts_total", "counter", Integer.toString(REQUEST_HEAD_TIMEOUTS) },
        { "gateway_start_timeouts_total", "counter", Integer.toString(START_TIMEOUTS) },
        { "gateway_idle_timeouts_total", "counter", Integer.toString(IDLE_TIMEOUTS) },
        { "gateway_send_timeouts_total", "counter", Integer.toString(SEND_TIMEOUTS) },
        { "gateway_buffer_frames", "gauge", Integer.toString(BUFFERED_FRAMES) },
        { "gateway_inference_connections", "gauge", Integer.toString(INFERENCE_CONNECTIONS) },
        { "gateway_inference_connect_failures_total", "counter", Integer.toString(INFERENCE_CONNECTS_FAILED) },
        { "gateway_inference_retries_total", "counter", Integer.toString(INFERENCE_RETRIES) },
        { "gateway_inference_queued", "gauge", Integer.toString(INFERENCE_QUEUED) },
    };

    /** One event loop's counters; written by that loop only. */
    static final class Loop
    {
        final int index;
        private final AtomicLongArray values = new AtomicLongArray(COUNT);

        Loop(final int index)
        {
            this.index = index;
        }

        void increment(final int id)
        {
            values.lazySet(id, values.get(id) + 1);
        }

        void add(final int id, final long delta)
        {
            values.lazySet(id, values.get(id) + delta);
        }

        void errorFrame(final Protocol.ErrorKind kind)
        {
            increment(ERROR_FRAMES_BASE + kind.ordinal());
        }

        void flushLateness(final long nanos)
        {
            final long micros = Math.max(0, nanos) / 1_000;
            int bucket = 0;
            while (bucket < LATENESS_BOUNDS_MS.length && micros > LATENESS_BOUNDS_MS[bucket] * 1_000)
            {
                bucket++;
            }
            increment(LATENESS_BUCKETS_BASE + bucket);
            add(FLUSH_LATENESS_SUM_MICROS, micros);
            increment(FLUSH_LATENESS_COUNT);
        }

        long get(final int id)
        {
            return values.get(id);
        }
    }

    private final List<Loop> loops = new ArrayList<>();
    private final Map<EventExecutor, Loop> byExecutor = new IdentityHashMap<>();
    /** Inference requests in flight in this process (every loop's): a partial's inflight_model_jobs. */
    final AtomicLong inferenceInFlight = new AtomicLong();

    Metrics(final EventLoopGroup group)
    {
        for (final EventExecutor executor : group)
        {
            final Loop loop = new Loop(loops.size());
            loops.add(loop);
            byExecutor.put(executor, loop);
        }
    }

    /** The counters of {@code loop}, one of the group's. */
    Loop of(final EventLoop loop)
    {
        final Loop metrics = byExecutor.get(loop);
        if (null == metrics)
        {
            throw new IllegalStateException("not one of the gateway's event loops: " + loop);
        }
        return metrics;
    }

    long sessions()
    {
        return sum(SESSIONS);
    }

    long sum(final int id)
    {
        long total = 0;
        for (final Loop loop : loops)
        {
            total += loop.get(id);
        }
        return total;
    }

    /** Prometheus text exposition. */
    String render()
    {
        final StringBuilder out = new StringBuilder(4096);
        out.append("# TYPE gateway_sessions gauge\n");
        for (final Loop loop : loops)
        {
            out.append("gateway_sessions{loop=\"").append(loop.index).append("\"} ").append(loop.get(SESSIONS)).append('\n');
        }
        for (final String[] counter : COUNTERS)
        {
            out.append("# TYPE ").append(counter[0]).append(' ').append(counter[1]).append('\n')
                .append(counter[0]).append(' ').append(sum(Integer.parseInt(counter[2]))).append('\n');
        }
        out.append("# TYPE gateway_inference_requests_in_flight gauge\ngateway_inference_requests_in_flight ")
            .append(inferenceInFlight.get()).append('\n');
        out.append("# TYPE gateway_error_frames_total counter\n");
        for (final Protocol.ErrorKind kind : Protocol.ErrorKind.values())
        {
            out.append("gateway_error_frames_total{kind=\"").append(kind.kind).append("\"} ")
                .append(sum(ERROR_FRAMES_BASE + kind.ordinal())).append('\n');
        }
        out.append("# TYPE gateway_flush_lateness_ms histogram\n");
        long cumulative = 0;
        for (int bucket = 0; bucket <= LATENESS_BOUNDS_MS.length; bucket++)
        {
            cumulative += sum(LATENESS_BUCKETS_BASE + bucket);
            out.append("gateway_flush_lateness_ms_bucket{le=\"")
                .append(bucket < LATENESS_BOUNDS_MS.length ? Long.toString(LATENESS_BOUNDS_MS[bucket]) : "+Inf")
                .append("\"} ").append(cumulative).append('\n');
        }
        out.append("gateway_flush_lateness_ms_sum ").append(sum(FLUSH_LATENESS_SUM_MICROS) / 1000.0).append('\n');
        out.append("gateway_flush_lateness_ms_count ").append(sum(FLUSH_LATENESS_COUNT)).append('\n');
        final PooledByteBufAllocatorMetric pool = PooledByteBufAllocator.DEFAULT.metric();
        out.append("# TYPE netty_pooled_direct_memory_bytes gauge\nnetty_pooled_direct_memory_bytes ")
            .append(pool.usedDirectMemory()).append('\n');
        out.append("# TYPE netty_pooled_heap_memory_bytes gauge\nnetty_pooled_heap_memory_bytes ")
            .append(pool.usedHeapMemory()).append('\n');
        return out.toString();
    }
}
