package dev.sttbench.sim.stub;

import dev.sttbench.sim.GoldenVectors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PcmStubTest
{
    @Test
    void reproducesEveryGoldenVectorBitExactly() throws Exception
    {
        for (final GoldenVectors.Vector vector : GoldenVectors.load())
        {
            final StubResult result = new StubResult();
            final ByteBuf body = Unpooled.wrappedBuffer(vector.body());
            PcmStub.compute(body, vector.cpuPasses(), result);

            final String label = vector.toString();
            assertEquals(vector.rms().toPlainString(), Double.toString(result.rms()), label);
            assertEquals(vector.rms().doubleValue(), result.rms(), label);
            assertEquals(vector.zeroCrossings(), result.zeroCrossings(), label);
            assertEquals(vector.checksum(), result.checksum(), label);
            assertEquals(vector.samples(), result.samples(), label);
            assertEquals(vector.transcript(), result.transcript(), label);
            assertEquals(vector.audioBytes(), result.audioBytes(), label);

            final ByteBuf json = Unpooled.buffer();
            StubJson.encode(result, json);
            assertEquals(vector.expectedJson(), json.toString(StandardCharsets.US_ASCII), label);
            assertEquals(0, body.readerIndex(), "the stub leaves the body's indices alone");
        }
    }

    @Test
    void matchesTheLiteralDefinitionOnRandomBodiesAndPassCounts()
    {
        final SplittableRandom random = new SplittableRandom(42);
        for (int trial = 0; trial < 300; trial++)
        {
            final byte[] pcm = new byte[2 * random.nextInt(0, 700)];
            for (int i = 0; i < pcm.length; i++)
            {
                // Bias towards the extremes and zero, where sign and overflow bugs live.
                final int pick = random.nextInt(8);
                pcm[i] = (byte)(0 == pick ? 0x80 : 1 == pick ? 0x7F : 2 == pick ? 0 : random.nextInt(256));
            }
            final int passes = random.nextInt(0, 7);
            assertMatchesReference(pcm, passes);
        }
    }

    @Test
    void countsACrossingAtEachPassBoundary()
    {
        // Samples 5, -5: one crossing inside a pass; -5 -> 5 across each of the two boundaries of three passes.
        final byte[] pcm = {5, 0, (byte)0xFB, (byte)0xFF};
        final StubResult result = new StubResult();
        PcmStub.compute(Unpooled.wrappedBuffer(pcm), 3, result);
        assertEquals(5, result.zeroCrossings());
        assertEquals(6, result.samples());
        assertEquals(5.0, result.rms());
        assertMatchesReference(pcm, 3);
    }

    @Test
    void emptyBodyAndZeroPassesGiveTheOffsetBasis()
    {
        final StubResult result = new StubResult();
        PcmStub.compute(Unpooled.EMPTY_BUFFER, 4, result);
        assertEquals(2166136261L, result.checksum());
        assertEquals(0, result.samples());
        assertEquals(0.0, result.rms());
        assertEquals(0, result.audioBytes());
    }

    @Test
    void readsDirectOffsetAndCompositeBuffersLikeHeapArrays()
    {
        final byte[] pcm = GoldenVectors.pcm(7, 1, 50);
        final StubResult heap = new StubResult();
        PcmStub.compute(Unpooled.wrappedBuffer(pcm), 4, heap);

        final ByteBuf direct = Unpooled.directBuffer(pcm.length + 3);
        direct.writeBytes(new byte[3]).writeBytes(pcm).readerIndex(3);
        final StubResult fromDirect = new StubResult();
        PcmStub.compute(direct, 4, fromDirect);

        // Components of odd length, so samples straddle them.
        final CompositeByteBuf composite = Unpooled.compositeBuffer();
        composite.addComponent(true, Unpooled.wrappedBuffer(pcm, 0, 1001));
        composite.addComponent(true, Unpooled.wrappedBuffer(pcm, 1001, pcm.length - 1001));
        final StubResult fromComposite = new StubResult();
        PcmStub.compute(composite, 4, fromComposite);

        for (final StubResult other : new StubResult[] {fromDirect, fromComposite})
        {
            assertEquals(heap.checksum(), other.checksum());
            assertEquals(heap.zeroCrossings(), other.zeroCrossings());
            assertEquals(heap.rms(), other.rms());
            assertEquals(heap.samples(), other.samples());
        }
        assertEquals(0, composite.readerIndex());
        direct.release();
        composite.release();
    }

    @Test
    void rejectsAnOddBody()
    {
        assertThrows(IllegalArgumentException.class, () -> PcmStub.compute(Unpooled.wrappedBuffer(new byte[3]), 1, new StubResult()));
    }

    /** The contract's loop, written out literally with exact integers. */
    private static void assertMatchesReference(final byte[] pcm, final int passes)
    {
        long zeroCrossings = 0;
        long checksum = 2166136261L;
        BigInteger sumSquares = BigInteger.ZERO;
        long n = 0;
        int prev = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            for (int i = 0; i < pcm.length; i += 2)
            {
                final int s = (short)((pcm[i] & 0xFF) | (pcm[i + 1] << 8));
                if (n > 0 && ((s < 0 && prev >= 0) || (prev < 0 && s >= 0)))
                {
                    zeroCrossings++;
                }
                checksum ^= (s + 32768 + pass) & 0xFFFF;
                checksum = (checksum * 16777619L) & 0xFFFFFFFFL;
                sumSquares = sumSquares.add(BigInteger.valueOf((long)s * s));
                n++;
                prev = s;
            }
        }
        final double rms = 0 == n ? 0.0 : Math.sqrt(sumSquares.doubleValue() / n);

        final StubResult result = new StubResult();
        PcmStub.compute(Unpooled.wrappedBuffer(pcm), passes, result);
        final String label = "bytes=" + pcm.length + " passes=" + passes;
        assertEquals(zeroCrossings, result.zeroCrossings(), label);
        assertEquals(checksum, result.checksum(), label);
        assertEquals(n, result.samples(), label);
        assertEquals(rms, result.rms(), label);
        assertEquals(pcm.length, result.audioBytes(), label);
    }
}
