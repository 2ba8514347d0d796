package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PointResultTest {
    @TempDir
    Path tmp;

    @Test
    void gatewayCostIsCpuOverFramesCountedInsideTheWindowOnly() throws Exception {
        PointResult point = PointResult.read(new PointFixture().write(tmp));

        PointResult.GatewayCost cost = point.gatewayCost();
        assertTrue(cost.framesMeasured());
        assertEquals(10_000, cost.elapsedMs());
        assertEquals(5.0, cost.cpuSeconds(), 1e-9);
        assertEquals(50_000, cost.frames(), 1e-9);
        assertEquals(100.0, cost.microsPerFrame(), 1e-9);
        assertEquals(200.0, cost.projectedSessionsPerVcpu(), 1e-9);
    }

    @Test
    void withoutAFrameCounterFramesAreEstimatedFromSessions() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.gatewayFrameCounter = false;
        fixture.sessions = 40;
        PointResult point = PointResult.read(fixture.write(tmp));

        PointResult.GatewayCost cost = point.gatewayCost();
        assertFalse(cost.framesMeasured());
        assertEquals(40 * 50 * 10, cost.frames(), 1e-9);
        assertEquals(5e6 / 20_000, cost.microsPerFrame(), 1e-9);
    }

    @Test
    void cpuFiguresCoverTheMeasuredWindow() throws Exception {
        PointResult point = PointResult.read(new PointFixture().write(tmp));

        assertEquals(50.0, point.meanCpuPct(PointResult.GATEWAY), 1e-9);
        assertEquals(50.0, point.maxCpuPct(PointResult.GATEWAY), 1e-9);
        assertEquals(20.0, point.meanCpuPct(PointResult.LOADGEN), 1e-9);
        assertEquals((100_000 + 22_000) / 1024.0, point.peakRssMib(PointResult.GATEWAY), 1e-9);
        assertEquals(0.5, point.cpuLimit());
        assertEquals(1, point.loadgenCpus());
        assertEquals(new CgroupCpuStat(100, 12, 340.0), point.cgroup());
    }

    @Test
    void anUnsampledGatewayHasNoCost() throws Exception {
        Path dir = new PointFixture().write(tmp);
        Files.writeString(dir.resolve("proc.csv"), "epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct\n"
                + "10000,loadgen,12,1,1,1,0,\n");
        PointResult point = PointResult.read(dir);

        assertNull(point.gatewayCost());
        assertTrue(Double.isNaN(point.meanCpuPct(PointResult.GATEWAY)));
    }

    @Test
    void aMalformedProcFileNamesItsLine() throws Exception {
        Path dir = new PointFixture().write(tmp);
        Files.writeString(dir.resolve("proc.csv"), "epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct\n"
                + "10000,gateway,11,x,1,1,0,\n");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PointResult.read(dir));
        assertTrue(e.getMessage().contains("proc.csv:2"), e.getMessage());
    }
}
