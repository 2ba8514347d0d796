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
    @Test
    void everyTimerDueFiresInOnePollEvenAfterALongStall()
    {
        final SessionTimers timers = new SessionTimers(0);
        final List<Long> fired = new ArrayList<>();
        final SessionTimers.Owner owner = (timerId, now) -> fired.add(timerId);
        final long early = timers.schedule(owner, 5_000_000L);
        final long middle = timers.schedule(owner, 900_000_000L);
        final long late = timers.schedule(owner, 1_500_000_000L);
        final long future = timers.schedule(owner, 3_000_000_000L);
        final long cancelled = timers.schedule(owner, 1_000_000_000L);
        timers.cancel(cancelled);

        assertEquals(0, timers.poll(1_000_000L));
        assertEquals(3, timers.poll(2_000_000_000L), "a stall of two wheel turns must not delay due timers");
        // After a stall longer than a wheel turn, due timers fire in spoke order, not deadline order.
        assertEquals(Set.of(early, middle, late), Set.copyOf(fired));
        assertFalse(timers.isEmpty());
        assertEquals(1, timers.poll(3_100_000_000L));
        assertEquals(future, fired.getLast());
        assertTrue(timers.isEmpty());
    }

    @Test
    void aTimerFiresNoEarlierThanItsDeadline()
    {
        final SessionTimers timers = new SessionTimers(0);
        final List<Long> firedAt = new ArrayList<>();
        timers.schedule((timerId, now) -> firedAt.add(now), 10_000_000L);
        for (long now = 0; now <= 12_000_000L; now += 100_000L)
        {
            timers.poll(now);
        }
        assertEquals(1, firedAt.size());
        assertTrue(firedAt.getFirst() >= 10_000_000L && firedAt.getFirst() <= 12_000_000L, firedAt.toString());
    }
}
