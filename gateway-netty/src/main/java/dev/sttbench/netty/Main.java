package dev.sttbench.netty;

import sun.misc.Signal;

import java.util.concurrent.CountDownLatch;

/** {@code java -jar gateway-netty.jar}: configuration from the environment; SIGTERM drains and exits 0. */
public final class Main
{
    private static final int EXIT_CONFIG = 2;

    private Main()
    {
    }

    public static void main(final String[] args) throws InterruptedException
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

        final CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());

        final NettyGateway gateway = NettyGateway.start(config);
        System.out.println(gateway.describe());
        System.out.println("listening port=" + gateway.port());
        System.out.flush();

        stop.await();
        System.out.println("draining");
        gateway.close();
        System.out.println("stopped");
        System.exit(0);
    }
}
