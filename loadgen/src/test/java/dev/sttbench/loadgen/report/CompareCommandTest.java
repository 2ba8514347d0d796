package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @TempDir
    Path tmp;

    @Test
    void printsBothPointsWithRatios() throws Exception {
        Path a = new PointFixture().write(tmp.resolve("a"));
        PointFixture slower = new PointFixture();
        slower.newestP50 = 180;
        slower.gatewayTicksPerSecond = 100;
        Path b = slower.write(tmp.resolve("b"));

        String table = compare(a.toString(), b.resolve("report.md").toString());

        assertTrue(table.contains("| newest p50 ms | 120.0 | 180.0 | 1.50 |"), table);
        assertTrue(table.contains("| gateway CPU µs / frame | 100.00 | 200.00 | 2.00 |"), table);
        assertTrue(table.contains("| projected sessions / vCPU | 200 | 100 | 0.50 |"), table);
    }

    @Test
    void comparesLaddersByCeiling() throws Exception {
        Path a = new LadderFixture(tmp.resolve("a")).run(250, 1, true).run(250, 2, true).run(500, 1, false).write();
        Path b = new LadderFixture(tmp.resolve("b")).run(500, 1, true).run(500, 2, true).write();

        String table = compare(a.toString(), b.toString());

        assertTrue(table.contains("| confirmed ceiling (sessions) | 250 | 500 | 2.00 |"), table);
        assertTrue(table.contains("| ceiling per vCPU | 500 | 1000 | 2.00 |"), table);
        assertTrue(table.contains("| sessions | 250 | 500 | 2.00 |"), table);
    }

    private static String compare(String a, String b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = CompareCommand.run(new String[] {a, b}, new PrintStream(out), new PrintStream(err));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
