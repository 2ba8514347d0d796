package dev.sttbench.loadgen.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PcmTest {
    @Test
    void sampleFollowsTheFormulaOfSection3() {
        // ((1*320 + 0 + 0) * 17) mod 20000 - 10000 = 5440 - 10000
        assertEquals(-4560, Pcm.sample(0, 1, 0));
        // ((2*320 + 7 + 5) * 17) mod 20000 - 10000 = 11084 - 10000
        assertEquals(1084, Pcm.sample(7, 2, 5));
    }

    @Test
    void fastFrameMatchesTheFormulaSampleBySample() {
        long[][] cases = {{0, 1}, {7, 50}, {3, 42}, {3999, 4500}, {123_456, 9_876_543_210L},
                // frames whose slice of the 20000-sample period wraps around its end: (seq*320 + id) mod 20000 > 19680
                {19_681, 0}, {19_999, 62}, {0, 62}, {100, 62}};
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (long[] c : cases) {
                ByteBuffer frame = ByteBuffer.allocate(Pcm.FRAME_BYTES + 8).order(order);
                Pcm.writeFrame(c[0], c[1], frame, 8);
                ByteBuffer wire = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < Pcm.SAMPLES_PER_FRAME; k++) {
                    assertEquals(Pcm.sample(c[0], c[1], k), wire.getShort(8 + k * 2), "session " + c[0] + " seq " + c[1] + " k " + k);
                }
            }
        }
    }

    @Test
    void maskedFrameIsThePcmXoredWithTheKeyBytesInWireOrder() {
        int key = 0xA1B2C3D4;
        byte[] keyBytes = {(byte) 0xD4, (byte) 0xC3, (byte) 0xB2, (byte) 0xA1};
        ByteBuffer plain = ByteBuffer.allocate(Pcm.FRAME_BYTES);
        ByteBuffer masked = ByteBuffer.allocateDirect(Pcm.FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Pcm.writeFrame(11, 77, plain, 0);
        Pcm.writeMaskedFrame(11, 77, key, masked, 0);
        for (int i = 0; i < Pcm.FRAME_BYTES; i++) {
            assertEquals((byte) (plain.get(i) ^ keyBytes[i & 3]), masked.get(i), "byte " + i);
        }
    }
}
