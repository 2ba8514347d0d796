package dev.sttbench.gateway;

import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static dev.sttbench.gateway.RawWebSocketClient.BINARY;
import static dev.sttbench.gateway.RawWebSocketClient.PING;
import static dev.sttbench.gateway.RawWebSocketClient.PONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 #1 and #7: nothing a client does holds a connection forever. Each test failed on the commit before
 * these timeouts (the connections stayed open); short configured values, not sleeps of the defaults.
 */
class TimeoutsTest
{
    private static InferenceSimulator simulator;
    private static Gateway gateway;

    @BeforeAll
    static void start()
    {
        simulator = Harness.simulator("MODEL_DELAY_MS", "2");
        gateway = Harness.gateway(simulator.port(), "REQUEST_HEAD_TIMEOUT_MS", "300", "START_TIMEOUT_MS", "300",
            "IDLE_TIMEOUT_MS", "600", "SEND_TIMEOUT_MS", "300", "FLUSH_INTERVAL_MS", "20",
            "FLUSH_PHASE_JITTER_MS", "0", "MODEL_DELAY_MS", "2", "READ_INTERVAL_MS", "100");
    }

    @AfterAll
    static void stop()
    {
        gateway.close();
        simulator.close();
    }

    @Test
    void aConnectionThatSendsNothingGets408AndIsClosed() throws IOException
    {
        try (RawWebSocketClient client = RawWebSocketClient.connect(gateway.port()))
        {
            client.soTimeout(5_000);
            assertTrue(client.readHead().startsWith("HTTP/1.1 408"));
            assertTrue(client.awaitEndOfStream());
        }
        assertTrue(Harness.metric(gateway, "gateway_request_head_timeouts_total") >= 1);
    }

    @Test
    void aTrickledRequestHeadTimesOut() throws Exception
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
            socket.setSoTimeout(5_000);
            final OutputStream out = socket.getOutputStream();
            final long start = System.nanoTime();
            try
            {
                for (int line = 0; line < 50; line++)
                {
                    out.write(("X-Slow-" + line + ": 1\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(50);
                }
            }
            catch (final IOException closedByTheGateway)
            {
                // Expected: the gateway gave up on the head.
            }
            final String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(System.nanoTime() - start < 2_000_000_000L, "closed long before the client gave up");
        }
    }

    @Test
    void anUpgradedConnectionWithoutStartMessageIsClosedWith1008() throws IOException
    {
        try (RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
        {
            client.soTimeout(5_000);
            assertEquals(1008, client.awaitCloseCode());
        }
        assertTrue(Harness.metric(gateway, "gateway_start_timeouts_total") >= 1);
    }

    @Test
    void aSilentSessionIsClosedWith1001AndPingsKeepOneOpen() throws Exception
    {
        try (RawWebSocketClient silent = RawWebSocketClient.upgrade(gateway.port());
            RawWebSocketClient pinging = RawWebSocketClient.upgrade(gateway.port()))
        {
            silent.soTimeout(5_000);
            pinging.soTimeout(5_000);
            silent.sendStart();
            pinging.sendStart();
            final long start = System.nanoTime();
            while (System.nanoTime() - start < 1_500_000_000L)
            {
                pinging.send(PING, true, new byte[] { 1 });
                assertEquals(PONG, pinging.readFrame().opcode());
                Thread.sleep(200);
            }
            assertEquals(1001, silent.awaitCloseCode(), "no frame for IDLE_TIMEOUT_MS");
            pinging.send(PING, true, new byte[] { 2 });
            assertEquals(PONG, pinging.readFrame().opcode(), "pinged every 200 ms: still open after 1.5 s");
        }
        assertTrue(Harness.metric(gateway, "gateway_idle_timeouts_total") >= 1);
    }

    /** Issue 11 #7: streaming audio while never reading the partials used to hold the slot for hours. */
    @Test
    void aClientThatNeverReadsIsClosed() throws Exception
    {
        final long before = Harness.metric(gateway, "gateway_send_timeouts_total");
        try (Socket socket = new Socket())
        {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
            final OutputStream out = socket.getOutputStream();
            out.write(("GET /ws/stt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16]) +
                "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(RawWebSocketClient.frame(RawWebSocketClient.TEXT, true,
                "{\"type\":\"start\"}".getBytes(StandardCharsets.US_ASCII)));
            final long deadline = System.nanoTime() + 60_000_000_000L;
            long seq = 0;
            try
            {
                while (Harness.metric(gateway, "gateway_send_timeouts_total") == before && System.nanoTime() < deadline)
                {
                    for (int i = 0; i < 10; i++)
                    {
                        out.write(RawWebSocketClient.frame(BINARY, true, Pcm.frame(7, ++seq)));
                    }
                    out.flush();
                    Thread.sleep(20);
                }
            }
            catch (final IOException closedByTheGateway)
            {
                // The gateway closed the connection while we were still sending.
            }
            final long waitUntil = System.nanoTime() + 5_000_000_000L;
            while (Harness.metric(gateway, "gateway_send_timeouts_total") == before && System.nanoTime() < waitUntil)
            {
                Thread.sleep(20);
            }
            assertEquals(before + 1, Harness.metric(gateway, "gateway_send_timeouts_total"),
                "closed for leaving its partials unread");
        }
    }
}
