package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupCpuStatTest {
    @TempDir
    Path tmp;

    @Test
    void readsCgroupV1() throws Exception {
        Path file = Files.writeString(tmp.resolve("v1"), "nr_periods 4500\nnr_throttled 900\nthrottled_time 12500000000\n");

        assertEquals(new CgroupCpuStat(4500, 900, 12_500.0), CgroupCpuStat.readIfPresent(file));
    }

    @Test
    void readsCgroupV2() throws Exception {
        Path file = Files.writeString(tmp.resolve("v2"), "usage_usec 1000\nuser_usec 600\nsystem_usec 400\n"
                + "nr_periods 10\nnr_throttled 3\nthrottled_usec 2500\nnr_bursts 0\nburst_usec 0\n");

        assertEquals(new CgroupCpuStat(10, 3, 2.5), CgroupCpuStat.readIfPresent(file));
    }

    @Test
    void noFileMeansNoLimit() {
        assertNull(CgroupCpuStat.readIfPresent(tmp.resolve("absent")));
    }

    @Test
    void aStatWithoutPeriodsIsRejected() throws Exception {
        Path file = Files.writeString(tmp.resolve("bad"), "usage_usec 1000\n");

        assertThrows(IllegalArgumentException.class, () -> CgroupCpuStat.readIfPresent(file));
    }
}
