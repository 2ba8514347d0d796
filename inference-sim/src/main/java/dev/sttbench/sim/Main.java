package dev.sttbench.sim;

import java.io.PrintStream;
import java.util.Map;

/** {@code java -jar inference-sim.jar}: configuration from the environment (PROTOCOL.md §5). */
public final class Main
{
    /** Exit status for a malformed environment variable. */
    static final int EXIT_BAD_CONFIG = 2;
    /** Exit status when the server cannot start (e.g. the port is taken). */
    static final int EXIT_START_FAILED = 1;

    private Main()
    {
    }

    public static void main(final String[] args)
    {
        final int status = run(System.getenv(), System.out, System.err);
        if (0 != status)
        {
            System.exit(status);
        }
    }

    /**
     * Start the simulator and return, leaving its event loops running until SIGTERM (a shutdown hook closes it).
     *
     * @param env environment.
     * @param out receives the effective configuration and the {@code listening port=<N>} line.
     * @param err receives startup errors.
     * @return 0 when started, else the exit status.
     */
    static int run(final Map<String, String> env, final PrintStream out, final PrintStream err)
    {
        final SimConfig config;
        try
        {
            config = SimConfig.fromEnv(env);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("inference-sim: " + ex.getMessage());
            return EXIT_BAD_CONFIG;
        }

        out.println("inference-sim: " + config);
        final InferenceSimulator simulator;
        try
        {
            simulator = InferenceSimulator.start(config);
        }
        catch (final IllegalStateException ex)
        {
            err.println("inference-sim: " + ex.getMessage());
            return EXIT_START_FAILED;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(simulator::close, "inference-sim-shutdown"));
        out.println("listening port=" + simulator.port());
        out.flush();
        return 0;
    }
}
