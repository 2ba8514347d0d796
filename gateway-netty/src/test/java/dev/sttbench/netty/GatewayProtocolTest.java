package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;
import dev.sttbench.gateway.RawWebSocketClient;
import dev.sttbench.gateway.Pcm;
import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.sttbench.gateway.RawWebSocketClient.BINARY;
import static dev.sttbench.gateway.RawWebSocketClient.CLOSE;
import static dev.sttbench.gateway.RawWebSocketClient.CONTINUATION;
import static dev.sttbench.gateway.RawWebSocketClient.PING;
import static dev.sttbench.gateway.RawWebSocketClient.PONG;
import static dev.sttbench.gateway.RawWebSocketClient.TEXT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §1 framing and HTTP rules over raw sockets: every violation closes with the right code (gateway-nio's cases, run
 * against gateway-netty; the framing ones are answered by Netty's decoder).
 */
class GatewayProtocolTest
{
    private static InferenceSimulator simulator;
    private static NettyGateway gateway;

    @BeforeAll
    static void start()
    {
        simulator = Harness.simulator();
        gateway = NettyHarness.gateway(simulator.port(), "FLUSH_PHASE_JITTER_MS", "0");
    }

    @AfterAll
    static void stop()
    {
        gateway.close();
        simulator.close();
    }

    private static int closeCodeAfter(final boolean sendStart, final byte[]... frames) throws IOException
    {
        try (RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
        {
            if (sendStart)
            {
                client.sendStart();
            }
            for (final byte[] frame : frames)
            {
                client.sendRaw(frame);
            }
            return client.awaitCloseCode();
        }
    }

    private static byte[] audio()
    {
        return Pcm.frame(1, 1);
    }

    @Test
    void badStartMessagesAreProtocolErrors() throws IOException
    {
        assertEquals(1002, closeCodeAfter(false, RawWebSocketClient.frame(TEXT, true, bytes("not json"))));
        assertEquals(1002, closeCodeAfter(false, RawWebSocketClient.frame(TEXT, true, bytes("{\"type\":\"stop\"}"))));
        assertEquals(1002, closeCodeAfter(false, RawWebSocketClient.frame(TEXT, true, bytes("{\"kind\":\"start\"}"))));
        assertEquals(1002, closeCodeAfter(false, RawWebSocketClient.frame(TEXT, true, bytes("[\"start\"]"))));
        // Issue 11 #6: a number json-simple cannot hold was an exception that aborted the connection.
        assertEquals(1002, closeCodeAfter(false,
            RawWebSocketClient.frame(TEXT, true, bytes("{\"type\":\"start\",\"n\":1e99999999999}"))));
        final byte[] notUtf8 = bytes("{\"type\":\"start\",\"x\":\"..\"}");
        notUtf8[21] = (byte)0xC3;
        notUtf8[22] = (byte)0x28;
        assertEquals(1007, closeCodeAfter(false, RawWebSocketClient.frame(TEXT, true, notUtf8)),
            "RFC 6455 §8.1: a start message that is not UTF-8 fails with 1007");
    }

    @Test
    void startMessageOver4KiBIsTooBig() throws IOException
    {
        final byte[] big = bytes("{\"type\":\"start\",\"pad\":\"" + "x".repeat(5_000) + "\"}");
        assertEquals(1009, closeCodeAfter(false, RawWebSocketClient.frame(TEXT, true, big)));
        assertEquals(1009, closeCodeAfter(false, RawWebSocketClient.frame(TEXT, false, Arrays.copyOfRange(big, 0, 3_000)),
            RawWebSocketClient.frame(CONTINUATION, true, Arrays.copyOfRange(big, 3_000, big.length))), "in two fragments");
    }

    /** Netty's decoder skips blank lines before a request line (RFC 9112 §2.2): an empty head times out instead. */
    @Test
    void anIncompleteHeadIsAnsweredWith408() throws Exception
    {
        try (NettyGateway quick = NettyHarness.gateway(simulator.port(), "REQUEST_HEAD_TIMEOUT_MS", "300");
            RawWebSocketClient client = RawWebSocketClient.connect(quick.port()))
        {
            assertTrue(client.request("\r\n\r\nGET /health HTTP/1.1\r\n").startsWith("HTTP/1.1 408"));
            assertEquals(1, NettyHarness.metric(quick, "gateway_request_head_timeouts_total"));
        }
    }

    @Test
    void binaryBeforeStartAndTextAfterStartAreProtocolErrors() throws IOException
    {
        assertEquals(1002, closeCodeAfter(false, RawWebSocketClient.frame(BINARY, true, audio())));
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.frame(TEXT, true, bytes("{\"type\":\"start\"}"))));
    }

    @Test
    void framingViolationsAreProtocolErrors() throws IOException
    {
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.encode(0x80 | BINARY, false, audio())),
            "unmasked");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.encode(0x80 | 0x40 | BINARY, true, audio())),
            "RSV1");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.encode(0x80 | 0x10 | BINARY, true, audio())),
            "RSV3");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.encode(0x80 | 0x3, true, audio())),
            "reserved data opcode");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.encode(0x80 | 0xB, true, new byte[0])),
            "reserved control opcode");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.frame(PING, false, bytes("x"))),
            "fragmented control frame");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.frame(PING, true, new byte[126])),
            "control payload over 125 bytes");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.frame(CONTINUATION, true, audio())),
            "continuation without a message");
        assertEquals(1002, closeCodeAfter(true, RawWebSocketClient.frame(BINARY, false, new byte[320]),
            RawWebSocketClient.frame(BINARY, true, new byte[320])), "new message inside a fragmented one");
    }

    @Test
    void wrongAudioSizesAreUnsupportedData() throws IOException
    {
        assertEquals(1003, closeCodeAfter(true, RawWebSocketClient.frame(BINARY, true, new byte[639])));
        assertEquals(1003, closeCodeAfter(true, RawWebSocketClient.frame(BINARY, true, new byte[641])));
        assertEquals(1003, closeCodeAfter(true, RawWebSocketClient.frame(BINARY, true, new byte[0])));
        assertEquals(1003, closeCodeAfter(true, RawWebSocketClient.frame(BINARY, false, new byte[400]),
            RawWebSocketClient.frame(CONTINUATION, true, new byte[400])), "fragments adding up to 800 bytes");
    }

    @Test
    void fragmentedAndSplitFramesAreReassembledWithoutLoss() throws Exception
    {
        final long sessionId = 3;
        try (RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
        {
            client.sendStart();
            final byte[] first = Pcm.frame(sessionId, 1);
            client.send(BINARY, false, Arrays.copyOfRange(first, 0, 100));
            client.send(PING, true, bytes("between fragments"));
            client.send(CONTINUATION, false, Arrays.copyOfRange(first, 100, 333));
            client.send(CONTINUATION, true, Arrays.copyOfRange(first, 333, 640));
            for (long seq = 2; seq <= 40; seq++)
            {
                final byte[] frame = RawWebSocketClient.frame(BINARY, true, Pcm.frame(sessionId, seq));
                final int split = (int)(seq * 37 % frame.length);
                client.sendRaw(Arrays.copyOfRange(frame, 0, split));
                Thread.sleep(2);
                client.sendRaw(Arrays.copyOfRange(frame, split, frame.length));
            }
            RawWebSocketClient.Frame frame = client.readFrame();
            assertEquals(PONG, frame.opcode());
            assertEquals("between fragments", frame.text());
            long expectedOldest = 1;
            while (expectedOldest <= 40)
            {
                frame = client.readFrame();
                assertEquals(TEXT, frame.opcode());
                final JsonObject partial = Harness.json(frame.text());
                assertEquals("partial", partial.get("type"), frame.text());
                final long oldest = Harness.longOf(partial, "oldest_frame_seq");
                final long newest = Harness.longOf(partial, "newest_frame_seq");
                assertEquals(expectedOldest, oldest);
                assertEquals(Pcm.stub(Pcm.frames(sessionId, oldest, newest), 4).checksum(),
                    Harness.longOf(partial, "checksum"));
                expectedOldest = newest + 1;
            }
        }
    }

    @Test
    void pingIsAnsweredWithTheSamePayload() throws IOException
    {
        try (RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
        {
            final byte[] payload = new byte[125];
            Arrays.fill(payload, (byte)'p');
            client.send(PING, true, payload);
            final RawWebSocketClient.Frame pong = client.readFrame();
            assertEquals(PONG, pong.opcode());
            assertArrayEquals(payload, pong.payload());
        }
    }

    @Test
    void closeIsAnsweredWithinOneSecond() throws IOException
    {
        try (RawWebSocketClient client = RawWebSocketClient.upgrade(gateway.port()))
        {
            client.sendStart();
            client.sendRaw(RawWebSocketClient.frame(BINARY, true, audio()));
            final long started = System.nanoTime();
            client.send(CLOSE, true, new byte[]{ 0x03, (byte)0xE8 });
            client.soTimeout(1_000);
            assertEquals(1000, client.awaitCloseCode());
            assertTrue(System.nanoTime() - started < 1_000_000_000L);
            assertTrue(client.awaitEndOfStream(), "server closes TCP after the close handshake");
        }
    }

    /**
     * RFC 6455 §8.1: a close reason that is not UTF-8 fails the connection. Netty's decoder fails it by closing TCP
     * without a close frame (it has received the peer's close); gateway-nio answers 1007. Either way not 1000.
     */
    @Test
    void closeReasonMustBeUtf8() throws IOException
    {
        final byte[] valid = { 0x03, (byte)0xE8, 'c', (byte)0xC3, (byte)0xBC, 's' }; // 1000 "cüs"
        final byte[] invalid = { 0x03, (byte)0xE8, 'c', (byte)0xC3, 's' };             // 1000, truncated ü
        assertEquals(1000, closeCodeAfter(true, RawWebSocketClient.frame(CLOSE, true, valid)));
        assertEquals(-1, closeCodeAfter(true, RawWebSocketClient.frame(CLOSE, true, invalid)),
            "the connection is failed: closed without echoing the close");
    }

    @Test
    void httpRoutes() throws Exception
    {
        final HttpResponse<String> health = Harness.httpGet(gateway.port(), "/health");
        assertEquals(200, health.statusCode());
        assertEquals(Boolean.TRUE, Harness.json(health.body()).get("ok"));
        assertEquals(404, Harness.httpGet(gateway.port(), "/nope").statusCode());
        final HttpResponse<String> metrics = Harness.httpGet(gateway.port(), "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("gateway_sessions{loop=\"0\"}"), metrics.body());
        assertTrue(metrics.body().contains("gateway_flush_lateness_ms_bucket{le=\"+Inf\"}"), metrics.body());

        assertTrue(rawStatus("POST /ws/stt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").startsWith("HTTP/1.1 405"));
        assertTrue(rawStatus(upgradeRequest("Sec-WebSocket-Version: 13\r\n")).startsWith("HTTP/1.1 400"),
            "missing key");
        assertTrue(rawStatus(upgradeRequest("Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n"))
            .startsWith("HTTP/1.1 400"), "key not 16 bytes");
        assertTrue(rawStatus(upgradeRequest("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 12\r\n"))
            .startsWith("HTTP/1.1 400"), "version 12");
        assertTrue(rawStatus("garbage\r\n\r\n").startsWith("HTTP/1.1 400"));
        final String huge = upgradeRequest("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n" +
            "X-Padding: " + "a".repeat(100_000) + "\r\n");
        assertTrue(rawStatus(huge).startsWith("HTTP/1.1 431"), "a 100 KB head sent in one write");
    }

    @Test
    void upgradesPastMaxSessionsGet503() throws Exception
    {
        try (NettyGateway small = NettyHarness.gateway(simulator.port(), "MAX_SESSIONS", "2", "WORKER_THREADS", "1");
            RawWebSocketClient kept = RawWebSocketClient.upgrade(small.port());
            RawWebSocketClient third = RawWebSocketClient.connect(small.port()))
        {
            final RawWebSocketClient closed = RawWebSocketClient.upgrade(small.port());
            assertTrue(third.request(upgradeRequest("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n" +
                "Sec-WebSocket-Version: 13\r\n")).startsWith("HTTP/1.1 503"));
            assertEquals(1, NettyHarness.metric(small, "gateway_upgrades_rejected_total"));
            closed.close();
            assertTrue(upgradeSoon(small.port()), "a closed session's slot is reused");
            kept.sendStart();
        }
    }

    /**
     * Issue 11 #3: MAX_SESSIONS was split over the loops, so with two loops a cap of 5 admitted 6 when the kernel
     * put more connections on one loop, or refused with fewer open. One counter for all loops admits exactly 5.
     */
    @Test
    void maxSessionsIsExactWhateverTheLoopsConnectionsLandOn() throws Exception
    {
        try (NettyGateway capped = NettyHarness.gateway(simulator.port(), "MAX_SESSIONS", "5", "WORKER_THREADS", "2"))
        {
            for (int round = 0; round < 8; round++)
            {
                final java.util.List<RawWebSocketClient> admitted = new java.util.ArrayList<>();
                int refused = 0;
                for (int attempt = 0; attempt < 7; attempt++)
                {
                    try
                    {
                        admitted.add(RawWebSocketClient.upgrade(capped.port()));
                    }
                    catch (final IOException ex)
                    {
                        assertTrue(ex.getMessage().contains("503"), ex.getMessage());
                        refused++;
                    }
                }
                assertEquals(5, admitted.size(), "round " + round);
                assertEquals(2, refused, "round " + round);
                for (final RawWebSocketClient client : admitted)
                {
                    client.close();
                }
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (0 != sessions(capped) && System.nanoTime() < deadline)
                {
                    Thread.sleep(10);
                }
                assertEquals(0, sessions(capped), "round " + round);
            }
        }
    }

    private static long sessions(final NettyGateway gateway) throws Exception
    {
        return Harness.longOf(Harness.json(Harness.httpGet(gateway.port(), "/health").body()), "sessions");
    }

    private static boolean upgradeSoon(final int port) throws Exception
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                RawWebSocketClient.upgrade(port).close();
                return true;
            }
            catch (final IOException refused)
            {
                Thread.sleep(100);
            }
        }
        return false;
    }

    private static String upgradeRequest(final String extraHeaders)
    {
        return "GET /ws/stt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + extraHeaders + "\r\n";
    }

    private static String rawStatus(final String request) throws IOException
    {
        try (RawWebSocketClient client = RawWebSocketClient.connect(gateway.port()))
        {
            return client.request(request);
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
