package dev.sttbench.sim.server;

import dev.sttbench.sim.SimConfig;
import dev.sttbench.sim.metrics.SimMetrics;
import dev.sttbench.sim.model.AdmissionQueue;
import dev.sttbench.sim.model.LatencyModel;
import dev.sttbench.sim.stub.PcmStub;
import dev.sttbench.sim.stub.StubJson;
import dev.sttbench.sim.stub.StubResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.SplittableRandom;

/**
 * The simulator's routes (PROTOCOL.md §2), shared by every connection and transport: validates a request,
 * runs the stub on the event loop, and hands the encoded answer to admission and the latency model.
 */
public final class InferenceEndpoint
{
    public static final AsciiString X_CPU_PASSES = AsciiString.cached("x-cpu-passes");
    static final AsciiString APPLICATION_JSON = AsciiString.cached("application/json");
    static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain; charset=utf-8");
    static final AsciiString PROMETHEUS_TEXT = AsciiString.cached("text/plain; version=0.0.4; charset=utf-8");
    private static final AsciiString POST = AsciiString.cached("POST");
    private static final AsciiString GET = AsciiString.cached("GET");
    private static final AsciiString PATH_INFER = AsciiString.cached("/infer");
    private static final AsciiString PATH_HEALTH = AsciiString.cached("/health");
    private static final AsciiString PATH_METRICS = AsciiString.cached("/metrics");

    private final int defaultCpuPasses;
    private final LatencyModel latencyModel;
    private final AdmissionQueue admission;
    private final SimMetrics metrics;
    private final FastThreadLocal<StubResult> stubResults = new FastThreadLocal<>()
    {
        protected StubResult initialValue()
        {
            return new StubResult();
        }
    };
    private final FastThreadLocal<SplittableRandom> randoms;

    public InferenceEndpoint(final SimConfig config, final SplittableRandom seed)
    {
        this.defaultCpuPasses = config.cpuPasses();
        this.latencyModel = LatencyModel.of(config);
        this.admission = new AdmissionQueue(config.modelMaxConcurrent());
        this.metrics = new SimMetrics(admission);
        this.randoms = new FastThreadLocal<>()
        {
            protected SplittableRandom initialValue()
            {
                synchronized (seed)
                {
                    return seed.split();
                }
            }
        };
    }

    public SimMetrics metrics()
    {
        return metrics;
    }

    /**
     * Route one complete request. Called on the connection's event loop.
     *
     * @param exchange    answers the request.
     * @param transport   how the request arrived.
     * @param alloc       allocator for the response body.
     * @param method      request method.
     * @param uri         request path, possibly with a query.
     * @param cpuPasses   the x-cpu-passes header or null.
     * @param body        request body; still owned by the caller.
     */
    public void handle(
        final Exchange exchange,
        final Transport transport,
        final ByteBufAllocator alloc,
        final CharSequence method,
        final CharSequence uri,
        final CharSequence cpuPasses,
        final ByteBuf body)
    {
        final long arrivalNanos = System.nanoTime();
        final int bodyBytes = body.readableBytes();
        metrics.onRequest(transport, bodyBytes);
        final CharSequence path = stripQuery(uri);
        if (PATH_INFER.contentEquals(path))
        {
            if (!POST.contentEquals(method))
            {
                methodNotAllowed(exchange, alloc, POST);
            }
            else
            {
                infer(exchange, alloc, cpuPasses, body, arrivalNanos);
            }
        }
        else if (PATH_HEALTH.contentEquals(path))
        {
            if (!GET.contentEquals(method))
            {
                methodNotAllowed(exchange, alloc, GET);
            }
            else
            {
                respond(exchange, HttpResponseStatus.OK, TEXT_PLAIN, ByteBufUtil.writeAscii(alloc, "ok"), null);
            }
        }
        else if (PATH_METRICS.contentEquals(path))
        {
            if (!GET.contentEquals(method))
            {
                methodNotAllowed(exchange, alloc, GET);
            }
            else
            {
                respond(exchange, HttpResponseStatus.OK, PROMETHEUS_TEXT, ByteBufUtil.writeAscii(alloc, metrics.render()), null);
            }
        }
        else
        {
            respondText(exchange, alloc, HttpResponseStatus.NOT_FOUND, "not found\n");
        }
    }

