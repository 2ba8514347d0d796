package dev.sttbench.gateway.websocket;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeTest
{
    private static final String RFC_REQUEST = "GET /ws/stt?x=1 HTTP/1.1\r\nHost: server.example.com\r\n" +
        "upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

    @Test
    void theRfc6455ExampleKeyGivesTheRfcAccept()
    {
        final byte[] bytes = RFC_REQUEST.getBytes(StandardCharsets.US_ASCII);
        assertEquals(bytes.length, Handshake.headEnd(bytes, bytes.length));
        final Handshake handshake = new Handshake();
        assertTrue(handshake.parse(bytes, bytes.length));
        assertEquals("GET", handshake.method());
        assertEquals("/ws/stt", handshake.path());
        assertTrue(handshake.isValidUpgrade());
        final String response = new String(handshake.switchingProtocolsResponse(), StandardCharsets.US_ASCII);
        assertTrue(response.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), response);
        assertTrue(response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), response);
        assertFalse(response.contains("Sec-WebSocket-Extensions"), "extensions are declined");
        assertTrue(response.endsWith("\r\n\r\n"));
    }

    @Test
    void anIncompleteHeadIsNotParsedYet()
    {
        final byte[] bytes = RFC_REQUEST.getBytes(StandardCharsets.US_ASCII);
        assertEquals(-1, Handshake.headEnd(bytes, bytes.length - 1));
    }

    @Test
    void aBlankLineStraddlingTheSearchStartIsFound()
    {
        final byte[] bytes = RFC_REQUEST.getBytes(StandardCharsets.US_ASCII);
        for (int from = bytes.length - 4; from < bytes.length; from++)
        {
            assertEquals(bytes.length, Handshake.headEnd(bytes, from, bytes.length), "from " + from);
        }
        assertEquals(-1, Handshake.headEnd(bytes, 0, bytes.length - 1));
    }

    @Test
    void repeatedUpgradeAndConnectionFieldsReadAsOneList()
    {
        assertTrue(upgrade(RFC_REQUEST.replace("Connection: keep-alive, Upgrade\r\n",
            "Connection: Upgrade\r\nConnection: keep-alive\r\n")));
        assertTrue(upgrade(RFC_REQUEST.replace("upgrade: WebSocket\r\n", "Upgrade: websocket\r\nUpgrade: h2c\r\n")));
        assertTrue(upgrade(RFC_REQUEST.replace("upgrade: WebSocket", "Upgrade: h2c, websocket")));
        assertFalse(upgrade(RFC_REQUEST.replace("upgrade: WebSocket\r\n", "Upgrade: h2c\r\nUpgrade: websocket2\r\n")));
    }

    @Test
    void invalidUpgradesAreRecognised()
    {
        assertFalse(upgrade(RFC_REQUEST.replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8")));
        assertFalse(upgrade(RFC_REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=")));
        assertFalse(upgrade(RFC_REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "!!!")));
        assertFalse(upgrade(RFC_REQUEST.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")));
        assertFalse(upgrade(RFC_REQUEST.replace("upgrade: WebSocket", "upgrade: h2c")));
        assertFalse(upgrade(RFC_REQUEST.replace("keep-alive, Upgrade", "keep-alive")));
        assertFalse(upgrade(RFC_REQUEST.replace("Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n")), "two keys");
        assertFalse(upgrade(RFC_REQUEST.replace("Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Version: 13\r\n")), "two versions");
        final Handshake handshake = new Handshake();
        final byte[] garbage = "hello\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertFalse(handshake.parse(garbage, garbage.length));
    }

    private static boolean upgrade(final String request)
    {
        final byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
        final Handshake handshake = new Handshake();
        return handshake.parse(bytes, bytes.length) && handshake.isValidUpgrade();
    }
}
