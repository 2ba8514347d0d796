package dev.sttbench.loadgen.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WebSocketClientCodecTest {
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    @Test
    void acceptIsTheRfc6455Example() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketClientCodec.acceptFor(KEY));
    }

    @Test
    void upgradeRequestCarriesTheMandatoryHeaders() {
        String request = new String(WebSocketClientCodec.upgradeRequest("h:1", "/ws/stt", KEY), StandardCharsets.US_ASCII);
        assertTrue(request.startsWith("GET /ws/stt HTTP/1.1\r\nHost: h:1\r\n"));
        assertTrue(request.contains("Sec-WebSocket-Key: " + KEY + "\r\n"));
        assertTrue(request.contains("Sec-WebSocket-Version: 13\r\n"));
        assertTrue(request.endsWith("\r\n\r\n"));
    }

    @Test
    void upgradeResponseIsCheckedStrictly() {
        String good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        assertNull(WebSocketClientCodec.checkUpgradeResponse(good, KEY));
        assertTrue(WebSocketClientCodec.checkUpgradeResponse(good.replace("101 Switching Protocols", "404 Not Found"), KEY)
                .contains("404"));
        assertTrue(WebSocketClientCodec.checkUpgradeResponse(good.replace("xOo=", "xOx="), KEY).contains("Accept"));
        assertTrue(WebSocketClientCodec.checkUpgradeResponse(good.replace("Upgrade: websocket\r\n", ""), KEY)
                .contains("Upgrade"));
        assertTrue(WebSocketClientCodec.checkUpgradeResponse(
                good.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"), KEY)
                .contains("extensions"));
    }

    @Test
    void headEndFindsTheBlankLine() {
        ByteBuffer buf = ByteBuffer.wrap("HTTP/1.1 101 X\r\nA: b\r\n\r\nrest".getBytes(StandardCharsets.US_ASCII));
        assertEquals(24, WebSocketClientCodec.headEnd(buf, buf.limit()));
        assertEquals(-1, WebSocketClientCodec.headEnd(buf, 22));
    }

    @Test
    void encodedFrameIsMaskedAndDecodesBack() {
        byte[] payload = new byte[300];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        ByteBuffer buf = ByteBuffer.allocate(400);
        int length = WebSocketClientCodec.encodeMasked(buf, WebSocketClientCodec.OPCODE_BINARY, 0x01020304, payload);
        assertEquals(2 + 2 + 4 + 300, length);
        assertEquals((byte) 0x82, buf.get(0));
        assertEquals((byte) (0x80 | 126), buf.get(1));
        assertEquals(300, buf.getShort(2));
        byte[] key = {buf.get(4), buf.get(5), buf.get(6), buf.get(7)};
        assertEquals(4, key[0]);
        for (int i = 0; i < payload.length; i++) {
            assertEquals(payload[i], (byte) (buf.get(8 + i) ^ key[i & 3]));
        }
    }

    @Test
    void binaryHeaderForAPcmFrame() {
        ByteBuffer buf = ByteBuffer.allocate(8);
        WebSocketClientCodec.writeMaskedBinaryHeader16(buf, 0, 640);
        assertEquals((byte) 0x82, buf.get(0));
        assertEquals((byte) 0xFE, buf.get(1));
        assertEquals(640, buf.getShort(2));
    }
}
