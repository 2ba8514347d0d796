package dev.sttbench.gateway.websocket;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Receives what {@link FrameDecoder} finds. Each callback returns {@link FrameDecoder#CONTINUE}, a close code
 * to fail the connection with, or {@link FrameDecoder#STOP} to end decoding without an error.
 */
public interface FrameHandler
{
    /**
     * A data frame of a text or binary message begins (continuations report the message's opcode).
     *
     * @param messageOpcode   {@link Opcodes#TEXT} or {@link Opcodes#BINARY}.
     * @param frameLength     payload bytes of this frame.
     * @param messageReceived payload bytes of the message received in earlier frames.
     */
    int onDataFrame(int messageOpcode, long frameLength, int messageReceived);

    /** Where the current data frame's payload is unmasked to, or null to discard it. */
    MutableDirectBuffer dataSink();

    /** Index in {@link #dataSink()} of the current data frame's first payload byte. */
    int dataSinkIndex();

    /** The last frame of a data message has been unmasked into the sink. */
    int onMessageEnd(int messageOpcode, int messageLength);

    /** A complete ping, pong or close frame, payload unmasked in {@code payload[0, length)}. */
    int onControlFrame(int opcode, DirectBuffer payload, int length);
}
