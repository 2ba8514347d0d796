package dev.sttbench.loadgen.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Client side of RFC 6455 framing: the upgrade request, its response check, and masked frame encoding.
 * Server frames are decoded by {@link ServerFrame}.
 */
public final class WebSocketClientCodec {
    public static final int OPCODE_CONTINUATION = 0x0;
    public static final int OPCODE_TEXT = 0x1;
    public static final int OPCODE_BINARY = 0x2;
    public static final int OPCODE_CLOSE = 0x8;
    public static final int OPCODE_PING = 0x9;
    public static final int OPCODE_PONG = 0xA;

    public static final int FIN_BIT = 0x80;
    public static final int RSV_BITS = 0x70;
    public static final int MASK_BIT = 0x80;
    public static final int MAX_CONTROL_PAYLOAD = 125;
    public static final int LENGTH_16_MARKER = 126;
    public static final int LENGTH_64_MARKER = 127;
    public static final int MASK_KEY_BYTES = 4;

    /** Header of a masked frame whose payload needs the 16-bit extended length (126..65535 bytes). */
    public static final int MASKED_HEADER_16_BYTES = 2 + 2 + MASK_KEY_BYTES;
    public static final int MASK_KEY_OFFSET_16 = 4;

    public static final int CLOSE_NORMAL = 1000;
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};

    private WebSocketClientCodec() {
    }

    /** The upgrade request for {@code path} on {@code hostHeader} with the given 16-byte nonce, base64. */
    public static byte[] upgradeRequest(String hostHeader, String path, String secWebSocketKey) {
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + secWebSocketKey + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        return request.getBytes(StandardCharsets.US_ASCII);
    }

    /** A fresh {@code Sec-WebSocket-Key}: 16 random bytes, base64. */
    public static String newKey(RandomGenerator random) {
        byte[] nonce = new byte[16];
        ByteBuffer.wrap(nonce).putLong(random.nextLong()).putLong(random.nextLong());
        return Base64.getEncoder().encodeToString(nonce);
    }

    /** The {@code Sec-WebSocket-Accept} a server must answer to {@code key}. */
    public static String acceptFor(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] digest = sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is a mandatory JDK algorithm", e);
        }
    }

    /**
     * Index just past the blank line ending an HTTP response head in {@code buf[0, limit)}, or -1 if the
     * head is not complete yet.
     */
    public static int headEnd(ByteBuffer buf, int limit) {
        outer:
        for (int i = 0; i + HEADER_END.length <= limit; i++) {
            for (int j = 0; j < HEADER_END.length; j++) {
                if (buf.get(i + j) != HEADER_END[j]) {
                    continue outer;
                }
            }
            return i + HEADER_END.length;
        }
        return -1;
    }

    /**
     * Checks a complete upgrade response head; returns null when it is a valid {@code 101} for
     * {@code key}, else why not.
     */
    public static String checkUpgradeResponse(String head, String key) {
        String[] lines = head.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.1")) {
            return "malformed status line: " + lines[0];
        }
        if (!status[1].equals("101")) {
            return "upgrade answered " + lines[0];
        }
        String accept = null;
        boolean upgrade = false;
        boolean connection = false;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "sec-websocket-accept" -> accept = value;
                case "upgrade" -> upgrade = value.equalsIgnoreCase("websocket");
                case "connection" -> connection = value.toLowerCase(Locale.ROOT).contains("upgrade");
                case "sec-websocket-extensions" -> {
                    return "server negotiated extensions we did not offer: " + value;
                }
                default -> {
                }
            }
        }
        if (!upgrade || !connection) {
            return "101 without Upgrade: websocket / Connection: Upgrade";
        }
        if (!acceptFor(key).equals(accept)) {
            return "wrong Sec-WebSocket-Accept " + accept;
        }
        return null;
    }

    /**
     * Writes the fixed part of a masked binary frame header for a payload of 126..65535 bytes at
     * {@code offset}: FIN + opcode, mask bit + 16-bit length marker, the length. The 4-byte key follows
     * at {@code offset + MASK_KEY_OFFSET_16} and is written per frame.
     */
    public static void writeMaskedBinaryHeader16(ByteBuffer dst, int offset, int payloadLength) {
        dst.put(offset, (byte) (FIN_BIT | OPCODE_BINARY));
        dst.put(offset + 1, (byte) (MASK_BIT | LENGTH_16_MARKER));
        dst.put(offset + 2, (byte) (payloadLength >>> 8));
        dst.put(offset + 3, (byte) payloadLength);
    }

    /**
     * Encodes one frame at {@code dst}'s position with full control over the first byte (so conformance
     * checks can set reserved bits or unknown opcodes), masked with {@code maskKey} unless
     * {@code masked} is false. Returns the encoded length; advances the position.
     */
    public static int encodeFrame(ByteBuffer dst, int firstByte, boolean masked, int maskKey, byte[] payload) {
        int start = dst.position();
        int length = payload.length;
        dst.put((byte) firstByte);
        int maskBit = masked ? MASK_BIT : 0;
        if (length < LENGTH_16_MARKER) {
            dst.put((byte) (maskBit | length));
        } else if (length <= 0xFFFF) {
            dst.put((byte) (maskBit | LENGTH_16_MARKER)).putShort((short) length);
        } else {
            dst.put((byte) (maskBit | LENGTH_64_MARKER)).putLong(length);
        }
        if (masked) {
            ByteBuffer key = ByteBuffer.allocate(MASK_KEY_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, maskKey);
            dst.put(key.array());
            for (int i = 0; i < length; i++) {
                dst.put((byte) (payload[i] ^ key.get(i & 3)));
            }
        } else {
            dst.put(payload);
        }
        return dst.position() - start;
    }

    /** A final, masked frame of {@code opcode} carrying {@code payload}. */
    public static int encodeMasked(ByteBuffer dst, int opcode, int maskKey, byte[] payload) {
        return encodeFrame(dst, FIN_BIT | opcode, true, maskKey, payload);
    }

    /** Close payload: the 2-byte status code. */
    public static byte[] closePayload(int code) {
        return new byte[] {(byte) (code >>> 8), (byte) code};
    }
}
