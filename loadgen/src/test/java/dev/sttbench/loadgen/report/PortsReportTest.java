package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortsReportTest {
    @TempDir
    Path tmp;

    /** nio: confirmed 1250 of 0.5 vCPU; netty: twice the CPU per frame, confirmed 750, client-bound nowhere. */
    private void twoLadders() throws Exception {
        new LadderFixture(tmp.resolve("nio-ladder")).run(500, 1, true).run(1000, 1, true).run(1500, 1, false)
                .run(1250, 1, true).run(1375, 1, false).run(1250, 2, true).write();
        LadderFixture netty = new LadderFixture(tmp.resolve("netty-ladder"));
        netty.gateway = "gateway-netty";
        netty.cpuFactor = 2;
        netty.run(500, 1, true).run(1000, 1, false).run(750, 1, true).run(875, 1, false).run(750, 2, true).write();
    }

    @Test
    void ceilingsAndCostsAreSideBySideWithTheirRatiosToTheBaseline() throws Exception {
        twoLadders();

        String md = PortsReport.render(PortsReport.read(tmp, List.of("nio", "netty")));

        assertTrue(md.contains("| gateway-nio (nio) | 1250 | 2500 | 1.00 | yes |"), md);
        assertTrue(md.contains("| gateway-netty (netty) | 750 | 1500 | 0.60 | yes |"), md);
        // 500 and 1000 are the counts both ladders ran; netty's CPU per frame is twice nio's at each.
        assertTrue(md.contains("| 500 | gateway-netty (netty) | 1 | PASS |"), md);
        assertTrue(md.contains("| 1000 | gateway-netty (netty) | 1 | FAIL |"), md);
        assertEquals(2, md.lines().filter(l -> l.startsWith("| 1000 |") || l.startsWith("| 500 | gateway-netty"))
                .filter(l -> l.contains("| 2.00 |")).count(), md);
        String atCeiling = md.substring(md.indexOf("## Each at its confirmed ceiling"));
        assertTrue(atCeiling.contains("| 1250 | gateway-nio (nio) | 2 | PASS |"), atCeiling);
        assertTrue(atCeiling.contains("| 750 | gateway-netty (netty) | 2 | PASS |"), atCeiling);
    }

    @Test
    void theIndexRowQuotesCeilingsAndTheTopCountBothPassed() throws Exception {
        twoLadders();
        Path index = tmp.resolve("ports.md");
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        int rc = ReportMain.run(new String[] {"ports-report", tmp.toString(), "nio", "netty", "--index",
                index.toString(), "--run", "2026-11-30 abc1234"}, new PrintStream(out), System.err);

        assertEquals(0, rc);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("## Ceilings"));
        List<String> lines = Files.readAllLines(index);
        assertTrue(lines.getFirst().startsWith("# make compare-ports"), lines.toString());
        String row = lines.getLast();
        String[] cells = row.split(" \\| ");
        assertEquals("| 2026-11-30 abc1234", cells[0], row);
        assertEquals("nio 1250, 2500/vCPU; netty 750, 1500/vCPU (0.60×)", cells[1], row);
        assertTrue(cells[2].startsWith("500: nio ") && cells[2].endsWith("(2.00×)"), row);
        assertTrue(cells[3].startsWith("500: nio ") && cells[3].contains(", netty "), row);
        assertEquals("[" + tmp.getFileName() + "](report.md) |", cells[4], row);
    }

    @Test
    void eachPortIsCostedAtTheTopCountItAndTheBaselinePassed() throws Exception {
        twoLadders();
        LadderFixture slow = new LadderFixture(tmp.resolve("slow-ladder"));
        slow.cpuFactor = 3;
        slow.run(500, 1, false).run(250, 1, true).write();

        String row = PortsReport.indexRow(PortsReport.read(tmp, List.of("nio", "netty", "slow")), "run", "link");

        String[] cells = row.split(" \\| ");
        assertTrue(cells[2].startsWith("500: nio ") && cells[2].contains("(2.00×); slow: no count both passed"), row);
    }

    @Test
    void aMissingLadderOrOneLabelIsAnError() throws Exception {
        twoLadders();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(2, ReportMain.run(new String[] {"ports-report", tmp.toString(), "nio"}, System.out,
                new PrintStream(err)));
        assertEquals(1, ReportMain.run(new String[] {"ports-report", tmp.toString(), "nio", "grizzly"}, System.out,
                new PrintStream(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("grizzly-ladder"), err.toString());
    }
}
