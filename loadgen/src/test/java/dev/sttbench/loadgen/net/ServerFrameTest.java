package dev.sttbench.loadgen.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ServerFrameTest {
    private final ServerFrame frame = new ServerFrame();

    private int decode(int... bytes) {
        ByteBuffer buf = ByteBuffer.allocate(bytes.length);
        for (int b : bytes) {
            buf.put((byte) b);
        }
        return frame.decode(buf, 0, bytes.length, 1 << 16);
    }

    @Test
    void decodesAShortTextFrame() {
        assertEquals(5, decode(0x81, 3, 'a', 'b', 'c'));
        assertTrue(frame.fin());
        assertEquals(WebSocketClientCodec.OPCODE_TEXT, frame.opcode());
        assertEquals(2, frame.payloadOffset());
        assertEquals(3, frame.payloadLength());
    }

    @Test
    void decodesA16BitLength() {
        int[] bytes = new int[4 + 200];
        bytes[0] = 0x81;
        bytes[1] = 126;
        bytes[2] = 0;
        bytes[3] = 200;
        assertEquals(204, decode(bytes));
        assertEquals(4, frame.payloadOffset());
    }

    @Test
    void reportsIncompleteFrames() {
        assertEquals(ServerFrame.INCOMPLETE, decode(0x81));
        assertEquals(ServerFrame.INCOMPLETE, decode(0x81, 3, 'a'));
        assertEquals(ServerFrame.INCOMPLETE, decode(0x81, 126, 0));
    }

    @Test
    void rejectsWhatAServerMustNotSend() {
        assertEquals(ServerFrame.VIOLATION, decode(0x81, 0x80 | 1, 0, 0, 0, 0, 'a'));
        assertTrue(frame.violation().contains("masked"));
        assertEquals(ServerFrame.VIOLATION, decode(0xC1, 1, 'a'));
        assertTrue(frame.violation().contains("reserved"));
        assertEquals(ServerFrame.VIOLATION, decode(0x83, 0));
        assertTrue(frame.violation().contains("opcode"));
        assertEquals(ServerFrame.VIOLATION, decode(0x09, 0));
        assertTrue(frame.violation().contains("control"));
        assertEquals(ServerFrame.VIOLATION, decode(0x89, 126, 0, 126));
        assertTrue(frame.violation().contains("control"));
        assertEquals(ServerFrame.VIOLATION, decode(0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0));
        assertTrue(frame.violation().contains("limit"));
    }

    @Test
    void closeCodeDefaultsTo1005WithoutPayload() {
        ByteBuffer buf = ByteBuffer.wrap(new byte[] {0x03, (byte) 0xEA});
        assertEquals(1002, ServerFrame.closeCode(buf, 0, 2));
        assertEquals(1005, ServerFrame.closeCode(buf, 0, 0));
    }
}
