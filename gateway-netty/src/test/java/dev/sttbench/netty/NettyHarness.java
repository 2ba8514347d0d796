package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;

import java.util.Map;

/** Starts gateway-netty on an ephemeral port; everything else comes from gateway-nio's test {@link Harness}. */
final class NettyHarness
{
    private NettyHarness()
    {
    }

    static NettyGateway gateway(final int inferencePort, final String... keyValues)
    {
        final Map<String, String> env = Harness.env(keyValues);
        env.putIfAbsent("PORT", "0");
        env.putIfAbsent("WORKER_THREADS", "2");
        env.putIfAbsent("MAX_SESSIONS", "64");
        env.put("INFERENCE_URL", "http://127.0.0.1:" + inferencePort);
        return NettyGateway.start(GatewayConfig.fromEnv(env));
    }

    static long metric(final NettyGateway gateway, final String series)
    {
        return Harness.metric(gateway.metricsText(), series);
    }
}
