package dev.sttbench.sim.metrics;

import dev.sttbench.sim.model.AdmissionQueue;
import dev.sttbench.sim.server.Transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Process-wide counters, written from every event loop without contention ({@link LongAdder} cells) and
 * rendered in the Prometheus text exposition format on demand.
 */
public final class SimMetrics
{
    /** Statuses the simulator answers with; anything else is counted as "other". */
    private static final int[] STATUSES = {200, 400, 404, 405, 413, 500};
    /** Upper bounds (le) of the /infer latency histogram, in milliseconds. */
    private static final double[] LATENCY_BUCKETS_MS = {
        1, 2, 5, 10, 20, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
    };
    private static final double NANOS_PER_MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AdmissionQueue admission;
    private final LongAdder[] requestsByTransport = adders(Transport.values().length);
    private final LongAdder[] responsesByStatus = adders(STATUSES.length + 1);
    private final LongAdder requestBodyBytes = new LongAdder();
    private final LongAdder[] latencyBuckets = adders(LATENCY_BUCKETS_MS.length + 1);
    private final LongAdder latencySumNanos = new LongAdder();

    public SimMetrics(final AdmissionQueue admission)
    {
        this.admission = admission;
    }

    public void onRequest(final Transport transport, final int bodyBytes)
    {
        requestsByTransport[transport.ordinal()].increment();
        requestBodyBytes.add(bodyBytes);
    }

    public void onResponse(final int status)
    {
        responsesByStatus[statusIndex(status)].increment();
    }

    /**
     * @param elapsedNanos time from the request's arrival to its response being written.
     */
    public void onInferLatency(final long elapsedNanos)
    {
        final double ms = elapsedNanos / NANOS_PER_MS;
        int bucket = 0;
        while (bucket < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[bucket])
        {
            bucket++;
        }
        latencyBuckets[bucket].increment();
        latencySumNanos.add(elapsedNanos);
    }

    /** @return requests received over {@code transport}. */
    public long requests(final Transport transport)
    {
        return requestsByTransport[transport.ordinal()].sum();
    }

    /** @return responses written with {@code status}. */
    public long responses(final int status)
    {
        return responsesByStatus[statusIndex(status)].sum();
    }

    /** @return the metrics in the Prometheus text format, version 0.0.4. */
    public String render()
    {
        final StringBuilder out = new StringBuilder(2048);
        header(out, "sim_requests_total", "counter", "Requests received, by transport.");
        for (final Transport transport : Transport.values())
        {
            out.append("sim_requests_total{transport=\"").append(transport.label()).append("\"} ")
                .append(requestsByTransport[transport.ordinal()].sum()).append('\n');
        }
        header(out, "sim_inflight_requests", "gauge", "Inference requests holding a model slot.");
        out.append("sim_inflight_requests ").append(admission.inFlight()).append('\n');
        header(out, "sim_queued_requests", "gauge", "Inference requests waiting for a model slot.");
        out.append("sim_queued_requests ").append(admission.queued()).append('\n');
        header(out, "sim_responses_total", "counter", "Responses written, by status.");
        for (int i = 0; i <= STATUSES.length; i++)
        {
            out.append("sim_responses_total{status=\"").append(i < STATUSES.length ? String.valueOf(STATUSES[i]) : "other")
                .append("\"} ").append(responsesByStatus[i].sum()).append('\n');
        }
        header(out, "sim_request_body_bytes_total", "counter", "Request body bytes received.");
        out.append("sim_request_body_bytes_total ").append(requestBodyBytes.sum()).append('\n');
        header(out, "sim_infer_latency_ms", "histogram", "Time from a /infer request's arrival to its response, ms.");
        long cumulative = 0;
        for (int i = 0; i < LATENCY_BUCKETS_MS.length; i++)
        {
            cumulative += latencyBuckets[i].sum();
            out.append("sim_infer_latency_ms_bucket{le=\"").append(LATENCY_BUCKETS_MS[i]).append("\"} ")
                .append(cumulative).append('\n');
        }
        cumulative += latencyBuckets[LATENCY_BUCKETS_MS.length].sum();
        out.append("sim_infer_latency_ms_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
        out.append("sim_infer_latency_ms_sum ").append(latencySumNanos.sum() / NANOS_PER_MS).append('\n');
        out.append("sim_infer_latency_ms_count ").append(cumulative).append('\n');
        return out.toString();
    }

    private static void header(final StringBuilder out, final String name, final String type, final String help)
    {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static int statusIndex(final int status)
    {
        for (int i = 0; i < STATUSES.length; i++)
        {
            if (STATUSES[i] == status)
            {
                return i;
            }
        }
        return STATUSES.length;
    }

    private static LongAdder[] adders(final int count)
    {
        final LongAdder[] adders = new LongAdder[count];
        for (int i = 0; i < count; i++)
        {
            adders[i] = new LongAdder();
        }
        return adders;
    }
}
