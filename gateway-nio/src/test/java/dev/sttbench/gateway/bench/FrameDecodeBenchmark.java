package dev.sttbench.gateway.bench;

import dev.sttbench.gateway.session.AudioChunkPool;
import dev.sttbench.gateway.session.AudioMemoryBudget;
import dev.sttbench.gateway.session.AudioRing;
import dev.sttbench.gateway.websocket.FrameDecoder;
import dev.sttbench.gateway.websocket.FrameHandler;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Decoding a masked 640-byte binary frame from the read buffer and appending it, unmasked, to a session ring:
 * the per-frame work of the data path (syscalls aside). Expect ≈ 0 B/op with {@code -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
@State(Scope.Thread)
public class FrameDecodeBenchmark implements FrameHandler
{
    private static final int FRAME_BYTES = 640;
    private static final int WIRE_BYTES = 2 + 2 + 4 + FRAME_BYTES;

    private final FrameDecoder decoder = new FrameDecoder(new UnsafeBuffer(new byte[FrameDecoder.MAX_CONTROL_PAYLOAD]));
    private final UnsafeBuffer readBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(WIRE_BYTES * 2));
    private AudioChunkPool pool;
    private AudioRing ring;
    private final ByteBuffer body = ByteBuffer.allocateDirect(256 * FRAME_BYTES);
    private long frames;

    @Setup
    public void setup()
    {
        pool = new AudioChunkPool(AudioChunkPool.chunksFor(256), new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED));
        ring = new AudioRing(pool, 256);
        ring.reset(1);
        final Random random = new Random(7);
        final byte[] mask = new byte[4];
        random.nextBytes(mask);
        final byte[] payload = new byte[FRAME_BYTES];
        random.nextBytes(payload);
        // Two frames back to back, the second starting at an odd offset as in a real read buffer.
        int index = 0;
        for (int frame = 0; frame < 2; frame++)
        {
            readBuffer.putByte(index++, (byte)0x82);
            readBuffer.putByte(index++, (byte)(0x80 | 126));
            readBuffer.putByte(index++, (byte)(FRAME_BYTES >>> 8));
            readBuffer.putByte(index++, (byte)(FRAME_BYTES & 0xFF));
            readBuffer.putBytes(index, mask);
            index += 4;
            for (int i = 0; i < FRAME_BYTES; i++)
            {
                readBuffer.putByte(index++, (byte)(payload[i] ^ mask[i & 3]));
            }
        }
    }

    @TearDown
    public void tearDown()
    {
        pool.close();
    }

    @Benchmark
    public long decodeAndAppendTwoFrames()
    {
        decoder.decode(readBuffer, 0, WIRE_BYTES * 2, this);
        return frames;
    }

    public int onDataFrame(final int messageOpcode, final long frameLength, final int messageReceived)
    {
        // A full ring is drained as a flushed and resolved batch would be: chunks go back and are taken again.
        if (!ring.reserveNext())
        {
            ring.freezeBatch(body);
            ring.releaseBatch();
            ring.reserveNext();
        }
        return FrameDecoder.CONTINUE;
    }

    public MutableDirectBuffer dataSink()
    {
        return ring.audio();
    }

    public int dataSinkIndex()
    {
        return ring.writeIndex();
    }

    public int onMessageEnd(final int messageOpcode, final int messageLength)
    {
        ring.commit(frames);
        frames++;
        return FrameDecoder.CONTINUE;
    }

    public int onControlFrame(final int opcode, final DirectBuffer payload, final int length)
    {
        return FrameDecoder.CONTINUE;
    }
}
