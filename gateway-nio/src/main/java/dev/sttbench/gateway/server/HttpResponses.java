package dev.sttbench.gateway.server;

import java.nio.charset.StandardCharsets;

/** The plain HTTP/1.1 responses the gateway sends; each closes the connection. */
final class HttpResponses
{
    static final byte[] BAD_REQUEST = status("400 Bad Request");
    static final byte[] NOT_FOUND = status("404 Not Found");
    static final byte[] METHOD_NOT_ALLOWED = status("405 Method Not Allowed");
    static final byte[] HEADERS_TOO_LARGE = status("431 Request Header Fields Too Large");
    static final byte[] SERVICE_UNAVAILABLE = status("503 Service Unavailable");
    static final byte[] REQUEST_TIMEOUT = status("408 Request Timeout");

    private HttpResponses()
    {
    }

    static byte[] ok(final String contentType, final String body)
    {
        final byte[] content = body.getBytes(StandardCharsets.UTF_8);
        final byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nContent-Length: " +
            content.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final byte[] response = new byte[head.length + content.length];
        System.arraycopy(head, 0, response, 0, head.length);
        System.arraycopy(content, 0, response, head.length, content.length);
        return response;
    }

    private static byte[] status(final String status)
    {
        return ("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    }
}
