package dev.sttbench.gateway.session;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionTimersTest
{
    private static final long MS = 1_000_000L;

    private final List<SessionTimers.Timer> fired = new ArrayList<>();
    private final List<Long> firedAt = new ArrayList<>();
    private final SessionTimers.Owner recorder = (timer, now) ->
    {
        fired.add(timer);
        firedAt.add(now);
    };

    private SessionTimers.Timer timer()
    {
        return new SessionTimers.Timer(recorder);
    }

    private static final long TICK = 1L << 20;

    /** The loop sleeps until the next occupied tick: the wait must never skip a timer, in any word of the bitmap. */
    @Test
    void theWaitReachesTheNextOccupiedTickAndNoFurther()
    {
        final SessionTimers timers = new SessionTimers(0);
        assertEquals(-1, timers.nanosUntilNextOccupiedTick(0), "nothing pending: wait for readiness only");
        final SessionTimers.Timer far = timer();
        final SessionTimers.Timer near = timer();
        timers.schedule(far, 700 * TICK + 5);
        assertEquals(700 * TICK, timers.nanosUntilNextOccupiedTick(0));
        timers.schedule(near, 70 * TICK + 5);
        assertEquals(70 * TICK - 3, timers.nanosUntilNextOccupiedTick(3));
        timers.cancel(near);
        assertEquals(700 * TICK, timers.nanosUntilNextOccupiedTick(0));
        timers.poll(900 * TICK);
        assertEquals(List.of(far), fired);
        // From tick 900: a timer a turn and a bit later sits in spoke 1000 - 1024 + ... behind the start, wrapped.
        timers.schedule(near, (900 + 1024 + 10) * TICK);
        assertEquals(10 * TICK, timers.nanosUntilNextOccupiedTick(900 * TICK), "its spoke comes up in 10 ticks");
        timers.schedule(far, (900 + 1024 - 20) * TICK);
        assertEquals(10 * TICK, timers.nanosUntilNextOccupiedTick(900 * TICK));
        timers.cancel(near);
        assertEquals((1024 - 20) * TICK, timers.nanosUntilNextOccupiedTick(900 * TICK), "a spoke just behind the start");
        timers.schedule(near, 100 * TICK);
        assertEquals(0, timers.nanosUntilNextOccupiedTick(900 * TICK), "overdue: its spoke is the current one");
    }

    @Test
    void everyTimerDueFiresInOnePollEvenAfterALongStall()
    {
        final SessionTimers timers = new SessionTimers(0);
        final SessionTimers.Timer early = timer();
        final SessionTimers.Timer middle = timer();
        final SessionTimers.Timer late = timer();
        final SessionTimers.Timer future = timer();
        final SessionTimers.Timer cancelled = timer();
        timers.schedule(early, 5 * MS);
        timers.schedule(middle, 900 * MS);
        timers.schedule(late, 1_500 * MS);
        timers.schedule(future, 3_000 * MS);
        timers.schedule(cancelled, 1_000 * MS);
        timers.cancel(cancelled);

        assertEquals(0, timers.poll(MS));
        assertEquals(3, timers.poll(2_000 * MS), "a stall of two wheel turns must not delay due timers");
        assertEquals(Set.of(early, middle, late), Set.copyOf(fired));
        assertFalse(cancelled.isScheduled());
        assertEquals(1, timers.size());
        assertEquals(1, timers.poll(3_100 * MS));
        assertEquals(future, fired.getLast());
        assertTrue(timers.isEmpty());
    }

    @Test
    void aTimerFiresNoEarlierThanItsDeadline()
    {
        final SessionTimers timers = new SessionTimers(0);
        timers.schedule(timer(), 10 * MS);
        for (long now = 0; now <= 12 * MS; now += 100_000L)
        {
            timers.poll(now);
        }
        assertEquals(1, firedAt.size());
        assertTrue(firedAt.getFirst() >= 10 * MS && firedAt.getFirst() <= 12 * MS, firedAt.toString());
    }

    /** What crashed Agrona's wheel: many thousands of deadlines on one tick (every client closing at once). */
    @Test
    void anyNumberOfTimersMayFallOnOneTick()
    {
        final SessionTimers timers = new SessionTimers(0);
        final List<SessionTimers.Timer> burst = new ArrayList<>();
        for (int i = 0; i < 100_000; i++)
        {
            final SessionTimers.Timer timer = timer();
            burst.add(timer);
            timers.schedule(timer, 1_000 * MS + i % 1000);
        }
        assertEquals(0, timers.poll(999 * MS));
        assertEquals(100_000, timers.poll(1_001 * MS));
        assertTrue(timers.isEmpty());
        assertEquals(100_000, Set.copyOf(fired).size());
    }

    @Test
    void aCallbackMayCancelOrRescheduleTheTimersAroundIt()
    {
        final SessionTimers timers = new SessionTimers(0);
        final SessionTimers.Timer[] others = new SessionTimers.Timer[3];
        final List<String> events = new ArrayList<>();
        // All on one tick, so they share a spoke: the first to fire cancels one neighbour and reschedules another.
        final SessionTimers.Timer actor = new SessionTimers.Timer((timer, now) ->
        {
            events.add("actor");
            timers.cancel(others[0]);
            timers.cancel(others[1]);
            timers.schedule(others[1], now + 50 * MS);
        });
        for (int i = 0; i < others.length; i++)
        {
            final int id = i;
            others[i] = new SessionTimers.Timer((timer, now) -> events.add("other" + id));
        }
        // Scheduled last, the actor is first in its spoke's list: the others come after it.
        for (final SessionTimers.Timer other : others)
        {
            timers.schedule(other, 10 * MS);
        }
        timers.schedule(actor, 10 * MS);

        timers.poll(11 * MS);
        assertEquals(List.of("actor", "other2"), events, "a cancelled neighbour never fires, the rest do");
        assertTrue(others[1].isScheduled());
        timers.poll(70 * MS);
        assertEquals(List.of("actor", "other2", "other1"), events);
        assertTrue(timers.isEmpty());
    }

    @Test
    void aTimerScheduledForNowDuringAPollFiresInItOrTheNext()
    {
        final SessionTimers timers = new SessionTimers(0);
        final SessionTimers.Timer again = timer();
        final SessionTimers.Timer first = new SessionTimers.Timer((timer, now) -> timers.schedule(again, now));
        timers.schedule(first, 5 * MS);
        final int fired = timers.poll(6 * MS) + timers.poll(6 * MS + 1);
        assertEquals(2, fired);
        assertEquals(again, this.fired.getLast());
        assertTrue(timers.isEmpty());
    }
}
