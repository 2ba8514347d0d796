package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {
    @TempDir
    Path tmp;

    @Test
    void errorsAreProtocolErrorsPlusErrorFramesPlusEveryTimeout() throws Exception {
        Summary s = Summary.read(new PointFixture().write(tmp).resolve("summary.json"));

        assertEquals(3, s.errors());
        assertEquals(Map.of("inference_request/timeout", 1L), s.inferenceErrorCounts());
        assertEquals(List.of("connect", "send", "close", "session"), List.copyOf(s.timeouts().keySet()));
        assertEquals(300.5, s.newestLatency().p99());
        assertEquals(4.25, s.sendLag().max());
        assertEquals("PASS", s.verdict());
    }

    @Test
    void failedGatesAreListed() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.verdict = "FAIL";
        fixture.failedGates = "\"newest_p95\",\"oldest_p95\"";
        Summary s = Summary.read(fixture.write(tmp).resolve("summary.json"));

        assertEquals("FAIL", s.verdict());
        assertEquals(List.of("newest_p95", "oldest_p95"), s.failedGates());
    }

    @Test
    void aMissingFieldIsNamed() throws Exception {
        Path file = tmp.resolve("summary.json");
        Files.writeString(file, "{\"sessions\": 3}");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Summary.read(file).partials());
        assertTrue(e.getMessage().contains("field partials"), e.getMessage());
    }
}
