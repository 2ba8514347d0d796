package dev.sttbench.sim.server;

import dev.sttbench.sim.GoldenVectors;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.SimConfig;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The running server on an ephemeral port, over HTTP/1.1, h2c by upgrade and h2c by prior knowledge. */
class InferenceSimulatorTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static InferenceSimulator simulator;
    private static List<GoldenVectors.Vector> vectors;

    @BeforeAll
    static void start() throws Exception
    {
        vectors = GoldenVectors.load();
        simulator = start(Map.of());
    }

    @AfterAll
    static void stop()
    {
        simulator.close();
    }

    /** A simulator without model delay unless {@code overrides} say otherwise. */
    private static InferenceSimulator start(final Map<String, String> overrides)
    {
        final Map<String, String> env = new HashMap<>(Map.of(
            "PORT", "0",
            "WORKER_THREADS", "2",
            "MODEL_DELAY_MS", "0",
            "MODEL_JITTER_SIGMA", "0",
            "MODEL_BATCH_WAIT_MAX_MS", "0",
            "MODEL_LONGTAIL_PROB", "0"));
        env.putAll(overrides);
        return InferenceSimulator.start(SimConfig.fromEnv(env));
    }

    private static URI uri(final InferenceSimulator sim, final String path)
    {
        return URI.create("http://127.0.0.1:" + sim.port() + path);
    }

    private static HttpRequest inferRequest(final InferenceSimulator sim, final GoldenVectors.Vector vector)
    {
        return HttpRequest.newBuilder(uri(sim, "/infer"))
            .timeout(TIMEOUT)
            .header("x-cpu-passes", Integer.toString(vector.cpuPasses()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(vector.body()))
            .build();
    }

    @Test
    void http11AnswersEveryGoldenVectorExactly() throws Exception
    {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build())
        {
            final long before = simulator.metrics().requests(Transport.HTTP_1_1);
            for (final GoldenVectors.Vector vector : vectors)
            {
                final HttpResponse<String> response = client.send(inferRequest(simulator, vector), HttpResponse.BodyHandlers.ofString());
                assertEquals(HttpClient.Version.HTTP_1_1, response.version());
                assertEquals(200, response.statusCode());
                assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
                assertEquals(vector.expectedJson(), response.body());
            }
            assertTrue(simulator.metrics().requests(Transport.HTTP_1_1) >= before + vectors.size());
        }
    }

    @Test
    void javaNetHttpUpgradesAPostWithABodyToH2cAndStaysOnHttp2() throws Exception
    {
        final long upgradesBefore = simulator.metrics().requests(Transport.H2C_UPGRADE);
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build())
        {
            for (final GoldenVectors.Vector vector : vectors)
            {
                final HttpResponse<String> response = client.send(inferRequest(simulator, vector), HttpResponse.BodyHandlers.ofString());
                assertEquals(HttpClient.Version.HTTP_2, response.version(), "request for " + vector);
                assertEquals(200, response.statusCode());
                assertEquals(vector.expectedJson(), response.body());
            }
            final HttpResponse<String> metrics = client.send(
                HttpRequest.newBuilder(uri(simulator, "/metrics")).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, metrics.version());
            assertTrue(metrics.body().contains("# TYPE sim_requests_total counter"), metrics.body());
            final long upgraded = metrics.body().lines()
                .filter(line -> line.startsWith("sim_requests_total{transport=\"h2c-upgrade\"} "))
                .mapToLong(line -> Long.parseLong(line.substring(line.indexOf("} ") + 2)))
                .findFirst()
                .orElseThrow();
            assertTrue(upgraded >= upgradesBefore + vectors.size() + 1, metrics.body());
        }
        assertTrue(simulator.metrics().requests(Transport.H2C_UPGRADE) >= upgradesBefore + vectors.size() + 1);
    }

    @Test
    void priorKnowledgeAnswersEveryGoldenVectorAndAdvertisesGenerousLimits() throws Exception
    {
        final long before = simulator.metrics().requests(Transport.H2C_PRIOR_KNOWLEDGE);
        try (H2PriorKnowledgeClient client = H2PriorKnowledgeClient.connect(simulator.port()))
        {
            for (final GoldenVectors.Vector vector : vectors)
            {
                final H2PriorKnowledgeClient.Response response = client.send(
                    "POST", "/infer", Map.of("x-cpu-passes", Integer.toString(vector.cpuPasses())), vector.body());
                assertEquals(200, response.status());
                assertEquals(vector.expectedJson(), response.body());
            }
            final Http2Settings settings = client.serverSettings();
            assertEquals(SimConfig.DEFAULT_MAX_CONCURRENT_STREAMS, settings.maxConcurrentStreams());
            assertEquals(SimConfig.MAX_BODY_BYTES, settings.initialWindowSize());
            assertTrue(client.connectionSendWindow() > 32 * 1024 * 1024, "connection window " + client.connectionSendWindow());
        }
        assertEquals(before + vectors.size(), simulator.metrics().requests(Transport.H2C_PRIOR_KNOWLEDGE));
    }

    @Test
    void priorKnowledgeServesManyConcurrentStreamsOnOneConnection() throws Exception
    {
        final GoldenVectors.Vector vector = vectors.get(1);
        try (H2PriorKnowledgeClient client = H2PriorKnowledgeClient.connect(simulator.port()))
        {
            final List<CompletableFuture<H2PriorKnowledgeClient.Response>> responses = new ArrayList<>();
            for (int i = 0; i < 200; i++)
            {
                responses.add(CompletableFuture.supplyAsync(() -> sendQuietly(client, vector)));
            }
            for (final CompletableFuture<H2PriorKnowledgeClient.Response> response : responses)
            {
                assertEquals(vector.expectedJson(), response.get().body());
            }
        }
    }

    @Test
    void priorKnowledgeAcceptsTrailersAndSurvivesManyCancelledStreams() throws Exception
    {
        final GoldenVectors.Vector vector = vectors.get(0);
        try (H2PriorKnowledgeClient client = H2PriorKnowledgeClient.connect(simulator.port()))
        {
            final Map<String, String> passes = Map.of("x-cpu-passes", Integer.toString(vector.cpuPasses()));
            final H2PriorKnowledgeClient.Response withTrailers = client.open(List.of(
                new DefaultHttp2HeadersFrame(H2PriorKnowledgeClient.requestHeaders("POST", "/infer", passes), false),
                new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(vector.body()), false),
                new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().add("x-trailer", "1"), true)))
                .get(60, TimeUnit.SECONDS);
            assertEquals(vector.expectedJson(), withTrailers.body());

            // A gateway cancels every request that times out; far more than Netty's default rapid-reset allowance.
            for (int i = 0; i < 500; i++)
            {
                client.open(List.of(
                    new DefaultHttp2HeadersFrame(H2PriorKnowledgeClient.requestHeaders("POST", "/infer", passes), false),
                    new DefaultHttp2ResetFrame(Http2Error.CANCEL)));
            }
            assertEquals(vector.expectedJson(), client.send("POST", "/infer", passes, vector.body()).body());
        }
    }

    /**
     * MAX_CONCURRENT_STREAMS is advertised and enforced: with 2 streams out (each waiting 400 ms on the model) a third
     * is refused with RST_STREAM(REFUSED_STREAM), its DATA frame is ignored, and the connection stays for the next.
     */
    @Test
    void aStreamBeyondMaxConcurrentStreamsIsRefusedAndTheConnectionStays() throws Exception
    {
        try (InferenceSimulator limited = start(Map.of("MAX_CONCURRENT_STREAMS", "2", "MODEL_DELAY_MS", "400"));
            H2PriorKnowledgeClient client = H2PriorKnowledgeClient.connect(limited.port()))
        {
            assertEquals(2L, client.serverSettings().maxConcurrentStreams());
            // One round trip: the client's SETTINGS ack, sent before this request, has been applied.
            assertEquals(200, client.send("GET", "/health", Map.of(), null).status());
            client.ignoreStreamLimit();

            final GoldenVectors.Vector vector = vectors.get(0);
            final Map<String, String> passes = Map.of("x-cpu-passes", Integer.toString(vector.cpuPasses()));
            final List<CompletableFuture<H2PriorKnowledgeClient.Response>> responses = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                responses.add(client.open(List.of(
                    new DefaultHttp2HeadersFrame(H2PriorKnowledgeClient.requestHeaders("POST", "/infer", passes), false),
                    new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(vector.body()), true))));
            }
            final ExecutionException refused = assertThrows(ExecutionException.class,
                () -> responses.get(2).get(30, TimeUnit.SECONDS));
            assertEquals(Http2Error.REFUSED_STREAM.code(),
                ((H2PriorKnowledgeClient.StreamReset)refused.getCause()).errorCode, refused.toString());
            assertEquals(vector.expectedJson(), responses.get(0).get(30, TimeUnit.SECONDS).body());
            assertEquals(vector.expectedJson(), responses.get(1).get(30, TimeUnit.SECONDS).body());

            assertEquals(vector.expectedJson(), client.send("POST", "/infer", passes, vector.body()).body());
            assertTrue(client.isOpen(), "a refused stream costs only that stream");
            assertEquals(3, limited.metrics().responses(200) - 1, "the refused request never reached the model");
        }
    }

    /**
     * MAX_REQUESTS_PER_CONNECTION=3: GOAWAY names the third stream, two streams opened after it are refused, the
     * three (each 300 ms on the model) are answered, then the connection closes; java.net.http carries on over new
     * connections.
     */
    @Test
    void afterMaxRequestsPerConnectionTheSimulatorGoesAwayGracefully() throws Exception
    {
        try (InferenceSimulator limited = start(Map.of("MAX_REQUESTS_PER_CONNECTION", "3", "MODEL_DELAY_MS", "300")))
        {
            final GoldenVectors.Vector vector = vectors.get(0);
            final Map<String, String> passes = Map.of("x-cpu-passes", Integer.toString(vector.cpuPasses()));
            try (H2PriorKnowledgeClient client = H2PriorKnowledgeClient.connect(limited.port()))
            {
                final List<CompletableFuture<H2PriorKnowledgeClient.Response>> responses = new ArrayList<>();
                for (int i = 0; i < 3; i++)
                {
                    responses.add(client.open(List.of(
                        new DefaultHttp2HeadersFrame(H2PriorKnowledgeClient.requestHeaders("POST", "/infer", passes), false),
                        new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(vector.body()), true))));
                }
                // Opened after the third: refused by the server (RST_STREAM REFUSED_STREAM) or, once the client has
                // read GOAWAY, closed by the client itself; never processed either way.
                final List<CompletableFuture<H2PriorKnowledgeClient.Response>> late = new ArrayList<>();
                for (int i = 0; i < 2; i++)
                {
                    late.add(client.open(List.of(
                        new DefaultHttp2HeadersFrame(H2PriorKnowledgeClient.requestHeaders("POST", "/infer", passes), false),
                        new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(vector.body()), true))));
                }
                for (final CompletableFuture<H2PriorKnowledgeClient.Response> response : late)
                {
                    final ExecutionException refused = assertThrows(ExecutionException.class, () -> response.get(30, TimeUnit.SECONDS));
                    if (refused.getCause() instanceof H2PriorKnowledgeClient.StreamReset reset)
                    {
                        assertEquals(Http2Error.REFUSED_STREAM.code(), reset.errorCode);
                    }
                }
                for (final CompletableFuture<H2PriorKnowledgeClient.Response> response : responses)
                {
                    assertEquals(vector.expectedJson(), response.get(30, TimeUnit.SECONDS).body());
                }
                final H2PriorKnowledgeClient.GoAway goAway = client.goAway().get(10, TimeUnit.SECONDS);
                assertEquals(Http2Error.NO_ERROR.code(), goAway.errorCode());
                assertTrue(goAway.lastStreamId() > 0 && goAway.lastStreamId() < Integer.MAX_VALUE, goAway.toString());
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (client.isOpen() && System.nanoTime() < deadline)
                {
                    Thread.sleep(10);
                }
                assertTrue(!client.isOpen(), "the connection closes once its streams are answered");
            }
            assertEquals(3, limited.metrics().responses(200), "the late streams never reached the model");
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build())
            {
                for (int i = 0; i < 10; i++)
                {
                    final HttpResponse<String> response = client.send(inferRequest(limited, vector), HttpResponse.BodyHandlers.ofString());
                    assertEquals(vector.expectedJson(), response.body(), "request " + i);
                }
            }
        }
    }

    @Test
    void http11KeepsTheConnectionAliveAndAnswersPipelinedRequestsInOrder() throws Exception
    {
        // /infer waits up to 50 ms while /health answers at once: responses must still come back in request order.
        try (InferenceSimulator delayed = start(Map.of("MODEL_BATCH_WAIT_MAX_MS", "50"));
            Socket socket = new Socket("127.0.0.1", delayed.port()))
        {
            socket.setSoTimeout((int)TIMEOUT.toMillis());
            final GoldenVectors.Vector vector = vectors.get(0);
            final ByteArrayOutputStream requests = new ByteArrayOutputStream();
            for (int i = 0; i < 3; i++)
            {
                requests.writeBytes(("POST /infer HTTP/1.1\r\nHost: x\r\nx-cpu-passes: " + vector.cpuPasses() +
                    "\r\nContent-Length: " + vector.body().length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                requests.writeBytes(vector.body());
                requests.writeBytes("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            final OutputStream out = socket.getOutputStream();
            out.write(requests.toByteArray());
            out.flush();
            final InputStream in = socket.getInputStream();
            for (int i = 0; i < 3; i++)
            {
                assertEquals("200 " + vector.expectedJson(), readResponse(in));
                assertEquals("200 ok", readResponse(in));
            }
            out.write("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("404 not found\n", readResponse(in));
            assertEquals(-1, in.read(), "Connection: close is honoured");
        }
    }

    @Test
    void badInputIsRejectedOverEveryTransport() throws Exception
    {
        final byte[] odd = new byte[641];
        try (HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpClient upgrade = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            H2PriorKnowledgeClient prior = H2PriorKnowledgeClient.connect(simulator.port()))
        {
            for (final HttpClient client : List.of(h1, upgrade))
            {
                assertEquals(400, send(client, "POST", "/infer", Map.of(), odd).statusCode());
                final HttpResponse<String> badPasses = send(client, "POST", "/infer", Map.of("x-cpu-passes", "four"), new byte[640]);
                assertEquals(400, badPasses.statusCode());
                assertTrue(badPasses.body().startsWith("x-cpu-passes: "), badPasses.body());
                assertEquals(400, send(client, "POST", "/infer", Map.of("x-cpu-passes", "1024"), new byte[640]).statusCode());
                assertEquals(404, send(client, "POST", "/transcribe", Map.of(), new byte[640]).statusCode());
                final HttpResponse<String> getInfer = send(client, "GET", "/infer", Map.of(), null);
                assertEquals(405, getInfer.statusCode());
                assertEquals("POST", getInfer.headers().firstValue("allow").orElseThrow());
                assertEquals(405, send(client, "POST", "/health", Map.of(), new byte[2]).statusCode());
                final HttpResponse<String> health = send(client, "GET", "/health", Map.of(), null);
                assertEquals(200, health.statusCode());
                assertEquals("ok", health.body());
            }

            assertEquals(400, prior.send("POST", "/infer", Map.of(), odd).status());
            final H2PriorKnowledgeClient.Response badPasses = prior.send("POST", "/infer", Map.of("x-cpu-passes", "-1"), new byte[640]);
            assertEquals(400, badPasses.status());
            assertTrue(badPasses.body().startsWith("x-cpu-passes: "), badPasses.body());
            assertEquals(404, prior.send("GET", "/", Map.of(), null).status());
            assertEquals(405, prior.send("GET", "/infer", Map.of(), null).status());
            assertEquals(405, prior.send("DELETE", "/health", Map.of(), null).status());
            assertEquals(200, prior.send("GET", "/health", Map.of(), null).status());
        }
        assertTrue(simulator.metrics().responses(400) >= 7);
        assertTrue(simulator.metrics().responses(405) >= 6);
    }

    @Test
    void aBodyAboveTheLimitIs413OverHttp11AndHttp2() throws Exception
    {
        final byte[] huge = new byte[SimConfig.MAX_BODY_BYTES + 2];
        try (HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            H2PriorKnowledgeClient prior = H2PriorKnowledgeClient.connect(simulator.port()))
        {
            assertEquals(413, send(h1, "POST", "/infer", Map.of(), huge).statusCode());
            assertEquals(413, prior.send("POST", "/infer", Map.of(), huge).status());
            assertEquals(200, prior.send("GET", "/health", Map.of(), null).status(), "the connection survives");
        }
    }

    @Test
    void theModelDelayIsAppliedAndTheConcurrencyCapQueues() throws Exception
    {
        try (InferenceSimulator slow = start(Map.of("MODEL_DELAY_MS", "200", "MODEL_MAX_CONCURRENT", "1"));
            H2PriorKnowledgeClient client = H2PriorKnowledgeClient.connect(slow.port()))
        {
            final GoldenVectors.Vector vector = vectors.get(0);
            final long start = System.nanoTime();
            final List<CompletableFuture<H2PriorKnowledgeClient.Response>> responses = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                responses.add(CompletableFuture.supplyAsync(() -> sendQuietly(client, vector)));
            }
            for (final CompletableFuture<H2PriorKnowledgeClient.Response> response : responses)
            {
                assertEquals(vector.expectedJson(), response.get().body());
            }
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            // One slot: three 200 ms model calls run one after another.
            assertTrue(elapsedMs >= 600, "elapsed " + elapsedMs + " ms");
            final String metrics = client.send("GET", "/metrics", Map.of(), null).body();
            assertTrue(metrics.contains("sim_infer_latency_ms_count 3\n"), metrics);
            assertTrue(metrics.contains("sim_infer_latency_ms_bucket{le=\"100.0\"} 0\n"), metrics);
            assertTrue(metrics.contains("sim_inflight_requests 0\n"), metrics);
            assertTrue(metrics.contains("sim_queued_requests 0\n"), metrics);
        }
    }

    private static H2PriorKnowledgeClient.Response sendQuietly(final H2PriorKnowledgeClient client, final GoldenVectors.Vector vector)
    {
        try
        {
            return client.send("POST", "/infer", Map.of("x-cpu-passes", Integer.toString(vector.cpuPasses())), vector.body());
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static HttpResponse<String> send(
        final HttpClient client, final String method, final String path, final Map<String, String> headers, final byte[] body)
        throws Exception
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri(simulator, path))
            .timeout(TIMEOUT)
            .method(method, null == body ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** @return "status body" of one HTTP/1.1 response with a Content-Length. */
    private static String readResponse(final InputStream in) throws Exception
    {
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n"))
        {
            final int b = in.read();
            if (-1 == b)
            {
                throw new IllegalStateException("connection closed inside a response head: " + head);
            }
            head.append((char)b);
        }
        final String[] lines = head.toString().split("\r\n");
        final String status = lines[0].split(" ")[1];
        int contentLength = -1;
        for (final String line : lines)
        {
            if (line.toLowerCase().startsWith("content-length:"))
            {
                contentLength = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        return status + " " + new String(in.readNBytes(contentLength), StandardCharsets.UTF_8);
    }
}
