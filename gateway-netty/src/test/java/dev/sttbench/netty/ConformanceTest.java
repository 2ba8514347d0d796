package dev.sttbench.netty;

import dev.sttbench.gateway.Harness;
import dev.sttbench.loadgen.conformance.ConformanceCommand;
import dev.sttbench.sim.InferenceSimulator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loadgen's black-box conformance suite ({@code loadgen conformance --url ...}) against gateway-netty. */
class ConformanceTest
{
    @Test
    void everyConformanceCheckPasses()
    {
        try (InferenceSimulator simulator = Harness.simulator();
            NettyGateway gateway = NettyHarness.gateway(simulator.port()))
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int exit = ConformanceCommand.run(new String[]{ "--url", "ws://127.0.0.1:" + gateway.port() + "/ws/stt" },
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            final String report = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
            assertEquals(0, exit, report);
            assertTrue(report.contains("conformance: all checks passed"), report);
            assertEquals(17, report.lines().filter(line -> line.startsWith("PASS ")).count(), report);
        }
    }
}
