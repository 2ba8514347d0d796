package dev.sttbench.gateway;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/** A deliberately low-level WebSocket client for tests: any frame bits, any split, raw reads. */
public final class RawWebSocketClient implements AutoCloseable
{
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CONTINUATION = 0x0;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    public record Frame(int opcode, boolean fin, byte[] payload)
    {
        public String text()
        {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public int closeCode()
        {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    private RawWebSocketClient(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Open a TCP connection without any handshake. */
    public static RawWebSocketClient connect(final int port) throws IOException
    {
        final Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return new RawWebSocketClient(socket);
    }

    /** Connect and complete a valid upgrade to /ws/stt. */
    public static RawWebSocketClient upgrade(final int port) throws IOException
    {
        final RawWebSocketClient client = connect(port);
        final String status = client.request("GET /ws/stt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
            "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16]) +
            "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        if (!status.startsWith("HTTP/1.1 101"))
        {
            client.close();
            throw new IOException("upgrade refused: " + status);
        }
        return client;
    }

    /** Send a raw request and return the response head. */
    public String request(final String request) throws IOException
    {
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readHead();
    }

    public String readHead() throws IOException
    {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4)
        {
            final int b = in.read();
            if (b < 0)
            {
                throw new EOFException("connection closed in response head: " + head);
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** Read whatever the server sends until it closes; the body of a plain HTTP response. */
    public String readToEnd() throws IOException
    {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** A client frame with any first byte (FIN, RSV, opcode), masked or not, with a random mask. */
    public static byte[] encode(final int firstByte, final boolean masked, final byte[] payload)
    {
        final ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(firstByte);
        final int maskBit = masked ? 0x80 : 0;
        if (payload.length <= 125)
        {
            frame.write(maskBit | payload.length);
        }
        else if (payload.length <= 0xFFFF)
        {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xFF);
        }
        else
        {
            frame.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8)
            {
                frame.write((int)((long)payload.length >>> shift) & 0xFF);
            }
        }
        if (!masked)
        {
            frame.writeBytes(payload);
            return frame.toByteArray();
        }
        final byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.writeBytes(mask);
        for (int i = 0; i < payload.length; i++)
        {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        return frame.toByteArray();
    }

    public static byte[] frame(final int opcode, final boolean fin, final byte[] payload)
    {
        return encode((fin ? 0x80 : 0) | opcode, true, payload);
    }

    public void sendRaw(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
    }

    public void send(final int opcode, final boolean fin, final byte[] payload) throws IOException
    {
        sendRaw(frame(opcode, fin, payload));
    }

    public void sendText(final String text) throws IOException
    {
        send(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendStart() throws IOException
    {
        sendText("{\"type\":\"start\"}");
    }

    /** Read one server frame (server frames are never masked). */
    public Frame readFrame() throws IOException
    {
        final int b0 = in.readUnsignedByte();
        final int b1 = in.readUnsignedByte();
        if ((b1 & 0x80) != 0)
        {
            throw new IOException("server frame is masked");
        }
        long length = b1 & 0x7F;
        if (126 == length)
        {
            length = in.readUnsignedShort();
        }
        else if (127 == length)
        {
            length = in.readLong();
        }
        final byte[] payload = new byte[(int)length];
        in.readFully(payload);
        return new Frame(b0 & 0x0F, (b0 & 0x80) != 0, payload);
    }

    /** Read frames until a close frame and return its code; -1 if the socket closed first. */
    public int awaitCloseCode() throws IOException
    {
        try
        {
            while (true)
            {
                final Frame frame = readFrame();
                if (CLOSE == frame.opcode())
                {
                    return frame.closeCode();
                }
            }
        }
        catch (final EOFException | SocketTimeoutException ex)
        {
            return -1;
        }
    }

    /** True when the server closes the TCP connection (EOF or reset) within the socket timeout. */
    public boolean awaitEndOfStream() throws IOException
    {
        final InputStream raw = socket.getInputStream();
        try
        {
            while (raw.read() >= 0)
            {
                continue;
            }
            return true;
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    public void soTimeout(final int millis) throws IOException
    {
        socket.setSoTimeout(millis);
    }

    public void close() throws IOException
    {
        socket.close();
    }
}
