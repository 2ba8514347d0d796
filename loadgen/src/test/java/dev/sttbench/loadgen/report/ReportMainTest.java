package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportMainTest {
    @TempDir
    Path tmp;

    @Test
    void reportWritesReportMdIntoThePointDirectory() throws Exception {
        Path dir = new PointFixture().write(tmp);

        assertEquals(0, run("report", dir.toString()));
        assertTrue(Files.readString(dir.resolve("report.md")).startsWith("# fixture, 100 sessions: PASS"));
    }

    @Test
    void ladderReportWritesTheReportAndPrintsTheCeiling() throws Exception {
        Path dir = new LadderFixture(tmp).run(250, 1, true).run(250, 2, true).run(300, 1, false).write();
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        int rc = ReportMain.run(new String[] {"ladder-report", dir.toString(), "nio"}, new PrintStream(out),
                new PrintStream(new ByteArrayOutputStream()));

        assertEquals(0, rc);
        assertEquals("Confirmed ceiling: 250 sessions = 500 sessions per vCPU (passed twice).",
                out.toString(StandardCharsets.UTF_8).trim());
        assertTrue(Files.readString(dir.resolve("report.md")).startsWith("# Capacity ladder: nio"));
    }

    @Test
    void costPrintsTheGatewaysCpuPerFrameOnlyWhenItsFramesWereCounted() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = ReportMain.run(new String[] {"cost", new PointFixture().write(tmp.resolve("counted")).toString()},
                new PrintStream(out), new PrintStream(new ByteArrayOutputStream()));
        assertEquals(0, rc);
        assertEquals("100.000 50000 10.0", out.toString(StandardCharsets.UTF_8).trim());

        PointFixture estimated = new PointFixture();
        estimated.gatewayFrameCounter = false;
        out.reset();
        rc = ReportMain.run(new String[] {"cost", estimated.write(tmp.resolve("estimated")).toString()},
                new PrintStream(out), new PrintStream(new ByteArrayOutputStream()));
        assertEquals(0, rc);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "an estimate is not a measurement");
    }

    @Test
    void aMissingPointIsAnErrorAndAnUnknownCommandIsUsage() {
        assertEquals(1, run("report", tmp.resolve("absent").toString()));
        assertEquals(1, run("cost", tmp.resolve("absent").toString()));
        assertEquals(2, run("frobnicate"));
        assertEquals(2, run());
    }

    private static int run(String... args) {
        return ReportMain.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
    }
}