    /**
     * Answer a request whose body exceeded {@link SimConfig#MAX_BODY_BYTES} before it was complete.
     *
     * @param exchange  answers the request.
     * @param transport how the request arrived.
     * @param alloc     allocator for the response body.
     * @param bodyBytes body bytes received so far.
     */
    public void rejectTooLarge(final Exchange exchange, final Transport transport, final ByteBufAllocator alloc, final int bodyBytes)
    {
        metrics.onRequest(transport, bodyBytes);
        respondText(exchange, alloc, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            "body exceeds " + SimConfig.MAX_BODY_BYTES + " bytes\n");
    }

    /**
     * Answer a request that could not be parsed.
     *
     * @param exchange  answers the request.
     * @param transport how the request arrived.
     * @param alloc     allocator for the response body.
     * @param cause     the decoder's complaint.
     */
    public void rejectMalformed(
        final Exchange exchange, final Transport transport, final ByteBufAllocator alloc, final Throwable cause)
    {
        metrics.onRequest(transport, 0);
        respondText(exchange, alloc, HttpResponseStatus.BAD_REQUEST, "malformed request: " + cause.getMessage() + "\n");
    }

    void completeInference(final Exchange exchange)
    {
        respond(exchange, HttpResponseStatus.OK, APPLICATION_JSON, exchange.takePendingBody(), null);
        metrics.onInferLatency(System.nanoTime() - exchange.arrivalNanos());
        admission.release();
    }

    private void infer(
        final Exchange exchange,
        final ByteBufAllocator alloc,
        final CharSequence cpuPassesHeader,
        final ByteBuf body,
        final long arrivalNanos)
    {
        final int passes = null == cpuPassesHeader ? defaultCpuPasses : parseCpuPasses(cpuPassesHeader);
        if (passes < 0)
        {
            respondText(exchange, alloc, HttpResponseStatus.BAD_REQUEST,
                "x-cpu-passes: expected an integer in [0, " + SimConfig.MAX_CPU_PASSES + "], got '" + cpuPassesHeader + "'\n");
            return;
        }
        final int length = body.readableBytes();
        if (0 != (length & 1))
        {
            respondText(exchange, alloc, HttpResponseStatus.BAD_REQUEST,
                "body length " + length + " is odd: s16le PCM has an even length\n");
            return;
        }
        if (length > SimConfig.MAX_BODY_BYTES)
        {
            respondText(exchange, alloc, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "body exceeds " + SimConfig.MAX_BODY_BYTES + " bytes\n");
            return;
        }

        final StubResult result = stubResults.get();
        PcmStub.compute(body, passes, result);
        final ByteBuf json = alloc.buffer(StubJson.MAX_LENGTH);
        StubJson.encode(result, json);
        exchange.awaitModel(this, json, arrivalNanos, latencyModel.sampleNanos(randoms.get()));
        admission.submit(exchange);
    }

    private void methodNotAllowed(final Exchange exchange, final ByteBufAllocator alloc, final AsciiString allow)
    {
        respond(exchange, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT_PLAIN,
            ByteBufUtil.writeAscii(alloc, "method not allowed: use " + allow + "\n"), allow);
    }

    private void respondText(
        final Exchange exchange, final ByteBufAllocator alloc, final HttpResponseStatus status, final String text)
    {
        respond(exchange, status, TEXT_PLAIN, ByteBufUtil.writeUtf8(alloc, text), null);
    }

    private void respond(
        final Exchange exchange,
        final HttpResponseStatus status,
        final AsciiString contentType,
        final ByteBuf body,
        final AsciiString allow)
    {
        metrics.onResponse(status.code());
        exchange.write(status, contentType, body, allow);
    }

    /**
     * @param header the header value.
     * @return the passes, or -1 when the value is not a decimal integer in {@code [0, MAX_CPU_PASSES]}.
     */
    static int parseCpuPasses(final CharSequence header)
    {
        final int length = header.length();
        if (0 == length || length > 4)
        {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < length; i++)
        {
            final int digit = header.charAt(i) - '0';
            if (digit < 0 || digit > 9)
            {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value <= SimConfig.MAX_CPU_PASSES ? value : -1;
    }

    private static CharSequence stripQuery(final CharSequence uri)
    {
        for (int i = 0, n = uri.length(); i < n; i++)
        {
            if ('?' == uri.charAt(i))
            {
                return uri.subSequence(0, i);
            }
        }
        return uri;
    }
}
