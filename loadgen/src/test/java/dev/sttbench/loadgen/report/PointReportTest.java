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

    @Test
    void aPodRunStatesAddressesLimitsAndMemoryPeaks() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.extraEnv = podEnv(0, "running");
        String md = PointReport.render(PointResult.read(fixture.write(tmp)));

        assertContains(md, "## Pods (POD=1)");
        assertContains(md, "veth pair to bridge sttb0 10.77.0.1/24, MTU 1500");
        assertContains(md, "| gateway | 10.77.0.2, netns sttb0-gateway | 0 | 256 MiB | 160.0 MiB | 150.0 MiB | "
                + "140.0 / 8.0 / 2.0 MiB | 0 | 0 | running at the end of the load |");
        assertContains(md, "| inference-sim | 10.77.0.3, netns sttb0-sim | 0 | 1024 MiB | 300.0 MiB |");
        assertContains(md, "| loadgen | 10.77.0.4, netns sttb0-loadgen | taskset 1 | none |");
        assertFalse(md.contains("OOM: the kernel killed"), md);
        assertFalse(PointReport.render(PointResult.read(new PointFixture().write(tmp.resolve("plain")))).contains("Pods"));
    }

    @Test
    void anOomKilledGatewayIsStatedUnderTheVerdict() throws Exception {
        PointFixture fixture = new PointFixture();
        fixture.extraEnv = podEnv(1, "137");
        fixture.verdict = "FAIL";
        String md = PointReport.render(PointResult.read(fixture.write(tmp)));

        assertContains(md, "**OOM: the kernel killed the gateway** under its pod's 256 MiB memory limit "
                + "(memory.oom_control oom_kill 1, memory.failcnt 42, peak 160.0 MiB, exit status 137 (SIGKILL))");
        assertTrue(md.indexOf("OOM: the kernel killed") < md.indexOf("## Setup"), md);
        assertContains(md, "| 42 | 1 | 137 (SIGKILL) |");
    }

    private static String podEnv(int gatewayOomKills, String gatewayExit) {
        long mib = 1048576;
        return String.join("\n", "pod_network=bridge sttb0 10.77.0.1/24, MTU 1500, one veth pair per pod",
                "pod_gateway_address=10.77.0.2, netns sttb0-gateway", "pod_gateway_cpuset=0",
                "pod_gateway_memory_limit_mb=256", "pod_sim_address=10.77.0.3, netns sttb0-sim", "pod_sim_cpuset=0",
                "pod_sim_memory_limit_mb=1024", "pod_loadgen_address=10.77.0.4, netns sttb0-loadgen",
                "pod_gateway_memory_limit_bytes=" + 256 * mib, "pod_gateway_memory_usage_bytes=" + 150 * mib,
                "pod_gateway_memory_peak_bytes=" + 160 * mib, "pod_gateway_memory_failcnt=" + (gatewayOomKills > 0 ? 42 : 0),
                "pod_gateway_memory_kernel_bytes=" + 2 * mib, "pod_gateway_memory_oom_kill=" + gatewayOomKills,
                "pod_gateway_memory_cache_bytes=" + 8 * mib, "pod_gateway_memory_rss_bytes=" + 140 * mib,
                "pod_gateway_exit=" + gatewayExit,
                "pod_sim_memory_limit_bytes=" + 1024 * mib, "pod_sim_memory_usage_bytes=" + 290 * mib,
                "pod_sim_memory_peak_bytes=" + 300 * mib, "pod_sim_memory_failcnt=0", "pod_sim_memory_oom_kill=0",
                "pod_sim_memory_kernel_bytes=" + mib, "pod_sim_memory_cache_bytes=0", "pod_sim_memory_rss_bytes=" + 280 * mib,
                "pod_sim_exit=running", "");
    }

    private static void assertContains(String text, String expected) {
        assertTrue(text.contains(expected), () -> "missing <" + expected + "> in:\n" + text);
    }
}
