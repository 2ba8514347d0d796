package dev.sttbench.gateway.config;

import dev.sttbench.gateway.session.AudioMemoryBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AudioMemorySizingTest
{
    private static final long MIB = 1L << 20;
    /** What the JVM of scripts/lib.sh reports: -Xmx48m (one survivor space not counted), metaspace and code caps. */
    private static final AudioMemorySizing.Jvm BENCH_JVM = new AudioMemorySizing.Jvm(48_693_248, 48 * MIB, 24 * MIB);

    @TempDir
    Path root;

    private CgroupMemoryLimit limitOf(final long bytes) throws IOException
    {
        Files.createDirectories(root.resolve("proc/self"));
        Files.writeString(root.resolve("proc/self/cgroup"), "0::/pod\n");
        Files.writeString(root.resolve("proc/self/mountinfo"),
            "29 24 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n");
        Files.createDirectories(root.resolve("sys/fs/cgroup/pod"));
        Files.writeString(root.resolve("sys/fs/cgroup/pod/memory.max"), Long.toString(bytes));
        return CgroupMemoryLimit.read(root);
    }

    @Test
    void theBudgetIsTheLimitLessTheJvmsCapsItsNativeShareAndATenthOfTheLimit() throws IOException
    {
        final AudioMemorySizing sizing = AudioMemorySizing.derive(limitOf(256 * MIB), BENCH_JVM);
        // 256 MiB - (46.4 heap + 48 metaspace + 24 code cache + 64 native) - 25.6 headroom
        final long expected = 256 * MIB - (48_693_248 + 48 * MIB + 24 * MIB + 64 * MIB) - 256 * MIB / 10;
        assertEquals(expected, sizing.budgetBytes());
        assertEquals(47, sizing.budgetBytes() / MIB);
        assertTrue(sizing.toString().startsWith("47 MiB (container limit 256 MiB (/sys/fs/cgroup/pod/memory.max) - " +
            "JVM 182 MiB (heap 46 MiB, metaspace 48 MiB, code cache 24 MiB, native 64 MiB) - headroom 25 MiB"),
            sizing.toString());
    }

    @Test
    void noContainerLimitIsNoBudget()
    {
        final AudioMemorySizing sizing = AudioMemorySizing.derive(CgroupMemoryLimit.NONE, BENCH_JVM);
        assertEquals(AudioMemoryBudget.UNLIMITED, sizing.budgetBytes());
        assertTrue(sizing.toString().startsWith("none (no container memory limit"), sizing.toString());
    }

    @Test
    void aLimitTheJvmsCapsFillGivesAudioATenthOfItWithAWarning() throws IOException
    {
        final AudioMemorySizing sizing = AudioMemorySizing.derive(limitOf(160 * MIB), BENCH_JVM);
        assertEquals(16 * MIB, sizing.budgetBytes());
        assertTrue(sizing.toString().startsWith("16 MiB (WARNING: container limit 160 MiB"), sizing.toString());
        assertTrue(sizing.toString().contains("leaves less than 10 % of the limit, so audio gets that"),
            sizing.toString());
    }

    @Test
    void audioMemoryMbOverridesTheDerivation()
    {
        final AudioMemorySizing sizing = AudioMemorySizing.of(GatewayConfig.fromEnv(Map.of("AUDIO_MEMORY_MB", "3")));
        assertEquals(3 * MIB, sizing.budgetBytes());
        assertEquals("3 MiB (AUDIO_MEMORY_MB=3)", sizing.toString());
    }

    @Test
    void theRunningJvmReportsItsCaps()
    {
        final AudioMemorySizing.Jvm jvm = AudioMemorySizing.Jvm.current();
        assertEquals(Runtime.getRuntime().maxMemory(), jvm.heapBytes());
        assertTrue(jvm.metaspaceBytes() > 0 && jvm.codeCacheBytes() > 0, jvm.toString());
    }
}
