package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DensityRunTest {
    @TempDir
    Path tmp;

    @Test
    void memoryPerConnectionIsOverTheIdleBaselineAtPeakAndAtTheEndOfTheHold() throws Exception {
        DensityRun run = DensityRun.read(new DensityFixture().write(tmp));

        assertEquals(DensityFixture.BASELINE_KB, run.baselineRssKb());
        assertEquals(89_000, run.peakRssKb(), "the peak while closing counts");
        assertEquals(88_000, run.endOfHoldRssKb());
        assertEquals(9.0, run.kibPerConnectionAtPeak(), 1e-9);
        assertEquals(8.0, run.kibPerConnectionAtEndOfHold(), 1e-9);
    }

    @Test
    void cpuIsTakenOverTheHoldOnly() throws Exception {
        DensityRun run = DensityRun.read(new DensityFixture().write(tmp));

        assertEquals(2.0, run.holdCpuPct(), 1e-9);
        assertEquals(2.0, run.holdMaxCpuPct(), 1e-9);
        assertEquals(20.0, run.microsPerConnectionSecond(), 1e-9, "0.2 s of CPU over 1000 connections × 10 s");
    }

    @Test
    void readsTheSessionGaugeAndTheLoopLagOfTheHold() throws Exception {
        DensityRun run = DensityRun.read(new DensityFixture().write(tmp));

        assertEquals(1000, run.peakGatewaySessions());
        LoopLag lag = run.loopLag();
        assertEquals(1, lag.timerLatenessP50Micros());
        assertEquals(8, lag.timerLatenessP99Micros());
        assertEquals(1234, lag.timerLatenessMaxMicros());
    }

    @Test
    void noConnectionOpenedHasNoPerConnectionFigure() throws Exception {
        DensityFixture fixture = new DensityFixture();
        fixture.opened = 0;
        DensityRun run = DensityRun.read(fixture.write(tmp));

        assertTrue(Double.isNaN(run.kibPerConnectionAtPeak()));
        assertTrue(Double.isNaN(run.microsPerConnectionSecond()));
    }

    @Test
    void aMissingLoadgenFieldNamesItself() throws Exception {
        Path dir = new DensityFixture().write(tmp);
        Path json = dir.resolve(DensitySummary.FILE_NAME);
        Files.writeString(json, Files.readString(json).replace("\"failures_total\":0,", ""));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DensitySummary.read(json).failuresTotal());
        assertTrue(e.getMessage().contains("field failures_total is missing"), e.getMessage());
    }

    @Test
    void failureCausesKeepTheLoadgensOrderThenUnknownOnes() throws Exception {
        Path dir = new DensityFixture().write(tmp);
        Path json = dir.resolve(DensitySummary.FILE_NAME);
        Files.writeString(json, Files.readString(json).replace("\"refused\":0,", "\"refused\":0,\"zz_new\":4,\"aa_new\":1,"));

        assertEquals(java.util.List.of("refused", "timeout", "reset", "http_503", "http_other", "protocol",
                        "local_address", "closed_by_server", "dead", "unanswered_frames", "close_timeout", "aa_new", "zz_new"),
                java.util.List.copyOf(DensitySummary.read(json).failures().keySet()));
    }
}
