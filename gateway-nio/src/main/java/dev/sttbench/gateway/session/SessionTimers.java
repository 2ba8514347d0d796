package dev.sttbench.gateway.session;

/**
 * One loop's timers (read ticks, flushes, inference deadlines, close lingers): a hashed wheel of {@link #SPOKES}
 * ticks of 2^20 ns (≈ 1.05 ms), each spoke an intrusive doubly-linked list of {@link Timer} nodes that their
 * sessions own. Scheduling, cancelling and firing allocate nothing, and any number of timers may fall on one
 * tick: a spoke is a list, not an array with a capacity to grow. (Agrona's {@code DeadlineTimerWheel} gives
 * every spoke the capacity of the fullest and doubles all of them: 2000 clients closing in the same millisecond
 * grew it to 16, then 32 MiB, an OutOfMemoryError in a 48 MiB heap.) A timer further than one turn away waits in
 * its spoke until the turn that is due comes round. Confined to the loop thread.
 */
public final class SessionTimers
{
    /** Whoever owns a timer; called on the loop when it expires. */
    public interface Owner
    {
        void onTimer(Timer timer, long nowNanos);
    }

    /** A timer node, owned and reused by one session; scheduled at most once at a time. */
    public static final class Timer
    {
        private final Owner owner;
        private long deadlineNanos;
        private int spoke = UNSCHEDULED;
        private Timer prev;
        private Timer next;

        public Timer(final Owner owner)
        {
            this.owner = owner;
        }

        public boolean isScheduled()
        {
            return UNSCHEDULED != spoke;
        }

        /** The deadline it was last scheduled for. */
        public long deadlineNanos()
        {
            return deadlineNanos;
        }
    }

    private static final int UNSCHEDULED = -1;
    private static final int TICK_SHIFT = 20;
    static final int SPOKES = 1024;
    private static final int SPOKE_MASK = SPOKES - 1;

    private final Timer[] spokes = new Timer[SPOKES];
    /** Bit {@code s} set: spoke {@code s} holds a timer. Lets the loop sleep until the next occupied tick. */
    private final long[] occupied = new long[SPOKES / Long.SIZE];
    /** The tick whose spoke the next poll starts from; never later than the ticks of pending deadlines. */
    private long currentTick;
    private int count;
    /** The node the poll visits next: cancelling it moves the poll on to its successor. */
    private Timer cursor;

    public SessionTimers(final long nowNanos)
    {
        currentTick = nowNanos >> TICK_SHIFT;
    }

    /** Schedule (or reschedule) {@code timer} for {@code deadlineNanos}; a past deadline fires at the next poll. */
    public void schedule(final Timer timer, final long deadlineNanos)
    {
        cancel(timer);
        timer.deadlineNanos = deadlineNanos;
        final int spoke = (int)(Math.max(deadlineNanos >> TICK_SHIFT, currentTick) & SPOKE_MASK);
        timer.spoke = spoke;
        timer.prev = null;
        timer.next = spokes[spoke];
        if (null != timer.next)
        {
            timer.next.prev = timer;
        }
        spokes[spoke] = timer;
        occupied[spoke >>> 6] |= 1L << spoke;
        count++;
    }

    public void cancel(final Timer timer)
    {
        if (!timer.isScheduled())
        {
            return;
        }
        if (timer == cursor)
        {
            cursor = timer.next;
        }
        if (null != timer.prev)
        {
            timer.prev.next = timer.next;
        }
        else
        {
            spokes[timer.spoke] = timer.next;
            if (null == timer.next)
            {
                occupied[timer.spoke >>> 6] &= ~(1L << timer.spoke);
            }
        }
        if (null != timer.next)
        {
            timer.next.prev = timer.prev;
        }
        timer.prev = null;
        timer.next = null;
        timer.spoke = UNSCHEDULED;
        count--;
    }

    public boolean isEmpty()
    {
        return 0 == count;
    }

    public int size()
    {
        return count;
    }

    /**
     * How long the loop may wait before its next poll: nanoseconds from {@code nowNanos} to the first tick, from
     * the one the next poll starts at, whose spoke holds a timer (0 when that tick has begun); -1 when no timer
     * is pending. That spoke's timers may belong to a later turn: the loop then wakes once a turn for them.
     */
    public long nanosUntilNextOccupiedTick(final long nowNanos)
    {
        if (0 == count)
        {
            return -1;
        }
        final int from = (int)(currentTick & SPOKE_MASK);
        int word = from >>> 6;
        long bits = occupied[word] & (-1L << from);
        // The words after, then the first word again for its spokes before the start.
        for (int i = 0; 0 == bits && i < occupied.length; i++)
        {
            word = (word + 1) & (occupied.length - 1);
            bits = occupied[word];
        }
        final int spoke = (word << 6) + Long.numberOfTrailingZeros(bits);
        final int distance = (spoke - from) & SPOKE_MASK;
        return Math.max(0, ((currentTick + distance) << TICK_SHIFT) - nowNanos);
    }

    /**
     * Fire every timer due by {@code nowNanos}, spoke by spoke from the last poll's tick; after a stall longer than
     * a turn, each spoke is visited once. A timer a callback schedules for now fires at the next poll.
     *
     * @return timers fired.
     */
    public int poll(final long nowNanos)
    {
        final long nowTick = nowNanos >> TICK_SHIFT;
        if (0 == count)
        {
            currentTick = Math.max(currentTick, nowTick);
            return 0;
        }
        final long firstTick = Math.max(currentTick, nowTick - SPOKE_MASK);
        int fired = 0;
        for (long tick = firstTick; tick <= nowTick; tick++)
        {
            fired += fireDue(spokes[(int)(tick & SPOKE_MASK)], nowNanos);
        }
        currentTick = Math.max(currentTick, nowTick);
        return fired;
    }

    private int fireDue(final Timer first, final long nowNanos)
    {
        int fired = 0;
        Timer timer = first;
        while (null != timer)
        {
            cursor = timer.next;
            if (timer.deadlineNanos <= nowNanos)
            {
                cancel(timer);
                fired++;
                timer.owner.onTimer(timer, nowNanos);
            }
            timer = cursor;
        }
        cursor = null;
        return fired;
    }
}
