package dev.sttbench.loadgen.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

class ProcSelfTest {
    private static final String LIMITS = """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            20000                1048576              files
            Max locked memory         8388608              8388608              bytes
            """;

    @Test
    void theSoftOpenFilesLimitIsRead() {
        assertEquals(20000, ProcSelf.parseOpenFilesLimit(LIMITS));
        assertEquals(Long.MAX_VALUE, ProcSelf.parseOpenFilesLimit(
                "Max open files            unlimited            unlimited            files\n"));
        assertEquals(ProcSelf.UNKNOWN, ProcSelf.parseOpenFilesLimit("Max processes 10 10 processes\n"));
        assertEquals(ProcSelf.UNKNOWN, ProcSelf.parseOpenFilesLimit(null));
    }

    @Test
    void cpuTicksAreUtimePlusStimeAfterTheCommandName() {
        // comm may hold spaces and parentheses; utime (14) = 700, stime (15) = 42.
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 9000 0 0 0 700 42 0 0 20 0 30 0 123 456 789";
        assertEquals(742, ProcSelf.parseCpuTicks(stat));
    }

    @Test
    void peakRssIsVmHwm() {
        assertEquals(123456, ProcSelf.parsePeakRssKb("Name:\tjava\nVmPeak:\t 999999 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1 kB\n"));
        assertEquals(ProcSelf.UNKNOWN, ProcSelf.parsePeakRssKb("Name:\tjava\n"));
    }

    @Test
    void thisProcessReadsItsOwnFigures() {
        assertTrue(ProcSelf.openFilesLimit() > 0);
        assertTrue(ProcSelf.cpuTicks() > 0, "a JVM that got this far used CPU");
        assertTrue(ProcSelf.peakRssKb() > 10_000, "a JVM is more than 10 MB");
    }

    @Test
    void processesFollowTheOpenFilesLimit() {
        ProcessPlan fits = ProcessPlan.of(19_936, DensityOptions.AUTO_PROCESSES, 20_000);
        assertEquals(1, fits.processes());
        ProcessPlan split = ProcessPlan.of(1_000_000, DensityOptions.AUTO_PROCESSES, 20_000);
        assertEquals(51, split.processes(), "ceil(1e6 / (20000 - 64))");
        assertTrue(split.why().contains("child processes"), split.why());
        assertEquals(2, ProcessPlan.of(19_937, DensityOptions.AUTO_PROCESSES, 20_000).processes());
        assertEquals(1, ProcessPlan.of(1_000_000, DensityOptions.AUTO_PROCESSES, ProcSelf.UNKNOWN).processes());
        ProcessPlan forced = ProcessPlan.of(100, 2, 20_000);
        assertEquals(2, forced.processes());
        assertEquals(3, ProcessPlan.of(3, 8, 20_000).processes(), "no process without a connection");
        ProcessPlan tooFew = ProcessPlan.of(100_000, 2, 20_000);
        assertTrue(tooFew.why().contains("warning"), tooFew.why());
    }

    @Test
    void ioFailuresAreSortedByCause() {
        assertEquals(Cause.REFUSED, Cause.of(new ConnectException("Connection refused"), true));
        assertEquals(Cause.LOCAL_ADDRESS, Cause.of(new BindException("Cannot assign requested address"), true));
        assertEquals(Cause.LOCAL_ADDRESS, Cause.of(new SocketException("Too many open files"), true));
        assertEquals(Cause.TIMEOUT, Cause.of(new ConnectException("Connection timed out"), true));
        assertEquals(Cause.RESET, Cause.of(new SocketException("Connection reset"), false));
        assertEquals(Cause.RESET, Cause.of(new java.io.IOException("Broken pipe"), false));
        assertEquals(Cause.REFUSED, Cause.of(new NoRouteToHostException("No route to host"), true));
        assertEquals(Cause.RESET, Cause.of(new java.io.IOException((String) null), false));
    }
}
