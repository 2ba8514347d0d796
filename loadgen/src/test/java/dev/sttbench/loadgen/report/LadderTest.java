package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LadderTest {
    @TempDir
    Path tmp;

    @Test
    void theCeilingIsTheHighestCountThatPassedTwice() throws Exception {
        Ladder ladder = Ladder.read(new LadderFixture(tmp)
                .run(250, 1, true).run(500, 1, true).run(1000, 1, false)
                .run(750, 1, true).run(875, 1, false).run(750, 2, false).run(500, 2, true)
                .write());

        assertEquals(new Ladder.Ceiling(500, List.of(750), true), ladder.ceiling());
        assertEquals(List.of(250, 500, 500, 750, 750, 875, 1000),
                ladder.runs().stream().map(Ladder.Run::sessions).toList());
    }

    @Test
    void noCountPassingTwiceMeansNoConfirmedCeiling() throws Exception {
        Ladder ladder = Ladder.read(new LadderFixture(tmp).run(250, 1, true).run(500, 1, false).write());

        assertEquals(new Ladder.Ceiling(0, List.of(), true), ladder.ceiling());
        assertTrue(LadderReport.ceilingSentence(ladder.ceiling(), 0.5).startsWith("**No confirmed ceiling**"));
    }

    @Test
    void runsWithoutResultsOrInvalidCountNeitherWay() throws Exception {
        Ladder ladder = Ladder.read(new LadderFixture(tmp).run(250, 1, true).brokenRun(250, 2).invalidRun(250, 3)
                .run(500, 1, true).invalidRun(500, 2).write());

        assertNull(ladder.runs().get(1).result());
        assertEquals("NO RESULT (exit 3)", ladder.runs().get(1).verdict());
        assertEquals("INVALID", ladder.runs().get(2).verdict());
        assertEquals(new Ladder.Ceiling(0, List.of(), false), ladder.ceiling());
        assertEquals(2, ladder.resultsBySessions().get(250).size());
    }

    @Test
    void theReportSaysWhenTheClientCutTheSearchShort() throws Exception {
        Ladder ladder = Ladder.read(new LadderFixture(tmp).run(300, 1, true).invalidRun(400, 2).invalidRun(400, 3)
                .run(300, 4, true).write());

        String md = LadderReport.render(ladder, "nio");
        assertTrue(md.contains("**Confirmed ceiling: 300 sessions** = 600 sessions per vCPU (passed twice); no higher"
                + " count failed, so this is a lower bound. Runs at 400 sessions were invalid (the load generator was"
                + " client-bound)"), md);
    }

    @Test
    void aCeilingWithNothingFailingAboveItIsALowerBound() throws Exception {
        Ladder ladder = Ladder.read(new LadderFixture(tmp).run(900, 1, true).run(1300, 1, true).run(1300, 2, true).write());

        assertEquals(new Ladder.Ceiling(1300, List.of(), false), ladder.ceiling());
        assertEquals("**Confirmed ceiling: 1300 sessions** = 2600 sessions per vCPU (passed twice); no higher count"
                + " failed, so this is a lower bound.", LadderReport.ceilingSentence(ladder.ceiling(), 0.5));
    }

    @Test
    void theReportHasARowPerRunAndStatesTheCeilingPerVcpu() throws Exception {
        Ladder ladder = Ladder.read(new LadderFixture(tmp)
                .run(250, 1, true).run(500, 1, true).run(500, 2, true).run(750, 1, false).write());

        String md = LadderReport.render(ladder, "nio");
        assertTrue(md.contains("**Confirmed ceiling: 500 sessions** = 1000 sessions per vCPU (passed twice)."), md);
        assertTrue(md.contains("| 750 | 1 | FAIL (newest_p95) |"), md);
        assertTrue(md.contains("![latency versus sessions](latency.png)"), md);
        assertEquals(4, md.lines().filter(l -> l.matches("\\| \\d+ \\| \\d \\|.*")).count(), md);
    }
}
