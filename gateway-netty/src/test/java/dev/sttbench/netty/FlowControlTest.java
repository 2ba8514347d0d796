package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;
import dev.sttbench.gateway.Stream;
import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One request in flight per session, and gateway-nio's overflow policy: a full buffer sheds, one error names it. */
class FlowControlTest
{
    @Test
    void aSlowServiceMakesTheBufferShedAndOneErrorFrameNamesTheShedRange() throws Exception
    {
        try (InferenceSimulator simulator = Harness.simulator("MODEL_DELAY_MS", "1200", "MODEL_JITTER_SIGMA", "0",
            "MODEL_LONGTAIL_PROB", "0", "MODEL_BATCH_WAIT_MAX_MS", "0");
            NettyGateway gateway = NettyHarness.gateway(simulator.port(), "SESSION_BUFFER_FRAMES", "20",
                "FLUSH_INTERVAL_MS", "200", "FLUSH_PHASE_JITTER_MS", "0", "WORKER_THREADS", "1");
            Stream stream = new Stream(gateway.port(), 9))
        {
            // Frames keep coming while the first batch (about 10 frames) waits 1.2 s: the buffer fills at 20 and sheds.
            final List<JsonObject> messages = stream.until("buffer_overflow", 10_000);
            final JsonObject overflow = messages.get(messages.size() - 1);
            assertEquals("gateway_buffer", overflow.get("stage"), overflow.toJson());
            assertEquals("buffer_overflow", overflow.get("kind"), overflow.toJson());
            assertEquals(Boolean.TRUE, overflow.get("retryable"), overflow.toJson());
            assertNull(overflow.get("inference_status"));
            assertNull(overflow.get("inference_elapsed_ms"));
            assertEquals(0, ((BigDecimal)overflow.get("gateway_buffer_frames")).longValue());
            assertTrue(Harness.longOf(overflow, "frames") > 0);
            for (final JsonObject message : messages.subList(0, messages.size() - 1))
            {
                assertEquals("partial", message.get("type"), message.toJson());
            }
            assertTrue(NettyHarness.metric(gateway, "gateway_flushes_skipped_total") > 0, "flushes due while a batch is out");
            assertTrue(NettyHarness.metric(gateway, "gateway_frames_shed_total") >= Harness.longOf(overflow, "frames"));
            // Storing resumes after the report: the next partial starts right after the shed range (Stream checks it).
            assertEquals("partial", stream.next(5_000).get("type"));
        }
    }
}
