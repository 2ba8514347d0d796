package dev.sttbench.netty;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.sim.InferenceSimulator;
import dev.sttbench.sim.SimConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Starts simulators and gateway-netty instances on ephemeral ports and speaks to them (as gateway-nio's tests). */
final class Harness
{
    private Harness()
    {
    }

    static Map<String, String> env(final String... keyValues)
    {
        final Map<String, String> env = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2)
        {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    static InferenceSimulator simulator(final String... keyValues)
    {
        final Map<String, String> env = env(keyValues);
        env.putIfAbsent("PORT", "0");
        env.putIfAbsent("WORKER_THREADS", "1");
        return InferenceSimulator.start(SimConfig.fromEnv(env));
    }

    static NettyGateway gateway(final int inferencePort, final String... keyValues)
    {
        final Map<String, String> env = env(keyValues);
        env.putIfAbsent("PORT", "0");
        env.putIfAbsent("WORKER_THREADS", "2");
        env.putIfAbsent("MAX_SESSIONS", "64");
        env.put("INFERENCE_URL", "http://127.0.0.1:" + inferencePort);
        return NettyGateway.start(GatewayConfig.fromEnv(env));
    }

    /** A port nothing listens on right now. */
    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    static JsonObject json(final String text)
    {
        try
        {
            return (JsonObject)Jsoner.deserialize(text);
        }
        catch (final JsonException ex)
        {
            throw new AssertionError("not JSON: " + text, ex);
        }
    }

    static long longOf(final JsonObject object, final String key)
    {
        return ((Number)object.get(key)).longValue();
    }

    static HttpResponse<String> httpGet(final int port, final String path) throws IOException, InterruptedException
    {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build())
        {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A gauge or counter value from the gateway's /metrics text. */
    static long metric(final NettyGateway gateway, final String series)
    {
        for (final String line : gateway.metricsText().split("\n"))
        {
            if (line.startsWith(series + " "))
            {
                return (long)Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no series " + series + " in\n" + gateway.metricsText());
    }

    record Received(String text, long nanos)
    {
    }

    /** {@code java.net.http.WebSocket}: an independent client for the happy path. */
    static final class JdkClient implements WebSocket.Listener, AutoCloseable
    {
        final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final HttpClient http = HttpClient.newHttpClient();
        final WebSocket socket;

        JdkClient(final int port)
        {
            socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/stt"), this).join();
        }

        void start()
        {
            socket.sendText("{\"type\":\"start\",\"session\":\"test\"}", true).join();
        }

        void sendFrame(final byte[] frame)
        {
            socket.sendBinary(ByteBuffer.wrap(frame), true).join();
        }

        Received next(final long timeoutMs) throws InterruptedException
        {
            final Received received = messages.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (null == received)
            {
                throw new AssertionError("no message within " + timeoutMs + " ms");
            }
            return received;
        }

        public CompletionStage<?> onText(final WebSocket webSocket, final CharSequence data, final boolean last)
        {
            text.append(data);
            if (last)
            {
                messages.add(new Received(text.toString(), System.nanoTime()));
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        public CompletionStage<?> onClose(final WebSocket webSocket, final int statusCode, final String reason)
        {
            closeCode.complete(statusCode);
            return null;
        }

        public void onError(final WebSocket webSocket, final Throwable error)
        {
            closeCode.completeExceptionally(error);
        }

        public void close()
        {
            socket.abort();
            http.close();
        }
    }
}
