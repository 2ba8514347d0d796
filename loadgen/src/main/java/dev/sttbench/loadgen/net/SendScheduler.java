package dev.sttbench.loadgen.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.Arrays;

/**
 * When each streaming session's frames are due, and everything a loop writes, through one {@link SendPath}.
 *
 * <p>A session's frames are due every 20 ms from its frame origin, which lies on a whole millisecond, so
 * sessions are bucketed by {@code origin mod 20 ms} at 1 ms resolution and a bucket's tick is exactly its
 * sessions' due time. {@link #sendDue} walks every bucket whose tick has come and has the path send, per
 * session, every frame due by the clock (a late loop catches up, and the lateness is recorded); the loop
 * then sleeps until {@link #nextTickNanos}. No timer and no allocation per frame.
 *
 * <p>Control frames and the upgrade request go straight to the socket, behind whatever the session has
 * queued or parked; OP_WRITE is on only while a session has parked bytes.
 */
final class SendScheduler {
    private static final int BUCKETS = 20;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private final SendPath path;
    private final Session[][] buckets = new Session[BUCKETS][];
    private final int[] bucketSizes = new int[BUCKETS];
    private int streaming;
    private long nextTickMillis;
    private long nextTickNanos = Long.MAX_VALUE;

    /** @param sessions how many sessions the loop drives, to size the buckets once */
    SendScheduler(SendPath path, int sessions) {
        this.path = path;
        for (int b = 0; b < BUCKETS; b++) {
            buckets[b] = new Session[Math.max(4, sessions / BUCKETS * 2)];
        }
    }

    /** When the next non-empty bucket is due; {@code Long.MAX_VALUE} when nothing streams. */
    long nextTickNanos() {
        return nextTickNanos;
    }

    /** {@code session}'s socket has connected. */
    void attach(Session session) {
        path.attach(session);
    }

    /** Walks every bucket whose tick has come, sending what is due, then hands the sends to the kernel. */
    void sendDue(long now) {
        while (nextTickMillis * NANOS_PER_MILLI <= now) {
            int bucket = (int) (nextTickMillis % BUCKETS);
            Session[] members = buckets[bucket];
            // Backwards: a session that finishes streaming is swapped out of the slot being visited.
            for (int i = bucketSizes[bucket] - 1; i >= 0; i--) {
                path.sendDueFrames(members[i], now, true);
            }
            nextTickMillis++;
        }
        path.flush();
        scheduleNextTick();
    }

    /** Hands queued sends to the kernel and handles completions; at the end of every wake-up. */
    void flush() {
        path.flush();
    }

    /** Writes {@code bytes} now, or parks whatever the socket does not take behind what is already waiting. */
    void sendControl(Session session, ByteBuffer bytes, long now) throws IOException {
        if (session.sending) {
            // A queued or in-flight send of this session must reach the wire first.
            path.flush();
        }
        if (!session.hasPending() && !session.sending) {
            session.channel.write(bytes);
            if (!bytes.hasRemaining()) {
                return;
            }
        }
        session.park(bytes, now);
    }

    /** OP_WRITE fired: writes the parked bytes; once they are out, the frames that waited behind them. */
    void onWritable(Session session, long now) throws IOException {
        ByteBuffer pending = session.pending;
        pending.flip();
        session.channel.write(pending);
        pending.compact();
        if (pending.position() > 0) {
            return;
        }
        session.key.interestOps(SelectionKey.OP_READ);
        if (session.state == Session.STREAMING) {
            path.sendDueFrames(session, now, false);
        }
    }

    /** Starts sending {@code session}'s frames from its frame origin. */
    void add(Session session) {
        int bucket = (int) Math.floorMod(session.originNanos / NANOS_PER_MILLI, BUCKETS);
        Session[] members = buckets[bucket];
        int size = bucketSizes[bucket];
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
            buckets[bucket] = members;
        }
        members[size] = session;
        session.bucket = bucket;
        session.bucketSlot = size;
        bucketSizes[bucket] = size + 1;
        if (streaming++ == 0) {
            nextTickMillis = session.originNanos / NANOS_PER_MILLI;
        }
        nextTickNanos = Math.min(nextTickNanos, session.originNanos);
    }

    /** Stops sending {@code session}'s frames; nothing when it is not streaming. */
    void remove(Session session) {
        int bucket = session.bucket;
        if (bucket < 0) {
            return;
        }
        Session[] members = buckets[bucket];
        int last = --bucketSizes[bucket];
        Session moved = members[last];
        members[session.bucketSlot] = moved;
        moved.bucketSlot = session.bucketSlot;
        members[last] = null;
        session.bucket = -1;
        streaming--;
    }

    void close() {
        path.close();
    }

    private void scheduleNextTick() {
        nextTickNanos = Long.MAX_VALUE;
        if (streaming == 0) {
            return;
        }
        for (int step = 0; step < BUCKETS; step++) {
            if (bucketSizes[(int) ((nextTickMillis + step) % BUCKETS)] > 0) {
                nextTickNanos = (nextTickMillis + step) * NANOS_PER_MILLI;
                return;
            }
        }
    }
}
