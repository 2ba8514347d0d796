package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a ladder directory (points.csv and one point directory per run) as ladder.sh would. */
final class LadderFixture {
    private final Path dir;
    private final StringBuilder index = new StringBuilder("sessions,attempt,exit_code,dir\n");
    /** The gateway named in each run's run.env. */
    String gateway = "gateway-nio";
    /** Scales the gateway's CPU (and so its cost per frame) in every run written after it is set. */
    double cpuFactor = 1;

    LadderFixture(Path dir) {
        this.dir = dir;
    }

    /** A run whose latency grows with sessions; it passes when {@code pass}. */
    LadderFixture run(int sessions, int attempt, boolean pass) throws IOException {
        String name = "points/" + sessions + "-" + attempt;
        PointFixture point = new PointFixture();
        point.sessions = sessions;
        point.newestP50 = 60 + sessions / 10.0;
        point.newestP95 = 100 + sessions / 5.0;
        point.oldestP50 = 600 + sessions / 4.0;
        point.oldestP95 = 900 + sessions / 2.0;
        point.gatewayTicksPerSecond = Math.round(sessions / 20.0 * cpuFactor);
        point.extraEnv = "gateway=" + gateway + "\n";
        point.verdict = pass ? "PASS" : "FAIL";
        point.failedGates = pass ? "" : "\"newest_p95\"";
        point.write(dir.resolve(name));
        index.append(sessions).append(',').append(attempt).append(',').append(pass ? 0 : 1).append(',').append(name)
                .append('\n');
        return this;
    }

    /** A client-bound run: loadgen's verdict INVALID, exit 2. */
    LadderFixture invalidRun(int sessions, int attempt) throws IOException {
        String name = "points/" + sessions + "-" + attempt;
        PointFixture point = new PointFixture();
        point.sessions = sessions;
        point.clientBound = true;
        point.verdict = "INVALID";
        point.extraEnv = "gateway=" + gateway + "\n";
        point.write(dir.resolve(name));
        index.append(sessions).append(',').append(attempt).append(",2,").append(name).append('\n');
        return this;
    }

    /** A run where the harness failed before loadgen wrote a summary. */
    LadderFixture brokenRun(int sessions, int attempt) {
        index.append(sessions).append(',').append(attempt).append(",3,points/").append(sessions).append('-')
                .append(attempt).append('\n');
        return this;
    }

    Path write() throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("points.csv"), index);
        return dir;
    }
}
