package dev.sttbench.sim.bench;

import dev.sttbench.sim.GoldenVectors;
import dev.sttbench.sim.stub.PcmStub;
import dev.sttbench.sim.stub.StubJson;
import dev.sttbench.sim.stub.StubResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The deterministic stub alone: ns per body. A 32000-byte body is one gateway flush of 50 frames; divide by
 * {@code passes * bodyBytes / 2} for ns per sample visited.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StubBenchmark
{
    @Param({"640", "32000"})
    int bodyBytes;

    @Param({"1", "4"})
    int passes;

    private ByteBuf body;
    private ByteBuf json;
    private final StubResult result = new StubResult();

    @Setup
    public void setUp()
    {
        final byte[] pcm = GoldenVectors.pcm(7, 1, bodyBytes / 640);
        body = Unpooled.directBuffer(pcm.length).writeBytes(pcm);
        json = Unpooled.directBuffer(StubJson.MAX_LENGTH);
    }

    @TearDown
    public void tearDown()
    {
        body.release();
        json.release();
    }

    @Benchmark
    public long compute()
    {
        PcmStub.compute(body, passes, result);
        return result.checksum();
    }

    @Benchmark
    public int computeAndEncode()
    {
        PcmStub.compute(body, passes, result);
        json.clear();
        StubJson.encode(result, json);
        return json.writerIndex();
    }
}
