package dev.sttbench.gateway.websocket;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sttbench.gateway.protocol.StartMessage;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of {@link FrameDecoder} with Jazzer ({@code make fuzz}); under {@code mvn verify} it replays
 * the committed corpus in {@code src/test/resources/.../FrameDecoderFuzzTestInputs/decode/}.
 * <p>
 * Input: byte 0 and byte 1 choose how two decoders split their reads, byte 2 which audio frames are shed (decoded
 * into no sink), the rest is the client's bytes. Decoder A reads them in chunks; decoder B reads the same frames
 * re-masked with another key (same payloads, other bytes on the wire) in other chunks, its calls interleaved with
 * A's on the control scratch they share, as two connections of one loop do; decoder C reads everything in one call
 * with a scratch of its own. Each feeds a {@link ConnectionModel} that answers like {@code WebSocketConnection}
 * (start message at most 4096 bytes, then binary frames of exactly 640, close frames checked), with guard bytes
 * around its sinks. All three must report exactly the events and result of {@link #referenceDecode}, a plain
 * whole-buffer decoder written from RFC 6455 §5.2; every call must return CONTINUE, STOP or a close code, must not
 * throw, and must leave the guard bytes alone.
 */
class FrameDecoderFuzzTest
{
    private static final int HEADER = 3;

    @FuzzTest
    void decode(final byte[] input)
    {
        if (input.length < HEADER)
        {
            return;
        }
        final byte[] wire = Arrays.copyOfRange(input, HEADER, input.length);
        final byte[] remasked = remask(wire);
        final int shedPattern = input[2] & 0xFF;

        final ConnectionModel expected = new ConnectionModel(shedPattern);
        final int expectedResult = referenceDecode(wire, expected);
        expected.checkGuards();

        final UnsafeBuffer sharedScratch = new UnsafeBuffer(new byte[FrameDecoder.MAX_CONTROL_PAYLOAD]);
        final Reader a = new Reader(new FrameDecoder(sharedScratch), wire, input[0], shedPattern);
        final Reader b = new Reader(new FrameDecoder(sharedScratch), remasked, input[1], shedPattern);
        while (!a.done() || !b.done())
        {
            a.step();
            b.step();
        }
        final Reader c = new Reader(
            new FrameDecoder(new UnsafeBuffer(new byte[FrameDecoder.MAX_CONTROL_PAYLOAD])), wire, (byte)0xFF, shedPattern);
        c.readAll();

        for (final Reader reader : List.of(a, b, c))
        {
            assertEquals(expected.events, reader.handler.events, reader::name);
            assertEquals(expectedResult, reader.result, reader::name);
        }
    }

    /** One decoder, its connection model and the chunks it reads its bytes in. */
    private static final class Reader
    {
        final FrameDecoder decoder;
        final UnsafeBuffer bytes;
        final int length;
        final SplittableRandom chunks;
        final int maxChunk;
        final int splitSeed;
        final ConnectionModel handler;
        int position;
        int result = FrameDecoder.CONTINUE;

        Reader(final FrameDecoder decoder, final byte[] bytes, final byte splitSeed, final int shedPattern)
        {
            this.decoder = decoder;
            this.bytes = new UnsafeBuffer(bytes);
            this.length = bytes.length;
            this.splitSeed = splitSeed & 0xFF;
            this.chunks = new SplittableRandom(this.splitSeed);
            // Top two bits: reads of up to 4, 32, 256 or 2048 bytes.
            this.maxChunk = 4 << (3 * (this.splitSeed >>> 6));
            this.handler = new ConnectionModel(shedPattern);
        }

        boolean done()
        {
            return position >= length || FrameDecoder.CONTINUE != result;
        }

        void step()
        {
            if (done())
            {
                return;
            }
            // Now and then an empty read, which must change nothing.
            final int chunk = 0 == chunks.nextInt(16) ? 0 : Math.min(length - position, 1 + chunks.nextInt(maxChunk));
            call(position, chunk);
            position += chunk;
        }

        void readAll()
        {
            call(0, length);
            position = length;
        }

        private void call(final int offset, final int chunk)
        {
            final int code = decoder.decode(bytes, offset, chunk, handler);
            assertTrue(FrameDecoder.CONTINUE == code || FrameDecoder.STOP == code || CloseCodes.isValidOnWire(code),
                () -> name() + " returned " + code);
            handler.checkGuards();
            result = code;
        }

        String name()
        {
            return "decoder reading chunks of seed " + splitSeed + " (" + HexFormat.of().formatHex(bytes.byteArray()) + ")";
        }
    }

    /** The same frames masked with another key: what the peer would send with other masks, payloads unchanged. */
    private static byte[] remask(final byte[] wire)
    {
        final byte[] remasked = wire.clone();
        int frame = 0;
        while (frame + 2 <= remasked.length)
        {
            final int length7 = remasked[frame + 1] & 0x7F;
            final int extended = 126 == length7 ? 2 : 127 == length7 ? 8 : 0;
            final int mask = frame + 2 + extended;
            if (mask + 4 > remasked.length)
            {
                break;
            }
            long payloadLength = 0 == extended ? length7 : 0;
            for (int i = 0; i < extended; i++)
            {
                payloadLength = payloadLength << 8 | (remasked[frame + 2 + i] & 0xFF);
            }
            final long available = remasked.length - (mask + 4);
            final long end = mask + 4 + (payloadLength < 0 || payloadLength > available ? available : payloadLength);
            for (int i = mask; i < end; i++)
            {
                // Flipping the key's bits and the payload's alike keeps every unmasked byte.
                remasked[i] ^= (byte)0xA5;
            }
            frame = (int)end;
        }
        return remasked;
    }

    /**
     * RFC 6455 §5.2 over the whole buffer at once, one frame after another, without state carried between calls:
     * the header's first two bytes are checked as soon as they are there, the rest once the whole header is.
     */
    static int referenceDecode(final byte[] wire, final FrameHandler handler)
    {
        int index = 0;
        int messageOpcode = 0;
        int messageLength = 0;
        while (index < wire.length)
        {
            if (index + 2 > wire.length)
            {
                return FrameDecoder.CONTINUE;
            }
            final int b0 = wire[index] & 0xFF;
            final int b1 = wire[index + 1] & 0xFF;
            final boolean fin = b0 >= 0x80;
            final int opcode = b0 & 0x0F;
            final boolean control = opcode >= 8;
            final boolean known = opcode == 0 || opcode == 1 || opcode == 2 || opcode == 8 || opcode == 9 || opcode == 10;
            final int length7 = b1 & 0x7F;
            if ((b0 & 0x70) != 0 || !known || b1 < 0x80 || (control && (!fin || length7 > 125)))
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            final int extended = 126 == length7 ? 2 : 127 == length7 ? 8 : 0;
            final int payload = index + 2 + extended + 4;
            if (payload > wire.length)
            {
                return FrameDecoder.CONTINUE;
            }
            long length = 0 == extended ? length7 : 0;
            for (int i = 0; i < extended; i++)
            {
                length = length << 8 | (wire[index + 2 + i] & 0xFF);
            }
            if (length < 0)
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            final byte[] mask = Arrays.copyOfRange(wire, payload - 4, payload);
            final int available = (int)Math.min(length, wire.length - payload);
            index = payload + available;

            if (control)
            {
                if (available < length)
                {
                    return FrameDecoder.CONTINUE;
                }
                final byte[] unmasked = new byte[available];
                for (int i = 0; i < available; i++)
                {
                    unmasked[i] = (byte)(wire[payload + i] ^ mask[i & 3]);
                }
                final int result = handler.onControlFrame(opcode, new UnsafeBuffer(unmasked), available);
                if (FrameDecoder.CONTINUE != result)
                {
                    return result;
                }
                continue;
            }

            if ((0 == opcode) != (0 != messageOpcode))
            {
                return CloseCodes.PROTOCOL_ERROR; // a continuation outside a message, or a new message inside one
            }
            final int frameOpcode = 0 == opcode ? messageOpcode : opcode;
            final int begun = handler.onDataFrame(frameOpcode, length, messageLength);
            if (FrameDecoder.CONTINUE != begun)
            {
                return begun;
            }
            final MutableDirectBuffer sink = handler.dataSink();
            final int sinkIndex = handler.dataSinkIndex();
            if (null != sink)
            {
                for (int i = 0; i < available; i++)
                {
                    sink.putByte(sinkIndex + i, (byte)(wire[payload + i] ^ mask[i & 3]));
                }
            }
            if (available < length)
            {
                return FrameDecoder.CONTINUE;
            }
            messageLength += available;
            if (!fin)
            {
                messageOpcode = frameOpcode;
                continue;
            }
            final int total = messageLength;
            messageOpcode = 0;
            messageLength = 0;
            final int ended = handler.onMessageEnd(frameOpcode, total);
            if (FrameDecoder.CONTINUE != ended)
            {
                return ended;
            }
        }
        return FrameDecoder.CONTINUE;
    }

    /**
     * Answers as {@code WebSocketConnection} does (PROTOCOL §1): a text start message of at most 4096 bytes, valid
     * UTF-8 and a start object; then binary messages of exactly 640 bytes, each stored into a 640-byte slot or,
     * as the shed pattern says, into no sink; close frames with a valid code and a UTF-8 reason end decoding. Sinks
     * lie between guard bytes that no decoder may touch. Records every callback with the bytes it sees.
     */
    static final class ConnectionModel implements FrameHandler
    {
        private static final int MAX_START_MESSAGE = 4096;
        private static final int FRAME_BYTES = 640;
        private static final int GUARD = 64;
        private static final byte UNWRITTEN = (byte)0x5A;
        private static final byte[] UNWRITTEN_GUARD = new byte[GUARD];

        static
        {
            Arrays.fill(UNWRITTEN_GUARD, UNWRITTEN);
        }

        final List<String> events = new ArrayList<>();
        private final byte[] startBytes = new byte[GUARD + MAX_START_MESSAGE + GUARD];
        private final UnsafeBuffer startMessage = new UnsafeBuffer(startBytes, GUARD, MAX_START_MESSAGE);
        /** The audio slot sits inside a larger buffer, as a ring slot does: an overrun would not throw. */
        private final byte[] audioBytes = new byte[GUARD + FRAME_BYTES + GUARD];
        private final UnsafeBuffer audio = new UnsafeBuffer(audioBytes);
        private final int shedPattern;
        private boolean streaming;
        private int frames;
        private boolean storing;
        private MutableDirectBuffer sink;
        private int sinkIndex;

        ConnectionModel(final int shedPattern)
        {
            this.shedPattern = shedPattern;
            Arrays.fill(startBytes, UNWRITTEN);
            Arrays.fill(audioBytes, UNWRITTEN);
        }

        public int onDataFrame(final int messageOpcode, final long frameLength, final int messageReceived)
        {
            final int result = dataFrame(messageOpcode, frameLength, messageReceived);
            events.add("data " + messageOpcode + " " + frameLength + " " + messageReceived + " -> " + result);
            return result;
        }

        private int dataFrame(final int messageOpcode, final long frameLength, final int messageReceived)
        {
            if (!streaming)
            {
                if (Opcodes.TEXT != messageOpcode)
                {
                    return CloseCodes.PROTOCOL_ERROR;
                }
                if (frameLength > MAX_START_MESSAGE - messageReceived)
                {
                    return CloseCodes.MESSAGE_TOO_BIG;
                }
                sink = startMessage;
                sinkIndex = messageReceived;
                return FrameDecoder.CONTINUE;
            }
            if (Opcodes.BINARY != messageOpcode)
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            if (frameLength > FRAME_BYTES - messageReceived)
            {
                return CloseCodes.UNSUPPORTED_DATA;
            }
            if (0 == messageReceived)
            {
                storing = (shedPattern & (1 << (frames++ & 7))) == 0;
            }
            sink = storing ? audio : null;
            sinkIndex = storing ? GUARD + messageReceived : 0;
            return FrameDecoder.CONTINUE;
        }

        public MutableDirectBuffer dataSink()
        {
            return sink;
        }

        public int dataSinkIndex()
        {
            return sinkIndex;
        }

        public int onMessageEnd(final int messageOpcode, final int messageLength)
        {
            if (!streaming)
            {
                final byte[] text = new byte[messageLength];
                startMessage.getBytes(0, text);
                Arrays.fill(startBytes, UNWRITTEN);
                final int result = !Utf8.isValid(new UnsafeBuffer(text), 0, messageLength) ? CloseCodes.INVALID_PAYLOAD :
                    !StartMessage.isValid(text, messageLength) ? CloseCodes.PROTOCOL_ERROR : FrameDecoder.CONTINUE;
                events.add("start " + messageLength + " " + HexFormat.of().formatHex(text) + " -> " + result);
                streaming = FrameDecoder.CONTINUE == result;
                return result;
            }
            final int result = FRAME_BYTES == messageLength ? FrameDecoder.CONTINUE : CloseCodes.UNSUPPORTED_DATA;
            final byte[] frame = new byte[storing ? messageLength : 0];
            audio.getBytes(GUARD, frame);
            Arrays.fill(audioBytes, UNWRITTEN);
            events.add("audio " + messageLength + " " + HexFormat.of().formatHex(frame) + " -> " + result);
            return result;
        }

        public int onControlFrame(final int opcode, final DirectBuffer payload, final int length)
        {
            assertTrue(length >= 0 && length <= FrameDecoder.MAX_CONTROL_PAYLOAD && length <= payload.capacity(),
                () -> "control payload of " + length + " bytes");
            final byte[] bytes = new byte[length];
            payload.getBytes(0, bytes);
            final int result = controlFrame(opcode, payload, length);
            events.add("control " + opcode + " " + HexFormat.of().formatHex(bytes) + " -> " + result);
            return result;
        }

        private static int controlFrame(final int opcode, final DirectBuffer payload, final int length)
        {
            if (Opcodes.CLOSE != opcode)
            {
                return FrameDecoder.CONTINUE; // a ping is answered, a pong ignored
            }
            if (1 == length)
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            final int code = length >= 2 ? (payload.getByte(0) & 0xFF) << 8 | (payload.getByte(1) & 0xFF) : CloseCodes.NORMAL;
            if (!CloseCodes.isValidOnWire(code))
            {
                return CloseCodes.PROTOCOL_ERROR;
            }
            if (length > 2 && !Utf8.isValid(payload, 2, length - 2))
            {
                return CloseCodes.INVALID_PAYLOAD;
            }
            return FrameDecoder.STOP;
        }

        void checkGuards()
        {
            checkUntouched(startBytes, 0, GUARD, "before the start message sink");
            checkUntouched(startBytes, GUARD + MAX_START_MESSAGE, startBytes.length, "after the start message sink");
            checkUntouched(audioBytes, 0, GUARD, "before the audio slot");
            checkUntouched(audioBytes, GUARD + FRAME_BYTES, audioBytes.length, "after the audio slot");
        }

        private static void checkUntouched(final byte[] bytes, final int from, final int to, final String where)
        {
            final int written = Arrays.mismatch(bytes, from, to, UNWRITTEN_GUARD, 0, to - from);
            if (written >= 0)
            {
                fail("the decoder wrote " + where + " at " + (from + written));
            }
        }
    }
}
