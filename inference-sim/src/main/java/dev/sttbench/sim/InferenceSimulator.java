package dev.sttbench.sim;

import dev.sttbench.sim.metrics.SimMetrics;
import dev.sttbench.sim.server.SimServer;

import java.util.SplittableRandom;

/**
 * The inference simulator in process: {@code try (var sim = InferenceSimulator.start(config)) { sim.port(); }}.
 */
public final class InferenceSimulator implements AutoCloseable
{
    private final SimServer server;

    private InferenceSimulator(final SimServer server)
    {
        this.server = server;
    }

    /**
     * Bind {@link SimConfig#port()} (0 = ephemeral) and serve until {@link #close()}.
     *
     * @param config configuration.
     * @return the running simulator.
     * @throws IllegalStateException when the address cannot be bound.
     */
    public static InferenceSimulator start(final SimConfig config)
    {
        return new InferenceSimulator(SimServer.start(config, new SplittableRandom()));
    }

    /** @return the bound port. */
    public int port()
    {
        return server.port();
    }

    /** @return the live counters behind GET /metrics. */
    public SimMetrics metrics()
    {
        return server.endpoint().metrics();
    }

    /** @return connections open now. */
    public int connections()
    {
        return server.connections();
    }

    /**
     * Reset every open connection at once, without GOAWAY (as a crashed upstream or a middlebox would), and keep
     * listening: for clients' fault tests.
     */
    public void dropConnections()
    {
        server.dropConnections();
    }

    public void close()
    {
        server.close();
    }
}
