package dev.sttbench.gateway;

import dev.sttbench.gateway.config.GatewayConfig;
import sun.misc.Signal;

import java.util.concurrent.CompletableFuture;

/** {@code java -jar gateway-nio.jar}: configuration from the environment; SIGTERM drains and exits 0. */
public final class Main
{
    private static final int EXIT_LOOP_FAILED = 1;
    private static final int EXIT_CONFIG = 2;

    private Main()
    {
    }

    public static void main(final String[] args)
    {
        final GatewayConfig config;
        try
        {
            config = GatewayConfig.fromEnv(System.getenv());
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("invalid configuration: " + ex.getMessage());
            System.exit(EXIT_CONFIG);
            return;
        }

        // Completes with null on SIGTERM/SIGINT, or with the cause when an event loop dies.
        final CompletableFuture<Throwable> stop = new CompletableFuture<>();
        Signal.handle(new Signal("TERM"), signal -> stop.complete(null));
        Signal.handle(new Signal("INT"), signal -> stop.complete(null));

        final Gateway gateway;
        try
        {
            gateway = Gateway.start(config);
        }
        catch (final IllegalArgumentException ex)
        {
            // The audio memory budget could not be derived: the cgroup's limit file holds no limit.
            System.err.println("invalid configuration: " + ex.getMessage());
            System.exit(EXIT_CONFIG);
            return;
        }
        gateway.loopFailure().thenAccept(stop::complete);
        System.out.println(gateway.describe());
        System.out.println("listening port=" + gateway.port());
        System.out.flush();

        final Throwable loopFailure = stop.join();
        System.out.println(null == loopFailure ? "draining" : "draining after an event loop failed: " + loopFailure);
        gateway.close();
        System.out.println("stopped");
        System.exit(null == loopFailure ? 0 : EXIT_LOOP_FAILED);
    }
}
