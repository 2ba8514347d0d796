package dev.sttbench.loadgen.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sttbench.loadgen.net.Target;
import dev.sttbench.loadgen.net.WebSocketClientCodec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HandshakeTest {
    private final Handshake handshake = new Handshake(Target.parse("ws://127.0.0.1:8080/ws/stt"), 42);

    private String accepted(int id) {
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + WebSocketClientCodec.acceptFor(handshake.key(id)) + "\r\n\r\n";
    }

    @Test
    void keysAreSixteenBytesDistinctPerConnectionAndPerSeed() {
        Set<String> keys = new HashSet<>();
        for (int id = 0; id < 10_000; id++) {
            String key = handshake.key(id);
            assertEquals(16, Base64.getDecoder().decode(key).length);
            assertTrue(keys.add(key), "key of " + id + " repeats");
        }
        assertEquals(handshake.key(7), handshake.key(7), "derived, so nothing is stored per connection");
        assertNotEquals(handshake.key(7), new Handshake(Target.parse("ws://127.0.0.1:8080/ws/stt"), 43).key(7));
        String request = new String(handshake.request(7), StandardCharsets.US_ASCII);
        assertTrue(request.startsWith("GET /ws/stt HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"), request);
        assertTrue(request.contains("Sec-WebSocket-Key: " + handshake.key(7) + "\r\n"), request);
    }

    @Test
    void onlyA101WithTheRightAcceptKeyPasses() {
        assertNull(handshake.judge(accepted(3), 3));
        assertEquals(Cause.PROTOCOL, handshake.judge(accepted(3), 4).cause(), "another connection's accept key");
        assertEquals(Cause.HTTP_503, handshake.judge("HTTP/1.1 503 Service Unavailable\r\n\r\n", 3).cause());
        assertEquals(Cause.HTTP_OTHER, handshake.judge("HTTP/1.1 404 Not Found\r\n\r\n", 3).cause());
        assertEquals("HTTP/1.1 404 Not Found", handshake.judge("HTTP/1.1 404 Not Found\r\n\r\n", 3).why());
        assertEquals(Cause.PROTOCOL, handshake.judge("SSH-2.0-OpenSSH\r\n\r\n", 3).cause());
        assertEquals(Cause.PROTOCOL, handshake.judge("HTTP/1.1 101 Switching Protocols\r\n\r\n", 3).cause(),
                "a 101 without the upgrade headers");
        assertEquals(-1, Handshake.statusCode("HTTP/1.1 1O1 x\r\n\r\n"));
        assertEquals(101, Handshake.statusCode("HTTP/1.0 101\r\n\r\n"));
    }
}
