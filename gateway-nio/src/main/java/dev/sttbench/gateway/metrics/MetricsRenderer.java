package dev.sttbench.gateway.metrics;

import dev.sttbench.gateway.protocol.ErrorKind;
import dev.sttbench.gateway.session.AudioMemoryBudget;

import java.util.List;

/** Prometheus text exposition of all loops' counters. */
public final class MetricsRenderer
{
    private MetricsRenderer()
    {
    }

    public static String render(
        final List<LoopMetrics> loops, final long inferenceRequestsInFlight, final AudioMemoryBudget audioMemory)
    {
        final StringBuilder out = new StringBuilder(4096);
        out.append("# TYPE gateway_sessions gauge\n");
        for (int loop = 0; loop < loops.size(); loop++)
        {
            out.append("gateway_sessions{loop=\"").append(loop).append("\"} ")
                .append(loops.get(loop).get(LoopMetrics.SESSIONS)).append('\n');
        }
        counter(out, loops, "gateway_frames_in_total", LoopMetrics.FRAMES_IN);
        gauge(out, loops, "gateway_sessions_quiet", LoopMetrics.QUIET_SESSIONS);
        counter(out, loops, "gateway_flushes_total", LoopMetrics.FLUSHES);
        counter(out, loops, "gateway_flushes_skipped_total", LoopMetrics.FLUSHES_SKIPPED);
        counter(out, loops, "gateway_flushes_deferred_total", LoopMetrics.FLUSHES_DEFERRED);
        counter(out, loops, "gateway_partials_total", LoopMetrics.PARTIALS);
        counter(out, loops, "gateway_frames_shed_total", LoopMetrics.FRAMES_SHED);
        counter(out, loops, "gateway_outbound_drops_total", LoopMetrics.OUTBOUND_DROPS);
        counter(out, loops, "gateway_upgrades_rejected_total", LoopMetrics.UPGRADES_REJECTED);
        counter(out, loops, "gateway_protocol_closes_total", LoopMetrics.PROTOCOL_CLOSES);
        counter(out, loops, "gateway_late_completions_discarded_total", LoopMetrics.LATE_COMPLETIONS);
        counter(out, loops, "gateway_connections_aborted_total", LoopMetrics.CONNECTIONS_ABORTED);
        counter(out, loops, "gateway_loop_errors_total", LoopMetrics.LOOP_ERRORS);
        counter(out, loops, "gateway_accept_pauses_total", LoopMetrics.ACCEPT_PAUSES);
        counter(out, loops, "gateway_request_head_timeouts_total", LoopMetrics.REQUEST_HEAD_TIMEOUTS);
        counter(out, loops, "gateway_start_timeouts_total", LoopMetrics.START_TIMEOUTS);
        counter(out, loops, "gateway_idle_timeouts_total", LoopMetrics.IDLE_TIMEOUTS);
        counter(out, loops, "gateway_send_timeouts_total", LoopMetrics.SEND_TIMEOUTS);
        gauge(out, loops, "gateway_audio_chunks_in_use", LoopMetrics.AUDIO_CHUNKS_IN_USE);
        counter(out, loops, "gateway_audio_chunks_trimmed_total", LoopMetrics.AUDIO_CHUNKS_TRIMMED);
        gauge(out, loops, "gateway_inference_exchanges_idle", LoopMetrics.EXCHANGES_IDLE);
        out.append("# TYPE gateway_audio_memory_budget_bytes gauge\ngateway_audio_memory_budget_bytes ")
            .append(AudioMemoryBudget.UNLIMITED == audioMemory.limitBytes() ? "+Inf" :
                Long.toString(audioMemory.limitBytes())).append('\n');
        out.append("# TYPE gateway_audio_memory_committed_bytes gauge\ngateway_audio_memory_committed_bytes ")
            .append(audioMemory.committedBytes()).append('\n');
        counter(out, loops, "gateway_audio_memory_refusals_total", LoopMetrics.AUDIO_MEMORY_REFUSALS);
        out.append("# TYPE gateway_buffer_frames gauge\ngateway_buffer_frames ")
            .append(sum(loops, LoopMetrics.BUFFERED_FRAMES)).append('\n');
        out.append("# TYPE gateway_inference_requests_in_flight gauge\ngateway_inference_requests_in_flight ")
            .append(inferenceRequestsInFlight).append('\n');

        out.append("# TYPE gateway_error_frames_total counter\n");
        for (int kind = 0; kind < ErrorKind.count(); kind++)
        {
            long total = 0;
            for (final LoopMetrics metrics : loops)
            {
                total += metrics.errorFrames(ErrorKind.of(kind));
            }
            out.append("gateway_error_frames_total{kind=\"").append(ErrorKind.of(kind).kind()).append("\"} ")
                .append(total).append('\n');
        }

        out.append("# TYPE gateway_flush_lateness_ms histogram\n");
        long cumulative = 0;
        for (int bucket = 0; bucket <= LoopMetrics.LATENESS_BOUNDS_MS.length; bucket++)
        {
            for (final LoopMetrics metrics : loops)
            {
                cumulative += metrics.latenessBucket(bucket);
            }
            out.append("gateway_flush_lateness_ms_bucket{le=\"")
                .append(bucket < LoopMetrics.LATENESS_BOUNDS_MS.length ?
                    Long.toString(LoopMetrics.LATENESS_BOUNDS_MS[bucket]) : "+Inf")
                .append("\"} ").append(cumulative).append('\n');
        }
        out.append("gateway_flush_lateness_ms_sum ")
            .append(sum(loops, LoopMetrics.FLUSH_LATENESS_SUM_MICROS) / 1000.0).append('\n');
        out.append("gateway_flush_lateness_ms_count ")
            .append(sum(loops, LoopMetrics.FLUSH_LATENESS_COUNT)).append('\n');
        lag(out, loops, "gateway_loop_timer_lateness_us", LoopMetrics.TIMER_LATENESS);
        lag(out, loops, "gateway_loop_cycle_us", LoopMetrics.CYCLE_TIME);
        return out.toString();
    }

