package dev.sttbench.gateway.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The limit as the kernel shows it, laid out under a temporary root: /proc/self and the cgroup mounts. */
class CgroupMemoryLimitTest
{
    private static final long MIB = 1L << 20;
    /** What cgroup v1 writes for "no limit" (PAGE_COUNTER_MAX pages of 4 KiB). */
    private static final String V1_UNLIMITED = "9223372036854771712";

    /** This host's layout: v1 controllers, and cgroup2 mounted beside them without the memory controller. */
    private static final String HYBRID_MOUNTS = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;
    private static final String V2_MOUNTS = """
        24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        29 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
        """;

    @TempDir
    Path root;

    /** The limit read after laying out {@code /proc/self/cgroup}, its mountinfo and {@code files} (path, text, ...). */
    private CgroupMemoryLimit read(final String cgroups, final String mounts, final String... files) throws IOException
    {
        write("proc/self/cgroup", cgroups);
        write("proc/self/mountinfo", mounts);
        for (int i = 0; i < files.length; i += 2)
        {
            write(files[i], files[i + 1]);
        }
        return CgroupMemoryLimit.read(root);
    }

    private void write(final String path, final String text) throws IOException
    {
        final Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void v1ReadsTheMemoryControllersLimitInTheProcesssCgroup() throws IOException
    {
        final CgroupMemoryLimit limit = read(
            "4:memory:/sttbench-sttb0-gateway\n3:cpuset:/sttbench-sttb0-gateway\n0::/\n", HYBRID_MOUNTS,
            "sys/fs/cgroup/memory/memory.limit_in_bytes", V1_UNLIMITED + "\n",
            "sys/fs/cgroup/memory/sttbench-sttb0-gateway/memory.limit_in_bytes", "268435456\n");
        assertEquals(256 * MIB, limit.bytes());
        assertEquals(Path.of("/sys/fs/cgroup/memory/sttbench-sttb0-gateway/memory.limit_in_bytes"), limit.file());
    }

    @Test
    void v1InAContainerWhoseMountIsItsOwnCgroup() throws IOException
    {
        assertEquals(512 * MIB, read("9:memory:/kubepods/pod1/abc\n",
            "100 90 0:32 /kubepods/pod1/abc /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory\n",
            "sys/fs/cgroup/memory/memory.limit_in_bytes", "536870912").bytes());
    }

    @Test
    void v2ReadsMemoryMaxAndAParentsSmallerLimitBinds() throws IOException
    {
        final CgroupMemoryLimit limit = read("0::/kubepods/pod1/container\n", V2_MOUNTS,
            "sys/fs/cgroup/kubepods/memory.max", "max\n",
            "sys/fs/cgroup/kubepods/pod1/memory.max", "134217728\n",
            "sys/fs/cgroup/kubepods/pod1/container/memory.max", "max\n");
        assertEquals(128 * MIB, limit.bytes());
        assertEquals(Path.of("/sys/fs/cgroup/kubepods/pod1/memory.max"), limit.file());
    }

    @Test
    void v2InACgroupNamespaceReadsTheMountItself() throws IOException
    {
        assertEquals(256 * MIB, read("0::/\n", V2_MOUNTS, "sys/fs/cgroup/memory.max", "268435456\n").bytes());
    }

    @Test
    void maxV1sUnlimitedAndNoCgroupAtAllAreNoLimit() throws IOException
    {
        assertFalse(CgroupMemoryLimit.read(root).isLimited(), "no /proc/self/cgroup (not Linux)");
        assertFalse(read("0::/user.slice\n", V2_MOUNTS, "sys/fs/cgroup/user.slice/memory.max", "max\n").isLimited(),
            "v2 max");
        final CgroupMemoryLimit limit = read("4:memory:/process_api/1b55\n0::/\n", HYBRID_MOUNTS,
            "sys/fs/cgroup/memory/process_api/1b55/memory.limit_in_bytes", V1_UNLIMITED);
        assertFalse(limit.isLimited(), "v1 unlimited");
        assertEquals(CgroupMemoryLimit.UNLIMITED, limit.bytes());
        assertEquals("none", limit.toString());
    }

    @Test
    void aHierarchyThatIsNotMountedIsNoLimit() throws IOException
    {
        assertFalse(read("4:memory:/x\n", "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n")
            .isLimited());
    }

    @Test
    void aLimitFileHoldingAnythingElseFailsNamingTheVariableAndTheFile() throws IOException
    {
        for (final String text : new String[] { "lots", "-1", "", "12.5", "99999999999999999999" })
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> read("0::/pod\n", V2_MOUNTS, "sys/fs/cgroup/pod/memory.max", text), text);
            assertTrue(ex.getMessage().startsWith("AUDIO_MEMORY_MB: "), ex.getMessage());
            assertTrue(ex.getMessage().contains("memory.max"), ex.getMessage());
        }
    }
}
