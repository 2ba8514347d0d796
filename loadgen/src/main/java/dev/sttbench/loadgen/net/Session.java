package dev.sttbench.loadgen.net;

import dev.sttbench.loadgen.validate.SeqTracker;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** One WebSocket session's state, owned by a single {@link ClientLoop}. */
final class Session {
    static final int WAITING = 0;
    static final int CONNECTING = 1;
    static final int HANDSHAKING = 2;
    static final int STREAMING = 3;
    static final int CLOSING = 4;
    static final int DONE = 5;

    private static final int INBOUND_INITIAL_BYTES = 2048;
    private static final int PENDING_BYTES = 2048;

    final int id;
    final long startNanos;
    final SeqTracker seqs = new SeqTracker();
    int state = WAITING;
    SocketChannel channel;
    /** The channel's descriptor, for io_uring sends. */
    int fd;
    /** An io_uring send of this session is queued or in flight, since its first frame's due time. */
    boolean sending;
    long sendingSinceNanos;
    SelectionKey key;
    String webSocketKey;
    long connectDeadlineNanos;
    long closeDeadlineNanos;

    /** Frame clock: frame {@code nextSeq} is due at {@code nextDueNanos}. */
    long originNanos;
    long nextSeq = 1;
    long nextDueNanos;
    /** Where the session sits in its loop's send bucket, or -1 when not streaming. */
    int bucket = -1;
    int bucketSlot;

    ByteBuffer inbound = ByteBuffer.allocate(INBOUND_INITIAL_BYTES);
    /** Bytes accepted for sending but not yet written because the socket was full; null until first needed. */
    ByteBuffer pending;
    long pendingSinceNanos;
    /** Payload of a fragmented server message being reassembled; null when none is. */
    ByteBuffer fragments;

    Session(int id, long startNanos) {
        this.id = id;
        this.startNanos = startNanos;
    }

    boolean hasPending() {
        return pending != null && pending.position() > 0;
    }

    /** Keeps the unwritten rest of {@code src} (position..limit) for when the socket is writable again. */
    void stash(ByteBuffer src, long sinceNanos) {
        if (pending == null) {
            pending = ByteBuffer.allocate(PENDING_BYTES);
        }
        if (pending.position() == 0) {
            pendingSinceNanos = sinceNanos;
        }
        if (pending.remaining() < src.remaining()) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + src.remaining()));
            pending.flip();
            larger.put(pending);
            pending = larger;
        }
        pending.put(src);
    }

    /**
     * Keeps the unwritten rest of {@code src} until the socket has room, and asks to hear when it has:
     * OP_WRITE is on only for sessions with parked bytes.
     */
    void park(ByteBuffer src, long sinceNanos) {
        stash(src, sinceNanos);
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    /** Whether bytes of this session have waited to be sent (parked, or a send in flight) for {@code timeoutNanos}. */
    boolean sendStalled(long now, long timeoutNanos) {
        return hasPending() && now - pendingSinceNanos >= timeoutNanos
                || sending && now - sendingSinceNanos >= timeoutNanos;
    }

    /** What the session is doing, for error messages. */
    String describeState() {
        return switch (state) {
            case CONNECTING -> "connecting";
            case HANDSHAKING -> "upgrading";
            case STREAMING -> "streaming";
            case CLOSING -> "closing";
            default -> "idle";
        };
    }

    /** Frames sent so far: the highest seq a server may name. */
    long framesSent() {
        return nextSeq - 1;
    }
}
