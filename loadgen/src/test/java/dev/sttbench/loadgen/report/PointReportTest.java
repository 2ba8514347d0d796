package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PointReportTest {
    @TempDir
    Path tmp;

    @Test
    void statesSetupLatencyGatewayCostAndTheClient() throws Exception {
        String md = PointReport.render(PointResult.read(new PointFixture().write(tmp)));

        assertContains(md, "# fixture, 100 sessions: PASS");
        assertContains(md, "| pinning (taskset) | gateway CPU 0, inference-sim CPU 0, loadgen CPU 1 |");
        assertContains(md, "0.50 vCPU, CFS quota (v1 /sys/fs/cgroup/cpu/x); throttled in 12 of 100 periods (12.0 %), 340 ms");
        assertContains(md, "| newest frame → partial | 120.0 | 250.0 | 300.5 | 400.0 | 500.0 | p50 ≤ 200, p95 ≤ 350 |");
        assertContains(md, "| error frames | 1 (inference_request/timeout 1) |");
        assertContains(md, "| timeouts | 2 (close 2) |");
        assertContains(md, "| errors / partials (SLO ≤ 1e-5) | 3.00e-03 |");
        assertContains(md, "| CPU over the measured window, mean / max | 50.0 % / 50.0 % of one core |");
        assertContains(md, "| CPU per audio frame | 100.00 µs |");
        assertContains(md, "| projected sessions per vCPU (upper bound) | 200 |");
        assertContains(md, "| sessions per vCPU at this point (sessions / limit) | 200 |");
        assertContains(md, "The client was not the bottleneck");
    }

    @Test
    void aNiceValueIsStated() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.nice = "-10";
        String md = PointReport.render(PointResult.read(fixture.write(tmp)));

        assertContains(md, "| scheduling | all three processes at nice -10 (ahead of other work on a shared machine) |");
    }

    @Test
    void realtimeLoopsAreStated() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.rtPriority = "1";
        String md = PointReport.render(PointResult.read(fixture.write(tmp)));

        assertContains(md, "| scheduling | loadgen's loops SCHED_FIFO at priority 1 (no other task on their core delays a due frame) |");
        assertFalse(PointReport.render(PointResult.read(new PointFixture().write(tmp.resolve("normal")))).contains("| scheduling |"));
    }

    @Test
    void aClientBoundRunSaysSo() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.clientBound = true;
        fixture.verdict = "INVALID";
        String md = PointReport.render(PointResult.read(fixture.write(tmp)));

        assertContains(md, "The point is **invalid**");
        assertContains(md, "**The client was the bottleneck**");
    }

    @Test
    void anUnlimitedGatewaySaysNone() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.cpuLimit = "";
        fixture.cgroupStat = false;
        String md = PointReport.render(PointResult.read(fixture.write(tmp)));

        assertContains(md, "| gateway CPU limit | none |");
        assertTrue(!md.contains("sessions / limit"), md);
        assertTrue(!md.contains("| scheduling |"), md);
    }

    private static void assertContains(String text, String expected) {
        assertTrue(text.contains(expected), () -> "missing <" + expected + "> in:\n" + text);
    }
}
