package dev.sttbench.gateway.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileDescriptorLimitTest
{
    @Test
    void theSoftLimitIsRaisedToTheHardOneAsTheKernelReportsIt() throws IOException
    {
        final FileDescriptorLimit limit = FileDescriptorLimit.raiseToHard();
        assertNotNull(limit, "Linux: getrlimit must answer");
        assertEquals(limit.hard(), limit.soft());
        final String line = Files.readAllLines(Path.of("/proc/self/limits")).stream()
            .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        final String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
        assertEquals(fields[0], fields[1], "soft = hard: " + line);
        assertEquals(limit.soft() < 0 ? "unlimited" : Long.toString(limit.soft()), fields[0]);
    }

    @Test
    void aLimitBelowMaxSessionsIsAWarningThatSaysWhatItHolds()
    {
        final FileDescriptorLimit limit = new FileDescriptorLimit(1024, 4096);
        assertEquals(960, limit.connections());
        final String line = limit.describe(10_000);
        assertTrue(line.contains("WARNING room for about 960 connections, fewer than MAX_SESSIONS=10000"), line);
        assertTrue(new FileDescriptorLimit(20_000, 20_000).describe(10_000).endsWith("room for MAX_SESSIONS=10000"));
        assertEquals(Long.MAX_VALUE, new FileDescriptorLimit(-1, -1).connections(), "RLIM_INFINITY");
    }
}