    /**
     * A loop-lag histogram over all loops: power-of-two buckets (for windowed quantiles from two scrapes),
     * then p50, p99 and max since start as a summary.
     */
    private static void lag(final StringBuilder out, final List<LoopMetrics> loops, final String name, final int base)
    {
        final long[] counts = new long[LoopMetrics.LAG_BUCKETS];
        long total = 0;
        long max = 0;
        for (final LoopMetrics metrics : loops)
        {
            for (int bucket = 0; bucket < LoopMetrics.LAG_BUCKETS; bucket++)
            {
                counts[bucket] += metrics.get(base + bucket);
            }
            max = Math.max(max, metrics.get(base + LoopMetrics.LAG_BUCKETS));
        }
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (int bucket = 0; bucket < LoopMetrics.LAG_BUCKETS; bucket++)
        {
            total += counts[bucket];
            final long bound = LoopMetrics.lagBucketBoundMicros(bucket);
            out.append(name).append("_bucket{le=\"").append(Long.MAX_VALUE == bound ? "+Inf" : Long.toString(bound))
                .append("\"} ").append(total).append('\n');
        }
        out.append(name).append("_count ").append(total).append('\n');
        out.append("# TYPE ").append(name).append("_quantile gauge\n");
        out.append(name).append("_quantile{quantile=\"0.5\"} ").append(quantile(counts, total, 0.5)).append('\n');
        out.append(name).append("_quantile{quantile=\"0.99\"} ").append(quantile(counts, total, 0.99)).append('\n');
        out.append(name).append("_quantile{quantile=\"1\"} ").append(max).append('\n');
    }

    /** Upper bound (µs) of the bucket holding quantile {@code q}; 0 when nothing was recorded. */
    private static long quantile(final long[] counts, final long total, final double q)
    {
        final long rank = (long)Math.ceil(q * total);
        long cumulative = 0;
        for (int bucket = 0; bucket < counts.length; bucket++)
        {
            cumulative += counts[bucket];
            if (cumulative >= rank && cumulative > 0)
            {
                final long bound = LoopMetrics.lagBucketBoundMicros(bucket);
                return Long.MAX_VALUE == bound ? LoopMetrics.lagBucketBoundMicros(bucket - 1) * 2 : bound;
            }
        }
        return 0;
    }

    private static void gauge(final StringBuilder out, final List<LoopMetrics> loops, final String name, final int id)
    {
        out.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ')
            .append(sum(loops, id)).append('\n');
    }

    private static void counter(final StringBuilder out, final List<LoopMetrics> loops, final String name, final int id)
    {
        out.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ')
            .append(sum(loops, id)).append('\n');
    }

    private static long sum(final List<LoopMetrics> loops, final int id)
    {
        long total = 0;
        for (final LoopMetrics metrics : loops)
        {
            total += metrics.get(id);
        }
        return total;
    }
}
