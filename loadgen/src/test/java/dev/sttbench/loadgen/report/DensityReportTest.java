package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DensityReportTest {
    @TempDir
    Path tmp;

    private static String render(Path dir) {
        DensityRun run = DensityRun.read(dir);
        return DensityReport.render(run, DensityVerdict.of(run));
    }

    @Test
    void statesMachineMemoryCpuLoopLagClientAndFailures() throws Exception {
        String md = render(new DensityFixture().write(tmp));

        assertContains(md, "# Density, 1000 idle connections: PASS");
        assertContains(md, "The gateway held **1000 of 1000** connections at **9.00 KiB per connection**");
        assertContains(md, "| machine | 2 cores, Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, 23.5 GiB RAM, virtualization: docker, hypervisor |");
        assertContains(md, "| fd limit (per process) | soft 20000 (was 1024), hard 20000; the gateway needs ≈ 1100 (connections + 100) |");
        assertContains(md, "net.core.somaxconn 4096, net.ipv4.tcp_max_syn_backlog 2048 (unchanged)");
        assertContains(md, "| gateway heap | 49 MiB (computed: 48 MiB + 1000 × 1 KiB) |");
        assertContains(md, "| open phase | 2.00 s, **500 conn/s** (requested 500/s) |");
        assertContains(md, "| baseline RSS (healthy, idle 2 s, no connection) | 78.1 MiB |");
        assertContains(md, "| **KiB per connection** (peak − baseline) / 1000 | **9.00** |");
        assertContains(md, "| KiB per connection at the end of the hold | 8.00 |");
        assertContains(md, "| CPU over the hold, mean / max (1 s) | 2.0 % / 2.0 % of one core |");
        assertContains(md, "| CPU per idle connection per second | 20.000 µs |");
        assertContains(md, "≤ 1 / ≤ 8 / 1234 µs over 100 timers");
        assertContains(md, "The load generator was not the limit.");
        assertContains(md, "| refused | 0 |");
        assertContains(md, "| **total** | 0 |");
        assertContains(md, "![gateway RSS and sessions over time](density.png)");
        assertFalse(md.contains("Streaming sessions"));
    }

    @Test
    void anFdCappedRunSaysTheLimitNotTheGatewayCappedIt() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.fdCapped = true;
        fixture.wanted = 100_000;
        String md = render(fixture.write(tmp));

        assertContains(md, "**The file-descriptor limit, not the gateway, capped this run**: 100000 connections were wanted");
        assertContains(md, "| requested / opened | 1000 / 1000 (100000 wanted: capped by the fd limit) |");
    }

    @Test
    void sysctlChangesAreStatedWithHowToRestoreThem() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.sysctlChanges = "net.core.somaxconn 4096 → 5000";
        assertContains(render(fixture.write(tmp)),
                "**changed by this run**: net.core.somaxconn 4096 → 5000 (restore: `sysctl -w net.core.somaxconn=4096`)");
    }

    @Test
    void aLimitedLoadgenIsTheLimit() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.limited = true;
        assertContains(render(fixture.write(tmp)), "**The load generator was the limit**: CPU saturated while opening.");
    }

    @Test
    void sessionErrorsAndBudgetAreBothExplained() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.refused = 2;
        fixture.rssBudgetMb = "50";
        String md = render(fixture.write(tmp));

        assertContains(md, "# Density, 1000 idle connections: FAIL");
        assertContains(md, "**Session errors** (exit 3): 2 connection failures (refused 2).");
        assertContains(md, "Also over budget (peak RSS 86.9 MiB over the budget of 50 MiB): session errors take precedence");
        assertContains(md, "| refused | 2 |");
        assertContains(md, "| RSS budget (RSS_BUDGET_MB, MiB) | 50: **exceeded** |");
    }

    @Test
    void streamingSessionsAreShownAloneAndMixed() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.streaming = 20;
        fixture.alone = true;
        fixture.streamingVerdict = "FAIL";
        String md = render(fixture.write(tmp));

        assertContains(md, "# Density, 1000 idle connections + 20 streaming: FAIL");
        assertContains(md, "|  | alone (ALONE=1) | with the idle connections |");
        assertContains(md, "| SLO verdict | PASS | FAIL (newest_p95) |");
        assertContains(md, "| newest frame → partial p50 / p95 ms (≤ 200 / 350) | 120.0 / 250.0 | 120.0 / 250.0 |");
        assertContains(md, "| CPU per held connection per second (streaming load included) |");
    }

    @Test
    void theVerdictLineAndTheTableRow() throws Exception {
        DensityRun run = DensityRun.read(new DensityFixture().write(tmp));
        DensityVerdict verdict = DensityVerdict.of(run);

        assertEquals("density 1000 PASS | opened 1000/1000 at 500/s | RSS baseline 78.1, peak 86.9 MiB | 9.00 KiB/conn"
                + " | hold CPU 2.0 % | failures 0", DensityReport.verdictLine(run, verdict));
        assertEquals("| 1970-01-01 00:00 | abc1234 | 2c Intel Xeon Platinum 8375C 24G docker+hypervisor | 1000 | 0 | 0 | 1000"
                + " | 78.1 | 86.9 | 9.00 | 500 | 2.0 | PASS |\n", DensityReport.tableRow(run, verdict));
    }

    @Test
    void densityCommandWritesReportAndPlotAppendsRowsAndExitsWithTheVerdict() throws Exception {
        Path table = tmp.resolve("results").resolve("density.md");
        DensityFixture over = new DensityFixture();
        over.rssBudgetMb = "50";
        DensityFixture refused = new DensityFixture();
        refused.refused = 1;

        assertEquals(0, run("density", new DensityFixture().write(tmp.resolve("pass")).toString(), "--table", table.toString()));
        assertEquals(2, run("density", over.write(tmp.resolve("over")).toString(), "--table", table.toString()));
        assertEquals(3, run("density", refused.write(tmp.resolve("refused")).toString(), "--table", table.toString()));

        String rows = Files.readString(table);
        assertTrue(rows.startsWith(DensityReport.TABLE_HEADER), "header written once, first");
        assertEquals(1, rows.split("# Density runs", -1).length - 1);
        assertEquals(3, rows.lines().filter(l -> l.startsWith("| 1970-")).count());
        assertTrue(rows.lines().anyMatch(l -> l.endsWith("| OVER BUDGET |")));
        assertTrue(rows.lines().anyMatch(l -> l.endsWith("| FAIL |")));

        Path pass = tmp.resolve("pass");
        assertTrue(Files.readString(pass.resolve("report.md")).startsWith("# Density, 1000 idle connections: PASS"));
        BufferedImage png = ImageIO.read(pass.resolve(DensityPlot.FILE_NAME).toFile());
        assertEquals(900, png.getWidth());
        assertTrue(Files.size(pass.resolve(DensityPlot.FILE_NAME)) > 10_000, "the chart looks empty");
    }

    @Test
    void densityCommandWithoutATableWritesNoRow() throws Exception {
        Path dir = new DensityFixture().write(tmp.resolve("run"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        int rc = ReportMain.run(new String[] {"density", dir.toString()}, new PrintStream(out),
                new PrintStream(new ByteArrayOutputStream()));

        assertEquals(0, rc);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("density 1000 PASS |"));
        assertFalse(Files.exists(tmp.resolve("density.md")));
    }

    @Test
    void unreadableRunIsOneAndAWrongCommandLineIsFour() {
        assertEquals(1, run("density", tmp.resolve("absent").toString()));
        assertEquals(4, run("density"));
        assertEquals(4, run("density", "a", "--tabel", "b"));
    }

    private static int run(String... args) {
        return ReportMain.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
    }

    private static void assertContains(String text, String expected) {
        assertTrue(text.contains(expected), () -> "expected\n  " + expected + "\nin\n" + text);
    }
}
