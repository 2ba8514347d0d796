package dev.sttbench.loadgen.bench;

import dev.sttbench.loadgen.audio.Pcm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The user-space cost of one outgoing frame besides the write itself: generating the reference PCM and
 * masking it, straight into the loop's direct buffer ({@code make jmh MODULE=loadgen ARGS="FrameEncoding -prof gc"}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FrameEncodingBench {
    private final ByteBuffer frame = ByteBuffer.allocateDirect(8 + Pcm.FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long seq;
    private int mask = 0x9E3779B9;

    @Benchmark
    public ByteBuffer maskedPcmFrame() {
        mask = mask * 1_103_515_245 + 12_345;
        frame.putInt(4, mask);
        Pcm.writeMaskedFrame(1234, ++seq, mask, frame, 8);
        return frame;
    }
}
