package dev.sttbench.gateway;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 11 #2: past its file-descriptor limit the gateway must neither spin nor flood its log (accept fails with
 * EMFILE while the listener stays readable), and must serve again once descriptors free up.
 */
class FdLimitTest
{
    private static final int FD_LIMIT = 256;
    private static final int CONNECTIONS = 300;

    @Test
    void pastTheFdLimitAcceptPausesInsteadOfSpinningAndResumesByItself() throws Exception
    {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "needs Linux /proc to read the gateway's CPU time");
        final List<String> command = new ArrayList<>(List.of("bash", "-c", "ulimit -n " + FD_LIMIT + " && exec \"$@\"",
            "gateway", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(Gateway.JVM_FLAGS.split(" ")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(Harness.env("PORT", "0", "WORKER_THREADS", "2", "INFERENCE_URL",
            "http://127.0.0.1:9"));
        final Process process = builder.start();
        // Read its output all along: a gateway logging a line per failed accept would otherwise block on a full
        // pipe instead of showing its spin.
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Integer> listening = new CompletableFuture<>();
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader output =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = output.readLine()))
                {
                    log.add(line);
                    if (line.startsWith("listening port="))
                    {
                        listening.complete(Integer.parseInt(line.substring("listening port=".length())));
                    }
                }
            }
            catch (final IOException ignore)
            {
                // The process is gone.
            }
            listening.complete(-1);
        });
        reader.start();
        final List<Socket> clients = new ArrayList<>();
        try
        {
            final int port = listening.get(30, TimeUnit.SECONDS);
            assertTrue(port > 0, "the gateway did not start under ulimit -n " + FD_LIMIT + ": " + log);

            // Classes load lazily; from a jar that needs no new descriptor, from test-classes a file each: load
            // every class a session and the HTTP routes use before the descriptors run out.
            try (RawWebSocketClient session = RawWebSocketClient.upgrade(port))
            {
                session.sendStart();
                session.send(0x2, true, new byte[640]);
                session.send(0x8, true, new byte[]{ 0x03, (byte)0xE8 });
                assertEquals(1000, session.awaitCloseCode());
            }
            assertEquals(200, Harness.httpGet(port, "/health").statusCode());
            assertEquals(200, Harness.httpGet(port, "/metrics").statusCode());

            for (int i = 0; i < CONNECTIONS; i++)
            {
                final Socket socket = new Socket();
                try
                {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                    clients.add(socket);
                }
                catch (final IOException backlogFull)
                {
                    socket.close();
                }
            }
            Thread.sleep(500);
            final long cpuBefore = cpuTicks(process.pid());
            Thread.sleep(2_000);
            final long cpuTicks = cpuTicks(process.pid()) - cpuBefore;
            assertTrue(cpuTicks < 50, "the gateway spent " + cpuTicks + " ticks of CPU in 2 s at its fd limit: spinning");

            for (final Socket client : clients)
            {
                client.close();
            }
            clients.clear();
            boolean served = false;
            for (int attempt = 0; attempt < 40 && !served; attempt++)
            {
                try
                {
                    served = Harness.httpGet(port, "/health").statusCode() == 200;
                }
                catch (final IOException notYet)
                {
                    Thread.sleep(100);
                }
            }
            assertTrue(served, "no /health answer after the descriptors were freed: " + log);
            assertTrue(Harness.httpGet(port, "/metrics").body().matches("(?s).*gateway_accept_pauses_total [1-9].*"),
                "accept pauses are counted");
        }
        finally
        {
            for (final Socket client : clients)
            {
                client.close();
            }
            process.destroy();
            assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        }
        reader.join(5_000);
        final long acceptLines;
        synchronized (log)
        {
            acceptLines = log.stream().filter(l -> l.contains("accept failed")).count();
        }
        assertTrue(acceptLines <= 10, acceptLines + " accept-failure lines in ~3 s: not rate-limited");
        assertEquals(0, process.exitValue());
    }

    /** utime + stime of a process, in clock ticks. */
    private static long cpuTicks(final long pid) throws IOException
    {
        final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
