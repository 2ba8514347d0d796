package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;
import dev.sttbench.gateway.Stream;
import com.github.cliftonlabs.json_simple.JsonObject;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service's HTTP/2 limits: SETTINGS_MAX_CONCURRENT_STREAMS (more connections, then a queue) and GOAWAY after a
 * number of requests (unprocessed streams sent again on a new connection). Every batch still gets its partial.
 */
class InferenceStreamLimitTest
{
    @Test
    void aStreamLimitAndGoawaysCostNoBatch() throws Exception
    {
        try (InferenceSimulator simulator = Harness.simulator("MAX_CONCURRENT_STREAMS", "2",
            "MAX_REQUESTS_PER_CONNECTION", "7", "MODEL_DELAY_MS", "150", "MODEL_JITTER_SIGMA", "0",
            "MODEL_LONGTAIL_PROB", "0");
            NettyGateway gateway = NettyHarness.gateway(simulator.port(), "WORKER_THREADS", "1",
                "INFERENCE_CONNECTIONS_PER_LOOP", "2", "FLUSH_INTERVAL_MS", "300", "FLUSH_PHASE_JITTER_MS", "0"))
        {
            final List<Stream> streams = new ArrayList<>();
            try
            {
                for (int session = 0; session < 6; session++)
                {
                    streams.add(new Stream(gateway.port(), 20 + session));
                }
                for (int round = 0; round < 3; round++)
                {
                    for (final Stream stream : streams)
                    {
                        final JsonObject message = stream.next(5_000);
                        assertEquals("partial", message.get("type"), message.toJson());
                    }
                }
            }
            finally
            {
                streams.forEach(Stream::close);
            }
            for (final Protocol.ErrorKind kind : Protocol.ErrorKind.values())
            {
                assertEquals(0, NettyHarness.metric(gateway, "gateway_error_frames_total{kind=\"" + kind.kind + "\"}"), kind.kind);
            }
            assertTrue(NettyHarness.metric(gateway, "gateway_inference_connections") <= 2, gateway.metricsText());
        }
    }
}
