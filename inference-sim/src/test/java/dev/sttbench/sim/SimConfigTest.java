package dev.sttbench.sim;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimConfigTest
{
    @Test
    void defaultsFollowTheProtocol()
    {
        final SimConfig config = SimConfig.fromEnv(Map.of());
        assertEquals(9000, config.port());
        assertEquals(Runtime.getRuntime().availableProcessors(), config.workerThreads());
        assertEquals(4, config.cpuPasses());
        assertEquals(75, config.modelDelayMs());
        assertEquals(0.15, config.modelJitterSigma());
        assertEquals(0.01, config.modelLongtailProb());
        assertEquals(3.0, config.modelLongtailMult());
        assertEquals(20, config.modelBatchWaitMaxMs());
        assertEquals(65536, config.modelMaxConcurrent());
        assertEquals(1_000_000, config.maxConcurrentStreams());
        assertEquals(0, config.maxRequestsPerConnection());
        assertEquals("127.0.0.1", config.bindAddress());
    }

    @Test
    void readsEveryVariable()
    {
        final SimConfig config = SimConfig.fromEnv(Map.ofEntries(
            Map.entry("PORT", "0"), Map.entry("WORKER_THREADS", "3"), Map.entry("CPU_PASSES", "2"),
            Map.entry("MODEL_DELAY_MS", "10"), Map.entry("MODEL_JITTER_SIGMA", "0.5"),
            Map.entry("MODEL_LONGTAIL_PROB", "0.2"), Map.entry("MODEL_LONGTAIL_MULT", "4"),
            Map.entry("MODEL_BATCH_WAIT_MAX_MS", "7"), Map.entry("MODEL_MAX_CONCURRENT", "12"),
            Map.entry("BIND_ADDRESS", "0.0.0.0"), Map.entry("MAX_CONCURRENT_STREAMS", "4294967295"),
            Map.entry("MAX_REQUESTS_PER_CONNECTION", "1000")));
        assertEquals(0, config.port());
        assertEquals(3, config.workerThreads());
        assertEquals(2, config.cpuPasses());
        assertEquals(10, config.modelDelayMs());
        assertEquals(0.5, config.modelJitterSigma());
        assertEquals(0.2, config.modelLongtailProb());
        assertEquals(4.0, config.modelLongtailMult());
        assertEquals(7, config.modelBatchWaitMaxMs());
        assertEquals(12, config.modelMaxConcurrent());
        assertEquals(4_294_967_295L, config.maxConcurrentStreams());
        assertEquals(1000, config.maxRequestsPerConnection());
        assertEquals("0.0.0.0", config.bindAddress());
    }

    @Test
    void aMalformedValueNamesItsVariable()
    {
        final Map<String, String> bad = Map.ofEntries(
            Map.entry("PORT", "http"),
            Map.entry("WORKER_THREADS", "0"),
            Map.entry("CPU_PASSES", "-1"),
            Map.entry("MODEL_DELAY_MS", "7.5ms"),
            Map.entry("MODEL_JITTER_SIGMA", "NaN"),
            Map.entry("MODEL_LONGTAIL_PROB", "1.5"),
            Map.entry("MODEL_LONGTAIL_MULT", "three"),
            Map.entry("MODEL_BATCH_WAIT_MAX_MS", ""),
            Map.entry("MODEL_MAX_CONCURRENT", "0"),
            Map.entry("MAX_CONCURRENT_STREAMS", "4294967296"),
            Map.entry("MAX_REQUESTS_PER_CONNECTION", "-1"),
            Map.entry("BIND_ADDRESS", " "));
        for (final Map.Entry<String, String> entry : bad.entrySet())
        {
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> SimConfig.fromEnv(Map.of(entry.getKey(), entry.getValue())));
            assertTrue(ex.getMessage().startsWith(entry.getKey() + ": "), ex.getMessage());
        }
    }

    @Test
    void maxConcurrentStreamsIsAPositiveThirtyTwoBitSetting()
    {
        for (final String bad : new String[]{ "0", "-5", "4294967296", "100k", "" })
        {
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> SimConfig.fromEnv(Map.of("MAX_CONCURRENT_STREAMS", bad)));
            assertTrue(ex.getMessage().startsWith("MAX_CONCURRENT_STREAMS: "), ex.getMessage());
        }
        assertEquals(100, SimConfig.fromEnv(Map.of("MAX_CONCURRENT_STREAMS", " 100 ")).maxConcurrentStreams());
    }

    @Test
    void mainExitsWithStatusOneWhenThePortIsTaken() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int status = Main.run(
                Map.of("PORT", Integer.toString(taken.getLocalPort()), "WORKER_THREADS", "1"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, status);
            assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("inference-sim: cannot listen on "), err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void mainExitsWithStatusTwoAndNamesTheVariable()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = Main.run(
            Map.of("MODEL_JITTER_SIGMA", "wide"),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("inference-sim: MODEL_JITTER_SIGMA: "), err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }
}
