package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.net.Target;
import dev.sttbench.loadgen.net.WebSocketClientCodec;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * The upgrade of one connection. Its {@code Sec-WebSocket-Key} is derived from a per-process random seed
 * and the connection id, so nothing has to be kept per connection to check the server's accept key.
 */
final class Handshake {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final Target target;
    private final long seed;

    Handshake(Target target, long seed) {
        this.target = target;
        this.seed = seed;
    }

    /** Connection {@code id}'s key: 16 bytes base64, unpredictable without the seed. */
    String key(int id) {
        long a = mix(seed + id * GOLDEN_GAMMA);
        long b = mix(a + GOLDEN_GAMMA);
        byte[] nonce = new byte[16];
        ByteBuffer.wrap(nonce).putLong(a).putLong(b);
        return Base64.getEncoder().encodeToString(nonce);
    }

    byte[] request(int id) {
        return WebSocketClientCodec.upgradeRequest(target.hostHeader(), target.path(), key(id));
    }

    /** Why an upgrade failed: the cause it counts under and the response's own words. */
    record Rejection(Cause cause, String why) {
    }

    /** Judges a complete response head: null when it is a valid 101 for connection {@code id}. */
    Rejection judge(String head, int id) {
        int status = statusCode(head);
        int end = head.indexOf("\r\n");
        String statusLine = end < 0 ? head : head.substring(0, end);
        if (status == 503) {
            return new Rejection(Cause.HTTP_503, statusLine);
        }
        if (status != 101) {
            return new Rejection(status < 0 ? Cause.PROTOCOL : Cause.HTTP_OTHER, statusLine);
        }
        String problem = WebSocketClientCodec.checkUpgradeResponse(head, key(id));
        return problem == null ? null : new Rejection(Cause.PROTOCOL, problem);
    }

    /** The status code of an {@code HTTP/1.x NNN ...} status line, -1 when it is not one. */
    static int statusCode(String head) {
        int end = head.indexOf("\r\n");
        String line = end < 0 ? head : head.substring(0, end);
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].length() != 3) {
            return -1;
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** SplitMix64's finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
