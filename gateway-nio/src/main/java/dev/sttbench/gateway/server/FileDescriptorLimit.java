package dev.sttbench.gateway.server;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The process's {@code RLIMIT_NOFILE}: every connection is a descriptor, so this, not memory, is usually what caps
 * the sessions one process holds. At startup the soft limit is raised to the hard one (HotSpot does so itself
 * unless {@code -XX:-MaxFDLimit}); a hard limit only a privileged parent can raise, so it is reported, not fought.
 */
public record FileDescriptorLimit(long soft, long hard)
{
    /** Descriptors the process needs besides its connections: listeners, selectors, the HTTP/2 client, the JVM's jars. */
    public static final int RESERVED = 64;

    private static final int RLIMIT_NOFILE = 7;

    /** Raise the soft limit to the hard one where it is lower; null where the limits cannot be read (not Linux). */
    public static FileDescriptorLimit raiseToHard()
    {
        if (!System.getProperty("os.name", "").startsWith("Linux"))
        {
            return null;
        }
        final Linker linker = Linker.nativeLinker();
        final FunctionDescriptor signature =
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        final MethodHandle getrlimit = linker.downcallHandle(linker.defaultLookup().find("getrlimit").orElseThrow(), signature);
        final MethodHandle setrlimit = linker.downcallHandle(linker.defaultLookup().find("setrlimit").orElseThrow(), signature);
        try (Arena arena = Arena.ofConfined())
        {
            // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }, two unsigned longs on 64-bit Linux.
            final MemorySegment limits = arena.allocate(2 * Long.BYTES, Long.BYTES);
            if (0 != (int)getrlimit.invokeExact(RLIMIT_NOFILE, limits))
            {
                return null;
            }
            final long hard = limits.getAtIndex(ValueLayout.JAVA_LONG, 1);
            if (Long.compareUnsigned(limits.getAtIndex(ValueLayout.JAVA_LONG, 0), hard) < 0)
            {
                limits.setAtIndex(ValueLayout.JAVA_LONG, 0, hard);
                final int ignored = (int)setrlimit.invokeExact(RLIMIT_NOFILE, limits);
                if (0 != (int)getrlimit.invokeExact(RLIMIT_NOFILE, limits))
                {
                    return null;
                }
            }
            return new FileDescriptorLimit(limits.getAtIndex(ValueLayout.JAVA_LONG, 0), hard);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("getrlimit/setrlimit failed", ex);
        }
    }

    /** Connections the soft limit leaves room for (RLIM_INFINITY reads as a negative number: no cap). */
    public long connections()
    {
        return soft < 0 ? Long.MAX_VALUE : Math.max(0, soft - RESERVED);
    }

    /** One line for the startup log: what the limit lets the process hold, against MAX_SESSIONS. */
    public String describe(final int maxSessions)
    {
        final String limits = "file descriptors: soft limit " + (soft < 0 ? "unlimited" : soft) + " (hard " +
            (hard < 0 ? "unlimited" : hard) + ")";
        if (connections() >= maxSessions)
        {
            return limits + ", room for MAX_SESSIONS=" + maxSessions;
        }
        return limits + ": WARNING room for about " + connections() + " connections, fewer than MAX_SESSIONS=" +
            maxSessions + "; past it accepts pause (gateway_accept_pauses_total) and clients wait in the backlog. " +
            "Raise the hard limit (ulimit -Hn, LimitNOFILE=, the container runtime's nofile) or lower MAX_SESSIONS";
    }
}
