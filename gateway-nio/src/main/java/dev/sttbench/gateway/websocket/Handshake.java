package dev.sttbench.gateway.websocket;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Hand-written HTTP/1.1 request head parser and RFC 6455 §4.2 opening handshake. It runs once per connection,
 * so it favours clarity over zero allocation.
 */
public final class Handshake
{
    /** Longest request head accepted; a longer one is answered 400. */
    public static final int MAX_REQUEST_HEAD = 8192;

    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int KEY_DECODED_LENGTH = 16;

    private final MessageDigest sha1;

    private String method;
    private String path;
    private String upgrade;
    private String connection;
    private String key;
    private String version;
    /** Sec-WebSocket-Key or Sec-WebSocket-Version came more than once. */
    private boolean repeated;

    public Handshake()
    {
        try
        {
            sha1 = MessageDigest.getInstance("SHA-1");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("the JDK always provides SHA-1", ex);
        }
    }

    /**
     * Index just past the blank line ending the request head in {@code bytes[0, length)}, or -1 if the head is
     * not complete yet.
     */
    public static int headEnd(final byte[] bytes, final int length)
    {
        return headEnd(bytes, 0, length);
    }

    /**
     * As {@link #headEnd(byte[], int)}, for a blank line that ends in {@code bytes[from, length)}: a head read in
     * pieces is searched once, not again from its start at every read.
     */
    public static int headEnd(final byte[] bytes, final int from, final int length)
    {
        for (int i = Math.max(3, from); i < length; i++)
        {
            if ('\n' == bytes[i] && '\r' == bytes[i - 1] && '\n' == bytes[i - 2] && '\r' == bytes[i - 3])
            {
                return i + 1;
            }
        }
        return -1;
    }

    /**
     * Parse a complete request head. Returns false when it is not a well-formed HTTP/1.1 request line
     * followed by header fields.
     */
    public boolean parse(final byte[] bytes, final int headLength)
    {
        method = null;
        path = null;
        upgrade = null;
        connection = null;
        key = null;
        version = null;
        repeated = false;

        final String head = new String(bytes, 0, headLength, StandardCharsets.ISO_8859_1);
        // Limit -1 keeps empty lines: a head that is only CRLF CRLF is one empty request line, not no line at all.
        final String[] lines = head.split("\r\n", -1);
        final String[] requestLine = lines[0].split(" ");
        if (3 != requestLine.length || !requestLine[2].startsWith("HTTP/1."))
        {
            return false;
        }
        method = requestLine[0];
        final int query = requestLine[1].indexOf('?');
        path = query < 0 ? requestLine[1] : requestLine[1].substring(0, query);

        for (int i = 1; i < lines.length; i++)
        {
            final String line = lines[i];
            if (line.isEmpty())
            {
                break;
            }
            final int colon = line.indexOf(':');
            if (colon <= 0)
            {
                return false;
            }
            final String name = line.substring(0, colon).trim();
            final String value = line.substring(colon + 1).trim();
            // Upgrade and Connection are lists: repeated, they read as one with their values joined (RFC 9110 §5.3).
            if (name.equalsIgnoreCase("Upgrade"))
            {
                upgrade = null == upgrade ? value : upgrade + "," + value;
            }
            else if (name.equalsIgnoreCase("Connection"))
            {
                connection = null == connection ? value : connection + "," + value;
            }
            else if (name.equalsIgnoreCase("Sec-WebSocket-Key"))
            {
                // RFC 6455 §11.3.1 and §11.3.5: once in a request; of two keys, neither is the one to answer.
                repeated |= null != key;
                key = value;
            }
            else if (name.equalsIgnoreCase("Sec-WebSocket-Version"))
            {
                repeated |= null != version;
                version = value;
            }
        }
        return true;
    }

    public String method()
    {
        return method;
    }

    public String path()
    {
        return path;
    }

    /**
     * Whether the parsed request is a valid RFC 6455 upgrade: Upgrade lists websocket, Connection lists upgrade,
     * version 13 and a key of 16 base64 bytes, each of these two sent once.
     */
    public boolean isValidUpgrade()
    {
        return !repeated && null != upgrade && containsToken(upgrade, "websocket") &&
            null != connection && containsToken(connection, "upgrade") &&
            "13".equals(version) && isValidKey(key);
    }

    /** The complete {@code 101 Switching Protocols} response for the parsed key. */
    public byte[] switchingProtocolsResponse()
    {
        sha1.reset();
        final byte[] digest = sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
        final String accept = Base64.getEncoder().encodeToString(digest);
        return ("HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean isValidKey(final String key)
    {
        if (null == key)
        {
            return false;
        }
        try
        {
            return KEY_DECODED_LENGTH == Base64.getDecoder().decode(key).length;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    private static boolean containsToken(final String headerValue, final String token)
    {
        for (final String part : headerValue.split(","))
        {
            if (part.trim().equalsIgnoreCase(token))
            {
                return true;
            }
        }
        return false;
    }
}
