package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CpuListTest {
    @Test
    void countsSinglesAndRanges() {
        assertEquals(1, CpuList.count("1"));
        assertEquals(3, CpuList.count("2-4"));
        assertEquals(5, CpuList.count("0,2-5"));
    }

    @Test
    void rejectsWhatTasksetWouldReject() {
        assertThrows(IllegalArgumentException.class, () -> CpuList.count("a"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.count("3-1"));
    }
}
