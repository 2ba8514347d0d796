package dev.sttbench.loadgen.net;

/**
 * How a loop's audio frames reach the sockets, once {@link SendScheduler} has found them due: one
 * {@code write} per frame ({@link WriteSendPath}), or queued io_uring sends handed to the kernel with one
 * syscall per wake-up ({@link IoUringSendPath}).
 *
 * <p>Both keep a session's bytes in order: a path sends nothing for a session whose earlier bytes are still
 * parked ({@link Session#park}) or in flight, and control frames wait behind both.
 */
interface SendPath extends AutoCloseable {
    /** {@code session}'s socket has connected: take what the path needs of it. */
    void attach(Session session);

    /**
     * Sends or queues every frame of {@code session} due by {@code now} and before the window's end; once the window
     * is over and nothing of the session is left to send, starts its close
     * ({@link SessionLifecycle#closeAtWindowEnd}). {@code recordLag} is false for frames that waited behind
     * the server's backpressure (a full socket): late through no fault of the client, they stay out of the
     * send-lag histogram, which judges the client alone.
     */
    void sendDueFrames(Session session, long now, boolean recordLag);

    /** Hands whatever is queued to the kernel and handles what it completed. */
    void flush();

    @Override
    void close();
}
