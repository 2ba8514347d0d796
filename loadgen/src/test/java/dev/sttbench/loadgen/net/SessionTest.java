package dev.sttbench.loadgen.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What a short write leaves behind is kept in order, however much piles up, with the time it started. */
class SessionTest {
    @Test
    void stashKeepsUnwrittenBytesInOrderAndGrows() {
        Session session = new Session(3, 0);
        assertFalse(session.hasPending());
        byte[] frame = new byte[648];
        Arrays.fill(frame, (byte) 7);
        ByteBuffer first = ByteBuffer.wrap(frame);
        first.position(600);
        session.stash(first, 1_000);
        assertTrue(session.hasPending());
        assertEquals(1_000, session.pendingSinceNanos);
        for (int i = 0; i < 5; i++) {
            session.stash(ByteBuffer.wrap(frame), 2_000 + i);
        }
        assertEquals(48 + 5 * 648, session.pending.position());
        assertEquals(1_000, session.pendingSinceNanos, "the oldest unwritten byte sets the send deadline");
        byte[] kept = new byte[session.pending.position()];
        session.pending.flip().get(kept);
        byte[] expected = new byte[kept.length];
        Arrays.fill(expected, (byte) 7);
        assertArrayEquals(expected, kept);
    }

    @Test
    void framesSentIsTheHighestSeqAServerMayName() {
        Session session = new Session(0, 0);
        assertEquals(0, session.framesSent());
        session.nextSeq = 51;
        assertEquals(50, session.framesSent());
    }
}
