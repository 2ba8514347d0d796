package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DensityVerdictTest {
    @TempDir
    Path tmp;

    private DensityVerdict verdict(DensityFixture fixture) throws Exception {
        return DensityVerdict.of(DensityRun.read(fixture.write(tmp)));
    }

    @Test
    void aCleanRunWithinItsBudgetPasses() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.rssBudgetMb = "100";
        DensityVerdict verdict = verdict(fixture);

        assertEquals(0, verdict.exitCode());
        assertEquals("PASS", verdict.word());
        assertEquals(List.of(), verdict.reasons());
    }

    @Test
    void noBudgetIsNoBudgetGate() throws Exception {
        assertEquals(0, verdict(new DensityFixture()).exitCode());
    }

    @Test
    void aBudgetSetTooLowGivesTwo() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.rssBudgetMb = "50";
        DensityVerdict verdict = verdict(fixture);

        assertEquals(2, verdict.exitCode());
        assertEquals("OVER BUDGET", verdict.word());
        assertEquals(List.of("peak RSS 86.9 MiB over the budget of 50 MiB"), verdict.budgetErrors());
    }

    @Test
    void aRefusedConnectionGivesThree() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.refused = 1;
        fixture.opened = 999;
        fixture.loadgenExit = 3;
        DensityVerdict verdict = verdict(fixture);

        assertEquals(3, verdict.exitCode());
        assertEquals("FAIL", verdict.word());
        assertEquals(List.of("loadgen density exited 3", "1 connection failures (refused 1)",
                "opened 999 of 1000 connections"), verdict.sessionErrors());
    }

    @Test
    void fewerOpenedThanRequestedFailsEvenWhenTheLoadgenCountedNoFailure() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.opened = 990;
        assertEquals(3, verdict(fixture).exitCode());
    }

    @Test
    void sessionErrorsTakePrecedenceOverTheBudgetAndBothAreKept() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.refused = 1;
        fixture.rssBudgetMb = "50";
        DensityVerdict verdict = verdict(fixture);

        assertEquals(3, verdict.exitCode());
        assertEquals(1, verdict.budgetErrors().size());
        assertEquals(verdict.reasons().getLast(), verdict.budgetErrors().getFirst(), "session errors come first");
    }

    @Test
    void errorFramesAndADeadGatewayAreSessionErrors() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.errorFrames = 2;
        fixture.frameIntervalMs = 1000;
        fixture.gatewayDied = true;
        assertEquals(List.of("2 error frames", "the gateway exited during the run"), verdict(fixture).sessionErrors());
    }

    @Test
    void streamingSessionsThatMissTheirSloGiveThree() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.streaming = 20;
        fixture.streamingVerdict = "FAIL";
        DensityVerdict verdict = verdict(fixture);

        assertEquals(3, verdict.exitCode());
        assertEquals(List.of("streaming sessions: SLO FAIL (newest_p95)"), verdict.sessionErrors());
    }

    @Test
    void streamingSessionsWithoutASummaryGiveThree() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.streaming = 20;
        fixture.streamingSummary = false;
        DensityVerdict verdict = verdict(fixture);

        assertEquals(3, verdict.exitCode());
        assertTrue(verdict.sessionErrors().getFirst().contains("wrote no summary"));
    }

    @Test
    void passingStreamingSessionsPass() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.streaming = 20;
        assertEquals(0, verdict(fixture).exitCode());
    }
}
