package dev.sttbench.gateway.server;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sttbench.gateway.websocket.Handshake;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of the request-head path, {@link HttpConnection#append} then {@link Handshake#parse} and
 * {@link Handshake#isValidUpgrade}, with Jazzer ({@code make fuzz}); under {@code mvn verify} it replays the committed
 * corpus in {@code src/test/resources/.../RequestHeadFuzzTestInputs/requestHead/}.
 * <p>
 * Input: byte 0 chooses how the bytes are split into reads, byte 1 how many 48-byte padding header lines to insert
 * after the request line (so that short inputs reach the 8192-byte limit), the rest is what the client sends.
 * Checked: nothing throws; each read's outcome follows from where the head ends and from the limit alone, whatever
 * the split (431 past {@link Handshake#MAX_REQUEST_HEAD}); a head that a strict RFC 9112 / RFC 6455 parser written
 * here accepts gets the same method, path and upgrade verdict from {@link Handshake}, and a valid upgrade answers
 * with {@code Sec-WebSocket-Accept} = base64(SHA-1(key + GUID)) of the key sent.
 */
class RequestHeadFuzzTest
{
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final byte[] PAD_LINE = ("X-Pad: " + "a".repeat(39) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    /** Where the event loop reads into: a direct buffer of 256 KiB, the most one read takes. */
    private static final ByteBuffer SOCKET_READ = ByteBuffer.allocateDirect(256 * 1024);

    @FuzzTest
    // In libFuzzer's dictionary syntax: CR LF is written \x0D\x0A.
    @DictionaryEntries({
        "GET", " /ws/stt ", "HTTP/1.1", "\\x0D\\x0A", "\\x0D\\x0A\\x0D\\x0A", ": ", ", ", "Upgrade", "websocket",
        "Connection", "keep-alive", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13", "Host"})
    void requestHead(final byte[] input)
    {
        if (input.length < 2)
        {
            return;
        }
        final byte[] bytes = pad(Arrays.copyOfRange(input, 2, input.length), input[1] & 0xFF);
        final int headEnd = referenceHeadEnd(bytes);

        final HttpConnection connection = newConnection();
        final SplittableRandom chunks = new SplittableRandom(input[0] & 0xFF);
        final int maxChunk = 4 << (3 * ((input[0] & 0xFF) >>> 6));
        int read = 0;
        int outcome = HttpConnection.INCOMPLETE;
        while (read < bytes.length && HttpConnection.INCOMPLETE == outcome)
        {
            final int chunk = Math.min(Math.min(bytes.length - read, SOCKET_READ.capacity()),
                Math.max(1 + chunks.nextInt(maxChunk), bytes.length / 128));
            final ByteBuffer socketRead = SOCKET_READ.clear().put(bytes, read, chunk).flip();
            outcome = connection.append(socketRead);
            read += chunk;
            assertEquals(0, socketRead.remaining(), "the read is taken whole");
            assertEquals(read, connection.length());
            checkOutcome(outcome, headEnd, read);
        }
        assertArrayEquals(Arrays.copyOf(bytes, read), Arrays.copyOf(connection.bytes(), read), "the bytes read, in order");
        assertEquals(outcome, newConnection().append(ByteBuffer.wrap(bytes, 0, read)), "the same bytes in one read");
        if (outcome < 0)
        {
            return;
        }

        final Handshake handshake = new Handshake();
        final boolean parsed = handshake.parse(connection.bytes(), outcome);
        final boolean validUpgrade = parsed && handshake.isValidUpgrade();
        final String accept = validUpgrade ? acceptOf(handshake.switchingProtocolsResponse()) : null;
        if (parsed)
        {
            assertTrue(null != handshake.method() && null != handshake.path(), "a parsed head has a method and a path");
        }

        final StrictHead strict = StrictHead.parse(Arrays.copyOf(bytes, outcome));
        if (null != strict)
        {
            assertTrue(parsed, "a well-formed head parses");
            assertEquals(strict.method, handshake.method());
            assertEquals(strict.path, handshake.path());
            assertEquals(strict.isValidUpgrade(), validUpgrade, "upgrade verdict of a well-formed head");
            if (validUpgrade)
            {
                assertEquals(acceptFor(strict.values("sec-websocket-key").getFirst()), accept);
            }
        }
        else if (validUpgrade)
        {
            // A head only the lenient parser takes: the accept must still come from a key the client sent.
            final List<String> sent = headerValues(new String(bytes, 0, outcome, StandardCharsets.ISO_8859_1));
            assertTrue(sent.stream().anyMatch(value -> acceptFor(value).equals(accept)), "accept of a key that was sent");
        }
    }

    /** Without a loop: only its head timer, which never runs here, needs one. */
    private static HttpConnection newConnection()
    {
        return new HttpConnection(null);
    }

    private static void checkOutcome(final int outcome, final int headEnd, final int read)
    {
        final boolean endRead = headEnd >= 0 && headEnd <= read;
        final boolean tooLong = endRead ? headEnd > Handshake.MAX_REQUEST_HEAD : read > Handshake.MAX_REQUEST_HEAD;
        if (HttpConnection.INCOMPLETE == outcome)
        {
            assertTrue(!endRead && !tooLong, () -> "incomplete after " + read + " bytes, head end " + headEnd);
        }
        else if (HttpConnection.TOO_LONG == outcome)
        {
            // The event loop answers this with 431.
            assertTrue(tooLong, () -> "too long after " + read + " bytes, head end " + headEnd);
            assertTrue(new String(HttpResponses.HEADERS_TOO_LARGE, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 431 "));
        }
        else if (outcome >= 0)
        {
            assertTrue(endRead && !tooLong, () -> "head end " + outcome + " after " + read + " bytes, expected " + headEnd);
            assertEquals(headEnd, outcome);
        }
        else
        {
            fail("unknown outcome " + outcome);
        }
    }

    /** Padding header lines after the first line (or at the end when there is none). */
    private static byte[] pad(final byte[] bytes, final int lines)
    {
        int at = bytes.length;
        for (int i = 0; i + 1 < bytes.length; i++)
        {
            if ('\r' == bytes[i] && '\n' == bytes[i + 1])
            {
                at = i + 2;
                break;
            }
        }
        final byte[] padded = new byte[bytes.length + lines * PAD_LINE.length];
        System.arraycopy(bytes, 0, padded, 0, at);
        for (int i = 0; i < lines; i++)
        {
            System.arraycopy(PAD_LINE, 0, padded, at + i * PAD_LINE.length, PAD_LINE.length);
        }
        System.arraycopy(bytes, at, padded, at + lines * PAD_LINE.length, bytes.length - at);
        return padded;
    }

    private static int referenceHeadEnd(final byte[] bytes)
    {
        final int blankLine = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
        return blankLine < 0 ? -1 : blankLine + 4;
    }

    private static String acceptOf(final byte[] response)
    {
        final String text = new String(response, StandardCharsets.US_ASCII);
        assertTrue(text.startsWith("HTTP/1.1 101 Switching Protocols\r\n") && text.endsWith("\r\n\r\n"), text);
        final List<String> lines = List.of(text.substring(0, text.length() - 4).split("\r\n", -1));
        assertTrue(lines.contains("Upgrade: websocket") && lines.contains("Connection: Upgrade"), text);
        final String prefix = "Sec-WebSocket-Accept: ";
        final List<String> accepts = lines.stream().filter(line -> line.startsWith(prefix)).toList();
        assertEquals(1, accepts.size(), text);
        final String accept = accepts.getFirst().substring(prefix.length());
        assertEquals(20, Base64.getDecoder().decode(accept).length, text);
        return accept;
    }

    private static String acceptFor(final String key)
    {
        try
        {
            final byte[] digest = MessageDigest.getInstance("SHA-1")
                .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(digest);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new AssertionError(ex);
        }
    }

    /** Every "name: value" line's value, with surrounding whitespace and control characters removed. */
    private static List<String> headerValues(final String head)
    {
        final List<String> values = new ArrayList<>();
        for (final String line : head.split("\r\n"))
        {
            final int colon = line.indexOf(':');
            if (colon > 0)
            {
                values.add(line.substring(colon + 1).trim());
            }
        }
        return values;
    }

    /**
     * A strict reading of a request head (RFC 9112 §3 and §5): {@code method SP target SP HTTP/1.d CRLF}, then
     * {@code token ":" OWS value OWS CRLF} lines with no control characters but HTAB, then CRLF. Null when the head
     * is not that. Upgrade validity as RFC 6455 §4.2.1 states it: Upgrade and Connection are token lists (repeated
     * fields combine), Sec-WebSocket-Key and Sec-WebSocket-Version appear once, the key is 16 bytes of base64, the
     * version 13. Like {@link Handshake}, it leaves the method, Host and the HTTP minor version to others.
     */
    private static final class StrictHead
    {
        final String method;
        final String path;
        private final List<String[]> fields = new ArrayList<>();

        private StrictHead(final String method, final String path)
        {
            this.method = method;
            this.path = path;
        }

        static StrictHead parse(final byte[] head)
        {
            final String text = new String(head, StandardCharsets.ISO_8859_1);
            int lineStart = 0;
            int lineEnd = text.indexOf("\r\n");
            final String requestLine = text.substring(0, lineEnd);
            final int firstSpace = requestLine.indexOf(' ');
            final int secondSpace = requestLine.indexOf(' ', firstSpace + 1);
            if (firstSpace <= 0 || secondSpace <= firstSpace + 1 || requestLine.indexOf(' ', secondSpace + 1) >= 0)
            {
                return null;
            }
            final String method = requestLine.substring(0, firstSpace);
            final String target = requestLine.substring(firstSpace + 1, secondSpace);
            final String version = requestLine.substring(secondSpace + 1);
            if (!isToken(method) || !target.chars().allMatch(c -> c > 0x20 && c < 0x7F) ||
                !version.matches("HTTP/1\\.[0-9]"))
            {
                return null;
            }
            final int query = target.indexOf('?');
            final StrictHead parsed = new StrictHead(method, query < 0 ? target : target.substring(0, query));

            lineStart = lineEnd + 2;
            while (true)
            {
                lineEnd = text.indexOf("\r\n", lineStart);
                final String line = text.substring(lineStart, lineEnd);
                if (line.isEmpty())
                {
                    return lineEnd + 2 == text.length() ? parsed : null;
                }
                final int colon = line.indexOf(':');
                if (colon <= 0 || !isToken(line.substring(0, colon)))
                {
                    return null;
                }
                final String value = stripOws(line.substring(colon + 1));
                if (!value.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c != 0x7F)))
                {
                    return null;
                }
                parsed.fields.add(new String[] { line.substring(0, colon).toLowerCase(Locale.ROOT), value });
                lineStart = lineEnd + 2;
            }
        }

        List<String> values(final String lowerCaseName)
        {
            return fields.stream().filter(field -> field[0].equals(lowerCaseName)).map(field -> field[1]).toList();
        }

        boolean isValidUpgrade()
        {
            final List<String> keys = values("sec-websocket-key");
            return hasToken(values("upgrade"), "websocket") && hasToken(values("connection"), "upgrade") &&
                List.of("13").equals(values("sec-websocket-version")) && 1 == keys.size() && isKey(keys.getFirst());
        }

        private static boolean isKey(final String key)
        {
            try
            {
                return 16 == Base64.getDecoder().decode(key).length;
            }
            catch (final IllegalArgumentException ex)
            {
                return false;
            }
        }

        private static boolean hasToken(final List<String> fieldValues, final String token)
        {
            for (final String value : fieldValues)
            {
                for (final String element : value.split(",", -1))
                {
                    if (stripOws(element).equalsIgnoreCase(token))
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        private static String stripOws(final String value)
        {
            int from = 0;
            int to = value.length();
            while (from < to && (' ' == value.charAt(from) || '\t' == value.charAt(from)))
            {
                from++;
            }
            while (to > from && (' ' == value.charAt(to - 1) || '\t' == value.charAt(to - 1)))
            {
                to--;
            }
            return value.substring(from, to);
        }

        private static boolean isToken(final String text)
        {
            return !text.isEmpty() && text.chars().allMatch(
                c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
        }
    }
}
