package dev.sttbench.gateway.bench;

import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.inference.CompletionSink;
import dev.sttbench.gateway.inference.InferenceCaller;
import dev.sttbench.gateway.inference.InferenceExchange;
import dev.sttbench.gateway.inference.InferencePort;
import dev.sttbench.gateway.metrics.LoopMetrics;
import dev.sttbench.gateway.session.AudioMemoryBudget;
import dev.sttbench.gateway.session.AudioSession;
import dev.sttbench.gateway.session.LoopResources;
import dev.sttbench.gateway.session.SessionLimit;
import dev.sttbench.gateway.session.SessionSlots;
import dev.sttbench.gateway.session.SessionTimers;
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
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One session's second, the part of the per-request path the gateway owns: 50 frames stored into pooled
 * chunks, the flush (an exchange lent, the batch copied into its body, the chunks returned), then the answer
 * (strict parse, partial encoded, exchange returned). The HTTP/2 client is replaced by a port that only takes
 * the body, so this measures our code alone: {@code -prof gc} shows what we allocate per request.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED" })
@State(Scope.Thread)
public class BatchCycleBenchmark
{
    private static final long SECOND = 1_000_000_000L;
    private static final byte[] RESPONSE = ("{\"rms\":5700.720524635461,\"zero_crossings\":111," +
        "\"checksum\":1745880965,\"samples\":64000,\"transcript\":\"over\",\"audio_bytes\":32000}")
        .getBytes(StandardCharsets.US_ASCII);

    /** Takes the batch's views as the HTTP client would, and hands back the same completed future. */
    private static final class BodyTakingPort implements InferencePort
    {
        private final CompletableFuture<Void> sent = CompletableFuture.completedFuture(null);
        private InferenceExchange last;
        private long bodyBytes;

        public InferenceExchange newExchange(final CompletionSink sink, final int bodySlot, final ByteBuffer body)
        {
            return new InferenceExchange(bodySlot, body);
        }

        public Future<?> send(final InferenceExchange exchange, final InferenceCaller caller)
        {
            exchange.arm(caller, 0);
            bodyBytes += exchange.requestBody().remaining();
            last = exchange;
            return sent;
        }

        public int inFlight()
        {
            return 0;
        }

        public void onCompletionHandled()
        {
        }
    }

    private final BodyTakingPort port = new BodyTakingPort();
    private final ByteBuffer response = ByteBuffer.wrap(RESPONSE);
    private SessionSlots slots;
    private LoopResources loop;
    private AudioSession session;
    private long now;
    private long partialBytes;

    @Setup
    public void setup()
    {
        final GatewayConfig config = GatewayConfig.fromEnv(Map.of("WORKER_THREADS", "1", "MAX_SESSIONS", "1",
            "FLUSH_PHASE_JITTER_MS", "0"));
        slots = new SessionSlots(config, new SessionLimit(config.maxSessions()),
            new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED));
        loop = new LoopResources(config, new LoopMetrics(), port, exchange -> { }, new SessionTimers(0), slots);
        session = new AudioSession(loop, slots.acquire(), new AudioSession.Output()
        {
            public void sendText(final int payloadIndex, final int length)
            {
                partialBytes += length;
            }

            public void abort()
            {
                throw new IllegalStateException("no fault expected");
            }
        });
        session.start(0);
    }

    @TearDown
    public void tearDown()
    {
        slots.close();
    }

    @Benchmark
    public long storeFlushAnswerOneSecond()
    {
        for (int frame = 0; frame < 50; frame++)
        {
            if (session.beginFrame())
            {
                session.audio().setMemory(session.writeIndex(), GatewayConfig.FRAME_BYTES, (byte)frame);
            }
            session.endFrame(now);
        }
        now += SECOND;
        session.onFlushDue(now);
        final InferenceExchange exchange = port.last;
        exchange.onResponse(200);
        exchange.appendResponse(response.clear());
        exchange.onBodyComplete(now);
        session.onInferenceCompletion(exchange);
        return partialBytes + port.bodyBytes;
    }
}
