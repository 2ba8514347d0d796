package dev.sttbench.loadgen.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sttbench.loadgen.Main;
import dev.sttbench.loadgen.testing.FakeGateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The suite must catch a gateway that answers violations with the wrong code and serves every path. */
class ConformanceAgainstFakeGatewayTest {
    @Test
    void aLaxGatewayFailsTheChecksItBreaks() throws Exception {
        try (FakeGateway gateway = new FakeGateway(FakeGateway.Behaviour.LAX, 1000)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = Main.run(new String[] {"conformance", "--url", gateway.url()},
                    new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            String report = out.toString(StandardCharsets.UTF_8);
            assertEquals(1, exit, report);
            assertTrue(report.contains("PASS health_200"), report);
            assertTrue(report.contains("FAIL unknown_path_404: expected 404, got 200"), report);
            assertTrue(report.contains("FAIL invalid_start_1002: close code 1000, expected 1002"), report);
            assertTrue(report.contains("FAIL wrong_frame_size_1003: close code 1000, expected 1003"), report);
            assertTrue(report.contains("PASS ping_pong"), report);
            assertTrue(report.contains("PASS normal_close"), report);
            // The fake's partials carry made-up inference fields.
            assertTrue(report.contains("FAIL golden_partial: "), report);
        }
    }
}
