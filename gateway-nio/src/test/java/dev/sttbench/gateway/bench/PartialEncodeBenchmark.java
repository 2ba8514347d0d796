package dev.sttbench.gateway.bench;

import dev.sttbench.gateway.protocol.InferenceResponseParser;
import dev.sttbench.gateway.protocol.InferenceResult;
import dev.sttbench.gateway.protocol.PartialEncoder;
import dev.sttbench.gateway.websocket.FrameEncoder;
import dev.sttbench.gateway.websocket.Opcodes;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What the loop does with a 2xx inference response: strict parse, partial JSON by hand, frame header, all in
 * preallocated buffers. Expect ≈ 0 B/op with {@code -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
@State(Scope.Thread)
public class PartialEncodeBenchmark
{
    private final byte[] response = ("{\"rms\":5700.720524635461,\"zero_crossings\":111,\"checksum\":1745880965," +
        "\"samples\":64000,\"transcript\":\"over\",\"audio_bytes\":32000}").getBytes(StandardCharsets.UTF_8);
    private final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(16 * 1024));
    private final InferenceResponseParser parser = new InferenceResponseParser();
    private final InferenceResult result = new InferenceResult();
    private final PartialEncoder encoder = new PartialEncoder(4, 75);
    private long seq = 1;

    @Benchmark
    public int parseAndEncodePartial()
    {
        if (!parser.parse(response, response.length, result))
        {
            throw new IllegalStateException("benchmark response must parse");
        }
        final int length = encoder.encode(scratch, FrameEncoder.PAYLOAD_OFFSET, seq, 50, result, 1_234_567, 42);
        seq += 50;
        return FrameEncoder.writeHeaderBefore(scratch, FrameEncoder.PAYLOAD_OFFSET, Opcodes.TEXT, length) + length;
    }
}
