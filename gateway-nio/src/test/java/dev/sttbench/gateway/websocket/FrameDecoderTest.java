package dev.sttbench.gateway.websocket;

import dev.sttbench.gateway.RawWebSocketClient;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FrameDecoderTest
{
    /** Collects messages; data goes to a sink the size of the largest message. */
    private static final class Recorder implements FrameHandler
    {
        final UnsafeBuffer sink = new UnsafeBuffer(new byte[70_000]);
        final List<String> events = new ArrayList<>();
        final List<byte[]> payloads = new ArrayList<>();

        public int onDataFrame(final int messageOpcode, final long frameLength, final int messageReceived)
        {
            events.add("data " + messageOpcode + " " + frameLength + " " + messageReceived);
            return FrameDecoder.CONTINUE;
        }

        public MutableDirectBuffer dataSink()
        {
            return sink;
        }

        public int dataSinkIndex()
        {
            return Integer.parseInt(events.getLast().split(" ")[3]);
        }

        public int onMessageEnd(final int messageOpcode, final int messageLength)
        {
            events.add("end " + messageOpcode + " " + messageLength);
            final byte[] payload = new byte[messageLength];
            sink.getBytes(0, payload);
            payloads.add(payload);
            return FrameDecoder.CONTINUE;
        }

        public int onControlFrame(final int opcode, final DirectBuffer payload, final int length)
        {
            events.add("control " + opcode + " " + length);
            final byte[] bytes = new byte[length];
            payload.getBytes(0, bytes);
            payloads.add(bytes);
            return FrameDecoder.CONTINUE;
        }
    }

    private static final Random RANDOM = new Random(42);

    private static byte[] frame(final int firstByte, final boolean masked, final byte[] payload)
    {
        return RawWebSocketClient.encode(firstByte, masked, payload);
    }

    private static byte[] randomBytes(final int length)
    {
        final byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static FrameDecoder newDecoder()
    {
        return new FrameDecoder(new UnsafeBuffer(new byte[FrameDecoder.MAX_CONTROL_PAYLOAD]));
    }

    private static int decodeAll(final FrameDecoder decoder, final Recorder recorder, final byte[] bytes)
    {
        return decoder.decode(new UnsafeBuffer(bytes), 0, bytes.length, recorder);
    }

    @Test
    void aMaskedFrameSplitAtEveryByteDecodesToThePayload()
    {
        final byte[] payload = randomBytes(640);
        final byte[] wire = frame(0x82, true, payload);
        for (int split = 0; split <= wire.length; split++)
        {
            for (int second = split; second <= wire.length; second += 97)
            {
                final Recorder recorder = new Recorder();
                final FrameDecoder decoder = newDecoder();
                final UnsafeBuffer buffer = new UnsafeBuffer(wire);
                assertEquals(FrameDecoder.CONTINUE, decoder.decode(buffer, 0, split, recorder));
                assertEquals(FrameDecoder.CONTINUE, decoder.decode(buffer, split, second - split, recorder));
                assertEquals(FrameDecoder.CONTINUE, decoder.decode(buffer, second, wire.length - second, recorder));
                assertEquals(List.of("data 2 640 0", "end 2 640"), recorder.events, "split " + split + "/" + second);
                assertArrayEquals(payload, recorder.payloads.getFirst(), "split " + split + "/" + second);
            }
        }
    }

    /** Decoders of one loop share the control scratch: a ping split across reads must survive the others' pings. */
    @Test
    void pingsSplitAcrossReadsOnConnectionsSharingTheScratchKeepTheirPayloads()
    {
        final UnsafeBuffer shared = new UnsafeBuffer(new byte[FrameDecoder.MAX_CONTROL_PAYLOAD]);
        final FrameDecoder first = new FrameDecoder(shared);
        final FrameDecoder second = new FrameDecoder(shared);
        final byte[] firstPayload = randomBytes(125);
        final byte[] secondPayload = randomBytes(125);
        final UnsafeBuffer firstWire = new UnsafeBuffer(frame(0x89, true, firstPayload));
        final UnsafeBuffer secondWire = new UnsafeBuffer(frame(0x89, true, secondPayload));
        for (int split = 7; split < firstWire.capacity(); split += 13)
        {
            final Recorder firstRecorder = new Recorder();
            final Recorder secondRecorder = new Recorder();
            assertEquals(FrameDecoder.CONTINUE, first.decode(firstWire, 0, split, firstRecorder));
            assertEquals(FrameDecoder.CONTINUE, second.decode(secondWire, 0, split, secondRecorder));
            assertEquals(FrameDecoder.CONTINUE, second.decode(secondWire, split, secondWire.capacity() - split, secondRecorder));
            assertEquals(FrameDecoder.CONTINUE, first.decode(firstWire, split, firstWire.capacity() - split, firstRecorder));
            assertArrayEquals(firstPayload, firstRecorder.payloads.getFirst(), "split " + split);
            assertArrayEquals(secondPayload, secondRecorder.payloads.getFirst(), "split " + split);
        }
    }

    @Test
    void lengthEncodingsAndBackToBackFrames()
    {
        final byte[] small = randomBytes(125);
        final byte[] medium = randomBytes(126);
        final byte[] large = randomBytes(65_536);
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(frame(0x82, true, small));
        wire.writeBytes(frame(0x82, true, medium));
        wire.writeBytes(frame(0x82, true, large));
        wire.writeBytes(frame(0x82, true, new byte[0]));
        final Recorder recorder = new Recorder();
        assertEquals(FrameDecoder.CONTINUE, decodeAll(newDecoder(), recorder, wire.toByteArray()));
        assertArrayEquals(small, recorder.payloads.get(0));
        assertArrayEquals(medium, recorder.payloads.get(1));
        assertArrayEquals(large, recorder.payloads.get(2));
        assertEquals(0, recorder.payloads.get(3).length);
    }

    @Test
    void fragmentsAreReassembledAroundControlFrames()
    {
        final byte[] payload = randomBytes(640);
        final byte[] ping = randomBytes(5);
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(frame(0x02, true, Arrays.copyOfRange(payload, 0, 101)));
        wire.writeBytes(frame(0x89, true, ping));
        wire.writeBytes(frame(0x00, true, Arrays.copyOfRange(payload, 101, 303)));
        wire.writeBytes(frame(0x80, true, Arrays.copyOfRange(payload, 303, 640)));
        final Recorder recorder = new Recorder();
        assertEquals(FrameDecoder.CONTINUE, decodeAll(newDecoder(), recorder, wire.toByteArray()));
        assertEquals(List.of("data 2 101 0", "control 9 5", "data 2 202 101", "data 2 337 303", "end 2 640"),
            recorder.events);
        assertArrayEquals(ping, recorder.payloads.get(0));
        assertArrayEquals(payload, recorder.payloads.get(1));
    }

    @Test
    void violationsAreProtocolErrors()
    {
        final byte[][] violations = {
            frame(0x82, false, new byte[4]),
            frame(0x82 | 0x40, true, new byte[4]),
            frame(0x82 | 0x20, true, new byte[4]),
            frame(0x82 | 0x10, true, new byte[4]),
            frame(0x83, true, new byte[4]),
            frame(0x87, true, new byte[4]),
            frame(0x8B, true, new byte[4]),
            frame(0x8F, true, new byte[4]),
            frame(0x09, true, new byte[4]),
            frame(0x89, true, new byte[126]),
            frame(0x80, true, new byte[4]),
        };
        for (final byte[] violation : violations)
        {
            assertEquals(CloseCodes.PROTOCOL_ERROR, decodeAll(newDecoder(), new Recorder(), violation),
                String.format("first byte %02x", violation[0]));
        }
        final byte[] nestedStart = frame(0x02, true, new byte[4]);
        final byte[] wire = Arrays.copyOf(nestedStart, nestedStart.length * 2);
        System.arraycopy(frame(0x82, true, new byte[4]), 0, wire, nestedStart.length, nestedStart.length);
        assertEquals(CloseCodes.PROTOCOL_ERROR, decodeAll(newDecoder(), new Recorder(), wire));
    }

    @Test
    void unmaskHonoursTheMaskPositionForEveryOffsetAndLength()
    {
        final byte[] mask = { 0x11, 0x22, 0x33, 0x44 };
        final int maskKey = new UnsafeBuffer(mask).getInt(0, java.nio.ByteOrder.LITTLE_ENDIAN);
        final byte[] source = randomBytes(40);
        for (int position = 0; position < 8; position++)
        {
            for (int length = 0; length <= 33; length++)
            {
                final UnsafeBuffer destination = new UnsafeBuffer(new byte[40]);
                FrameDecoder.unmask(new UnsafeBuffer(source), 3, destination, 5, length, maskKey, position);
                for (int i = 0; i < length; i++)
                {
                    assertEquals((byte)(source[3 + i] ^ mask[(position + i) & 3]), destination.getByte(5 + i));
                }
            }
        }
    }
}
