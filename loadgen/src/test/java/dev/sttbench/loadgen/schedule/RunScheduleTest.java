package dev.sttbench.loadgen.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RunScheduleTest {
    private static final long MS = 1_000_000L;

    @Test
    void startsAreALinearShareOfRampAndSpread() {
        RunSchedule schedule = new RunSchedule(4, 8, 250, 15, 90, 15);
        // ramp 8 s and spread 250 ms over 4 sessions: i*8000/4 + i*250/4 ms
        assertEquals(0, schedule.startOffsetNanos(0));
        assertEquals(2_062_500_000L, schedule.startOffsetNanos(1));
        assertEquals(4_125_000_000L, schedule.startOffsetNanos(2));
        assertEquals(6_187_500_000L, schedule.startOffsetNanos(3));
    }

    @Test
    void windowOpensAfterRampSpreadAndWarmup() {
        RunSchedule schedule = new RunSchedule(4000, 30, 1000, 10, 45, 15);
        assertEquals(41_000 * MS, schedule.measureStartNanos());
        assertEquals(86_000 * MS, schedule.measureEndNanos());
        assertEquals(101_000 * MS, schedule.sessionDeadlineNanos());
        assertFalse(schedule.inMeasuredWindow(41_000 * MS - 1));
        assertTrue(schedule.inMeasuredWindow(41_000 * MS));
        assertTrue(schedule.inMeasuredWindow(86_000 * MS - 1));
        assertFalse(schedule.inMeasuredWindow(86_000 * MS));
    }

    @Test
    void framesAreDueEvery20MsFromTheOriginOnAWholeMillisecond() {
        long origin = RunSchedule.frameOriginNanos(1_234_567_891L);
        assertEquals(1_235 * MS, origin);
        assertEquals(1_236 * MS, RunSchedule.frameOriginNanos(1_235 * MS));
        assertEquals(origin, RunSchedule.dueNanos(origin, 1));
        assertEquals(origin + 20 * MS, RunSchedule.dueNanos(origin, 2));
        assertEquals(origin + 49 * 20 * MS, RunSchedule.dueNanos(origin, 50));
    }

    @Test
    void noRampMeansEverySessionStartsAtOnce() {
        RunSchedule schedule = new RunSchedule(3, 0, 0, 1, 3, 0);
        assertEquals(0, schedule.startOffsetNanos(2));
        assertEquals(1_000 * MS, schedule.measureStartNanos());
    }
}
