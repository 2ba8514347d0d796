package dev.sttbench.gateway.config;

import dev.sttbench.gateway.session.AudioChunkPool;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayConfigTest
{
    @Test
    void defaultsFollowTheContract()
    {
        final GatewayConfig config = GatewayConfig.fromEnv(Map.of());
        assertEquals(8080, config.port());
        assertEquals("http://127.0.0.1:9000", config.inferenceUrl().toString());
        assertEquals(4, config.cpuPasses());
        assertEquals(75, config.modelDelayMs());
        assertEquals(1000, config.flushIntervalMs());
        assertEquals(1000, config.flushPhaseJitterMs());
        assertEquals(2000, config.inferenceTimeoutMs());
        assertEquals(Runtime.getRuntime().availableProcessors(), config.workerThreads());
        assertEquals(10_000, config.maxSessions());
        assertEquals(256, config.sessionBufferFrames());
        assertEquals(16 * 1024, config.outboundBufferBytes());
        assertEquals(0, config.loopPacingMicros());
        assertEquals("127.0.0.1", config.bindAddress());
        assertEquals(100, config.inferenceMaxStreams());
        assertEquals(16, config.inferenceMaxConnections());
        assertEquals(4096, config.inferenceQueueMax());
        assertEquals(0, config.audioMemoryMb(), "derived from the container's limit");
    }

    @Test
    void sizesEveryLoopForEverySession()
    {
        final GatewayConfig config = GatewayConfig.fromEnv(Map.of("WORKER_THREADS", "3", "MAX_SESSIONS", "10",
            "SESSION_BUFFER_FRAMES", "4", "OUTBOUND_BUFFER_BYTES", "8192"));
        // Any loop may hold all 10. 4 frames fit one chunk, but a ring's frames may start mid-chunk: two chunks each.
        assertEquals(10 * 2, config.audioChunksPerLoop());
        assertEquals(10, config.requestBodiesPerLoop());
        assertEquals(500, config.readIntervalMs());
    }

    @Test
    void aMillionSessionsOnOneLoopAreBoundedBy2GiBOfAudioAndBodies()
    {
        final GatewayConfig config = GatewayConfig.fromEnv(Map.of("WORKER_THREADS", "1", "MAX_SESSIONS", "1000000"));
        assertEquals(AudioChunkPool.MAX_CHUNKS, config.audioChunksPerLoop());
        assertEquals(Integer.MAX_VALUE / (40 * 4096), config.requestBodiesPerLoop(), "256 frames: 40 pages a body");
    }

    @Test
    void malformedValuesNameTheVariable()
    {
        for (final Map<String, String> env : List.of(
            Map.of("PORT", "http"), Map.of("PORT", "70000"), Map.of("CPU_PASSES", "-1"),
            Map.of("FLUSH_INTERVAL_MS", "0"), Map.of("WORKER_THREADS", "two"), Map.of("MAX_SESSIONS", ""),
            Map.of("INFERENCE_URL", "ftp://x"), Map.of("INFERENCE_URL", "not a uri"),
            Map.of("SESSION_BUFFER_FRAMES", "1"), Map.of("OUTBOUND_BUFFER_BYTES", "100"),
            Map.of("INFERENCE_TIMEOUT_MS", "1.5"), Map.of("BIND_ADDRESS", " "),
            Map.of("LOOP_PACING_US", "-1"), Map.of("READ_INTERVAL_MS", "-5"),
            Map.of("MAX_SESSIONS", "1000001"), Map.of("INFERENCE_MAX_STREAMS", "0"),
            Map.of("INFERENCE_MAX_STREAMS", "lots"), Map.of("INFERENCE_MAX_CONNECTIONS", "0"),
            Map.of("INFERENCE_MAX_CONNECTIONS", "257"), Map.of("INFERENCE_QUEUE_MAX", "-1"),
            Map.of("AUDIO_MEMORY_MB", "-1"), Map.of("AUDIO_MEMORY_MB", "256M")))
        {
            final String name = env.keySet().iterator().next();
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> GatewayConfig.fromEnv(env), env.toString());
            assertTrue(ex.getMessage().startsWith(name + ":"), ex.getMessage());
        }
    }

    @Test
    void outboundBuffersBeyondATebibyteOfAddressSpaceAreRefused()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () ->
            GatewayConfig.fromEnv(Map.of("MAX_SESSIONS", "100000", "OUTBOUND_BUFFER_BYTES", "16777216")));
        assertTrue(ex.getMessage().startsWith("OUTBOUND_BUFFER_BYTES:"), ex.getMessage());
    }
}
