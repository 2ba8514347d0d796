package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.net.WebSocketClientCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A thread-per-connection WebSocket server that breaks the contract in one chosen way, for density's causes. */
final class ScriptedServer implements AutoCloseable {
    enum Script {
        /** Upgrades, then reads everything and answers nothing: pings go unanswered. */
        MUTE,
        /** Upgrades, then closes with 1001 at once. */
        CLOSE_AT_ONCE,
        /** Answers the upgrade with another key's accept. */
        WRONG_ACCEPT,
        /** Answers the upgrade with 404. */
        NOT_FOUND,
        /** Upgrades and answers pings, but never answers a close. */
        IGNORE_CLOSE,
        /** Upgrades, then sends a partial naming frames never sent. */
        PHANTOM_PARTIAL,
        /** Keeps the contract a silent session needs: pongs, and a close answered with a close and end of stream. */
        POLITE
    }

    private final ServerSocket server;
    private final Script script;
    private final Set<String> peers = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "scripted-server");
        thread.setDaemon(true);
        return thread;
    });

    ScriptedServer(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        threads.execute(this::accept);
    }

    /** The source addresses clients connected from. */
    Set<String> peers() {
        return Set.copyOf(peers);
    }

    String url() {
        return "ws://127.0.0.1:" + server.getLocalPort() + "/ws/stt";
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                peers.add(socket.getInetAddress().getHostAddress());
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            String key = null;
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.readUnsignedByte());
            }
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:")) {
                    key = line.substring(line.indexOf(':') + 1).trim();
                }
            }
            if (script == Script.NOT_FOUND) {
                write(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            String accept = WebSocketClientCodec.acceptFor(script == Script.WRONG_ACCEPT ? key + "x" : key);
            write(out, ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            switch (script) {
                case CLOSE_AT_ONCE -> write(out, frame(WebSocketClientCodec.OPCODE_CLOSE,
                        WebSocketClientCodec.closePayload(1001)));
                case PHANTOM_PARTIAL -> write(out, frame(WebSocketClientCodec.OPCODE_TEXT, ("{\"type\":\"partial\","
                        + "\"oldest_frame_seq\":1,\"newest_frame_seq\":1,\"frames\":1,\"rms\":1.5,\"zero_crossings\":3,"
                        + "\"checksum\":1,\"samples\":1280,\"transcript\":\"now\",\"audio_bytes\":640,\"cpu_passes\":4,"
                        + "\"model_delay_ms\":75,\"flush_lateness_ms\":0.25,\"inflight_model_jobs\":0}")
                        .getBytes(StandardCharsets.UTF_8)));
                default -> {
                }
            }
            readFrames(in, out);
        } catch (IOException e) {
            // the client went away
        }
    }

    /** Reads client frames until end of stream; answers pings only where the script says so. */
    private void readFrames(DataInputStream in, OutputStream out) throws IOException {
        while (true) {
            int b0 = in.read();
            if (b0 < 0) {
                return;
            }
            int b1 = in.readUnsignedByte();
            long length = b1 & 0x7F;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] mask = new byte[4];
            if ((b1 & 0x80) != 0) {
                in.readFully(mask);
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
            boolean answers = script == Script.IGNORE_CLOSE || script == Script.POLITE;
            if ((b0 & 0x0F) == WebSocketClientCodec.OPCODE_PING && answers) {
                write(out, frame(WebSocketClientCodec.OPCODE_PONG, payload));
            }
            if ((b0 & 0x0F) == WebSocketClientCodec.OPCODE_CLOSE && script == Script.POLITE) {
                write(out, frame(WebSocketClientCodec.OPCODE_CLOSE, payload));
                return;
            }
        }
    }

    private static byte[] frame(int opcode, byte[] payload) {
        byte[] frame = new byte[payload.length + (payload.length < 126 ? 2 : 4)];
        frame[0] = (byte) (0x80 | opcode);
        int at = 2;
        if (payload.length < 126) {
            frame[1] = (byte) payload.length;
        } else {
            frame[1] = 126;
            frame[2] = (byte) (payload.length >>> 8);
            frame[3] = (byte) payload.length;
            at = 4;
        }
        System.arraycopy(payload, 0, frame, at, payload.length);
        return frame;
    }

    private static void write(OutputStream out, byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
