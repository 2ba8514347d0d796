package dev.sttbench.gateway.session;

import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.concurrent.TimeUnit;

/** One loop's timer wheel (flush and close-linger deadlines of its sessions), keyed back to the session. */
public final class SessionTimers implements DeadlineTimerWheel.TimerHandler
{
    /** Whoever scheduled a timer; called on the loop when it expires. */
    interface Owner
    {
        void onTimer(long timerId, long nowNanos);
    }

    public static final long NO_TIMER = DeadlineTimerWheel.NULL_DEADLINE;

    /** 2^20 ns ≈ 1.05 ms: finer than any useful flush lateness, coarse enough to keep spokes few. */
    private static final long TICK_NANOS = 1L << 20;
    private static final int TICKS_PER_WHEEL = 1024;

    private final DeadlineTimerWheel wheel;
    private final Long2ObjectHashMap<Owner> owners = new Long2ObjectHashMap<>();

    public SessionTimers(final long nowNanos)
    {
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, nowNanos, TICK_NANOS, TICKS_PER_WHEEL);
    }

    public long schedule(final Owner owner, final long deadlineNanos)
    {
        final long timerId = wheel.scheduleTimer(deadlineNanos);
        owners.put(timerId, owner);
        return timerId;
    }

    public void cancel(final long timerId)
    {
        if (NO_TIMER != timerId && wheel.cancelTimer(timerId))
        {
            owners.remove(timerId);
        }
    }

    public boolean isEmpty()
    {
        return 0 == wheel.timerCount();
    }

    /** Fire every timer due by {@code nowNanos}, catching up tick by tick if the loop fell behind. */
    public int poll(final long nowNanos)
    {
        int expired = 0;
        do
        {
            expired += wheel.poll(nowNanos, this, Integer.MAX_VALUE);
        }
        while (wheel.timerCount() > 0 && nowNanos >= wheel.currentTickTime());
        return expired;
    }

    public boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
    {
        final Owner owner = owners.remove(timerId);
        if (null != owner)
        {
            owner.onTimer(timerId, now);
        }
        return true;
    }
}
