package dev.sttbench.loadgen.bench;

import dev.sttbench.loadgen.validate.MessageValidator;
import dev.sttbench.loadgen.validate.ProtocolViolation;
import dev.sttbench.loadgen.validate.ServerMessage;
import java.nio.charset.StandardCharsets;
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
 * The cost of one received {@code partial}: UTF-8 decoding plus strict json-simple validation, as
 * {@code net.Receiver} does for every server message ({@code make jmh MODULE=loadgen ARGS="MessageValidation -prof gc"}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class MessageValidationBench {
    private final byte[] partial = ("{\"type\":\"partial\",\"oldest_frame_seq\":51,\"newest_frame_seq\":100,\"frames\":50,"
            + "\"rms\":5773.2,\"zero_crossings\":1234,\"checksum\":3735928559,\"samples\":16000,"
            + "\"transcript\":\"sim:000000000000dead:16000:1234\",\"audio_bytes\":32000,\"cpu_passes\":4,"
            + "\"model_delay_ms\":75,\"flush_lateness_ms\":0.412,\"inflight_model_jobs\":3}")
            .getBytes(StandardCharsets.UTF_8);

    @Benchmark
    public ServerMessage validatePartial() throws ProtocolViolation {
        return MessageValidator.validate(new String(partial, StandardCharsets.UTF_8));
    }
}
