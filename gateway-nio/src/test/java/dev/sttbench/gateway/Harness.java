package dev.sttbench.gateway;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.gateway.config.GatewayConfig;
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

/** Starts simulators and gateways on ephemeral ports and speaks to them. */
public final class Harness
{
    private Harness()
    {
    }

    public static Map<String, String> env(final String... keyValues)
    {
        final Map<String, String> env = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2)
        {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    public static InferenceSimulator simulator(final String... keyValues)
    {
        final Map<String, String> env = env(keyValues);
        env.putIfAbsent("PORT", "0");
        env.putIfAbsent("WORKER_THREADS", "1");
        return InferenceSimulator.start(SimConfig.fromEnv(env));
    }

    public static Gateway gateway(final int inferencePort, final String... keyValues)
    {
        final Map<String, String> env = env(keyValues);
        env.putIfAbsent("PORT", "0");
        env.putIfAbsent("WORKER_THREADS", "2");
        env.putIfAbsent("MAX_SESSIONS", "64");
        env.put("INFERENCE_URL", "http://127.0.0.1:" + inferencePort);
        return Gateway.start(GatewayConfig.fromEnv(env));
    }

    /** A port nothing listens on right now. */
    public static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    public static JsonObject json(final String text)
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

    public static long longOf(final JsonObject object, final String key)
    {
        return ((Number)object.get(key)).longValue();
    }

    public static HttpResponse<String> httpGet(final int port, final String path) throws IOException, InterruptedException
    {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build())
        {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A gauge or counter value from the gateway's /metrics text. */
    public static long metric(final Gateway gateway, final String series)
    {
        return metric(gateway.metricsText(), series);
    }

    /** A gauge or counter value from a /metrics text, of whichever gateway wrote it. */
    public static long metric(final String metricsText, final String series)
    {
        for (final String line : metricsText.split("\n"))
        {
            if (line.startsWith(series + " "))
            {
                return (long)Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no series " + series + " in\n" + metricsText);
    }

    public record Received(String text, long nanos)
    {
    }

    /** {@code java.net.http.WebSocket}: an independent client for the happy path. */
    public static final class JdkClient implements WebSocket.Listener, AutoCloseable
    {
        public final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
        public final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final HttpClient http = HttpClient.newHttpClient();
        final WebSocket socket;

        public JdkClient(final int port)
        {
            socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/stt"), this).join();
        }

        public void start()
        {
            socket.sendText("{\"type\":\"start\",\"session\":\"test\"}", true).join();
        }

        public void sendFrame(final byte[] frame)
        {
            socket.sendBinary(ByteBuffer.wrap(frame), true).join();
        }

        public Received next(final long timeoutMs) throws InterruptedException
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
