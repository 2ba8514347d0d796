package dev.sttbench.gateway.config;

import dev.sttbench.gateway.session.AudioMemoryBudget;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;

/**
 * How much off-heap memory all loops together may commit to audio (ring chunks and request bodies): AUDIO_MEMORY_MB
 * when set; else, under a container memory limit, that limit less what the JVM itself may take and a headroom;
 * else no budget (each session's SESSION_BUFFER_FRAMES alone bounds its audio).
 * <pre>
 * budget = limit - (max heap + metaspace cap + code cache cap + JVM_NATIVE_BYTES) - HEADROOM_PERCENT % of limit,
 *          and at least MIN_BUDGET_PERCENT % of limit
 * </pre>
 * The JVM's share counts its caps, not its use: the heap, metaspace and code cache may each grow to their cap
 * (read from the running JVM; an uncapped metaspace counts what it has committed at startup), and what a process
 * of this JVM takes besides them is {@link #JVM_NATIVE_BYTES}. Caps overstate use (the metaspace and code cache use
 * about a third of theirs), so a limit they leave less than {@link #MIN_BUDGET_PERCENT} of still gets that much,
 * with a warning, rather than a gateway that refuses to start in a container it fits.
 */
public final class AudioMemorySizing
{
    /**
     * The JVM's memory outside heap, metaspace and code cache, measured with the flags of scripts/lib.sh: the
     * file-backed libjvm.so and CDS archive (26 MiB resident, charged to the container that first reads them), the C2
     * compiler's arenas (up to 27 MiB while it compiles, trimmed every 2 s), thread stacks, symbols, GC and NIO
     * buffers (~8 MiB).
     */
    static final long JVM_NATIVE_BYTES = 64L << 20;
    /**
     * Share of the limit kept for what is charged to the container but is neither the JVM's nor audio: kernel
     * memory of the sockets, socket buffers (charged under cgroup v2), sessions' outbound buffers, the page cache of
     * the logs.
     */
    static final int HEADROOM_PERCENT = 10;
    /** Share of the limit audio gets at least. */
    static final int MIN_BUDGET_PERCENT = 10;

    private final long budgetBytes;
    private final String derivation;

    private AudioMemorySizing(final long budgetBytes, final String derivation)
    {
        this.budgetBytes = budgetBytes;
        this.derivation = derivation;
    }

    /** The budget for {@code config}, derived from this process's cgroup and JVM unless AUDIO_MEMORY_MB sets it. */
    public static AudioMemorySizing of(final GatewayConfig config)
    {
        if (config.audioMemoryMb() > 0)
        {
            return new AudioMemorySizing((long)config.audioMemoryMb() << 20, "AUDIO_MEMORY_MB=" + config.audioMemoryMb());
        }
        return derive(CgroupMemoryLimit.ofThisProcess(), Jvm.current());
    }

    static AudioMemorySizing derive(final CgroupMemoryLimit limit, final Jvm jvm)
    {
        if (!limit.isLimited())
        {
            return new AudioMemorySizing(AudioMemoryBudget.UNLIMITED,
                "no container memory limit: each session's audio is bounded by SESSION_BUFFER_FRAMES only");
        }
        final long headroom = percent(limit.bytes(), HEADROOM_PERCENT);
        final long budget = limit.bytes() - jvm.bytes() - headroom;
        final String derivation = "container limit " + limit + " - JVM " + jvm + " - headroom " + mib(headroom) +
            " (" + HEADROOM_PERCENT + " % of the limit)";
        final long floor = percent(limit.bytes(), MIN_BUDGET_PERCENT);
        if (budget < floor)
        {
            return new AudioMemorySizing(floor, "WARNING: " + derivation + " leaves less than " + MIN_BUDGET_PERCENT +
                " % of the limit, so audio gets that and the JVM's caps no longer bound what fits: lower them (-Xmx, " +
                "-XX:MaxMetaspaceSize, -XX:ReservedCodeCacheSize), raise the limit or set AUDIO_MEMORY_MB");
        }
        return new AudioMemorySizing(budget, derivation);
    }

    /** Bytes of audio memory all loops together may commit; {@link AudioMemoryBudget#UNLIMITED} for no budget. */
    public long budgetBytes()
    {
        return budgetBytes;
    }

    public String toString()
    {
        return (AudioMemoryBudget.UNLIMITED == budgetBytes ? "none" : mib(budgetBytes)) + " (" + derivation + ")";
    }

    /** {@code percent} % of {@code bytes}, exact to the byte and without overflow for any limit. */
    private static long percent(final long bytes, final int percent)
    {
        return bytes / 100 * percent + bytes % 100 * percent / 100;
    }

    private static String mib(final long bytes)
    {
        return (bytes >> 20) + " MiB";
    }

    /** What the JVM itself may take: its caps, as the running JVM reports them, and {@link #JVM_NATIVE_BYTES}. */
    record Jvm(long heapBytes, long metaspaceBytes, long codeCacheBytes)
    {
        static Jvm current()
        {
            long metaspace = 0;
            long codeCache = 0;
            for (final MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
            {
                // Compressed class space lies within the metaspace and its cap (MaxMetaspaceSize covers both).
                if (MemoryType.NON_HEAP != pool.getType() || "Compressed Class Space".equals(pool.getName()))
                {
                    continue;
                }
                if ("Metaspace".equals(pool.getName()))
                {
                    metaspace += cap(pool.getUsage());
                }
                else
                {
                    codeCache += cap(pool.getUsage());
                }
            }
            return new Jvm(cap(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()), metaspace, codeCache);
        }

        long bytes()
        {
            return heapBytes + metaspaceBytes + codeCacheBytes + JVM_NATIVE_BYTES;
        }

        /** The most a memory area may take: its cap, or what it has committed when it has none. */
        private static long cap(final MemoryUsage usage)
        {
            return usage.getMax() >= 0 ? usage.getMax() : usage.getCommitted();
        }

        public String toString()
        {
            return mib(bytes()) + " (heap " + mib(heapBytes) + ", metaspace " + mib(metaspaceBytes) + ", code cache " +
                mib(codeCacheBytes) + ", native " + mib(JVM_NATIVE_BYTES) + ")";
        }
    }
}
