package dev.sttbench.gateway.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The memory limit of the cgroup this process runs in, as the kernel enforces it: cgroup v1
 * {@code memory.limit_in_bytes} of the memory controller's hierarchy, else cgroup v2 {@code memory.max}. The process's
 * cgroup comes from {@code /proc/self/cgroup}, where its hierarchy is mounted from {@code /proc/self/mountinfo}; the
 * limit is the smallest along the path up to that mount, since a parent's limit (a Kubernetes pod's, above its
 * container's) binds as well. "max", or v1's "unlimited" (a value near 2^63), is no limit; so is a host without
 * cgroups. A file that holds anything else fails startup: guessing there would bring back the OOM kill.
 */
public final class CgroupMemoryLimit
{
    /** No limit: {@link #bytes()} of {@link #NONE}. */
    public static final long UNLIMITED = Long.MAX_VALUE;
    public static final CgroupMemoryLimit NONE = new CgroupMemoryLimit(UNLIMITED, null);
    /** v1 writes "no limit" as PAGE_COUNTER_MAX pages (0x7FFFFFFFFFFFF000 with 4 KiB pages); nothing real is this big. */
    private static final long UNLIMITED_THRESHOLD = 1L << 62;

    private final long bytes;
    private final Path file;

    private CgroupMemoryLimit(final long bytes, final Path file)
    {
        this.bytes = bytes;
        this.file = file;
    }

    /** This process's limit: {@code read(Path.of("/"))}. */
    public static CgroupMemoryLimit ofThisProcess()
    {
        return read(Path.of("/"));
    }

    /**
     * The limit as seen from {@code root} (the file system root, or a test's copy of {@code /proc/self} and the
     * cgroup mounts).
     */
    static CgroupMemoryLimit read(final Path root)
    {
        final List<String> cgroups = lines(root.resolve("proc/self/cgroup"));
        final List<String> mounts = lines(root.resolve("proc/self/mountinfo"));
        String v1Path = null;
        String v2Path = null;
        for (final String line : cgroups)
        {
            final String[] fields = line.split(":", 3);
            if (3 != fields.length)
            {
                continue;
            }
            if ("0".equals(fields[0]) && fields[1].isEmpty())
            {
                v2Path = fields[2];
            }
            else if (List.of(fields[1].split(",")).contains("memory"))
            {
                v1Path = fields[2];
            }
        }
        // A hybrid host mounts both; the memory controller is in the v1 hierarchy when one carries it.
        CgroupMemoryLimit limit = null;
        if (null != v1Path)
        {
            limit = limitUnder(root, mounts, "cgroup", v1Path, "memory.limit_in_bytes");
        }
        if (null == limit && null != v2Path)
        {
            limit = limitUnder(root, mounts, "cgroup2", v2Path, "memory.max");
        }
        return null == limit ? NONE : limit;
    }

    public long bytes()
    {
        return bytes;
    }

    public boolean isLimited()
    {
        return UNLIMITED != bytes;
    }

    /** The file the limit was read from; null when there is none. */
    public Path file()
    {
        return file;
    }

    /**
     * The smallest limit from the process's cgroup directory up to its hierarchy's mount point, or null when no such
     * hierarchy is mounted.
     */
    private static CgroupMemoryLimit limitUnder(
        final Path root, final List<String> mounts, final String fsType, final String cgroupPath, final String fileName)
    {
        for (final String mount : mounts)
        {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            final int separator = mount.indexOf(" - ");
            if (separator < 0)
            {
                continue;
            }
            final String[] before = mount.substring(0, separator).split(" ");
            final String[] after = mount.substring(separator + 3).split(" ");
            if (before.length < 5 || after.length < 3 || !fsType.equals(after[0]) ||
                ("cgroup".equals(fsType) && !List.of(after[2].split(",")).contains("memory")))
            {
                continue;
            }
            final Path mountPoint = root.resolve(before[4].substring(1));
            final Path cgroup = mountPoint.resolve(relativeToMount(before[3], cgroupPath)).normalize();
            CgroupMemoryLimit smallest = NONE;
            for (Path dir = cgroup.startsWith(mountPoint) ? cgroup : mountPoint;
                null != dir && dir.startsWith(mountPoint); dir = dir.getParent())
            {
                final Path file = dir.resolve(fileName);
                final long bytes = limitIn(file);
                if (bytes < smallest.bytes)
                {
                    smallest = new CgroupMemoryLimit(bytes, Path.of("/").resolve(root.relativize(file)));
                }
            }
            return smallest;
        }
        return null;
    }

    /**
     * The process's cgroup directory below the mount, as the JDK resolves it: a mount of the hierarchy's root holds
     * the whole path; a mount of the process's own cgroup (a container's view) holds it at the top; a mount of an
     * ancestor holds the rest of the path. In a cgroup namespace the path may not show the mount's root at all:
     * the mount then is the process's cgroup.
     */
    private static String relativeToMount(final String mountRoot, final String cgroupPath)
    {
        if ("/".equals(mountRoot))
        {
            return cgroupPath.substring(1);
        }
        if (cgroupPath.startsWith(mountRoot + "/"))
        {
            return cgroupPath.substring(mountRoot.length() + 1);
        }
        return "";
    }

    /** The limit a file holds; {@link #UNLIMITED} when it says so or does not exist (a v2 root has none). */
    private static long limitIn(final Path file)
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        }
        catch (final NoSuchFileException ex)
        {
            return UNLIMITED;
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("AUDIO_MEMORY_MB: cannot read " + file + " (" + ex + ") to derive " +
                "the audio memory budget; set AUDIO_MEMORY_MB", ex);
        }
        if ("max".equals(text))
        {
            return UNLIMITED;
        }
        final long bytes;
        try
        {
            bytes = Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            throw malformed(file, text);
        }
        if (bytes < 0)
        {
            throw malformed(file, text);
        }
        return bytes >= UNLIMITED_THRESHOLD ? UNLIMITED : bytes;
    }

    private static IllegalArgumentException malformed(final Path file, final String text)
    {
        return new IllegalArgumentException("AUDIO_MEMORY_MB: " + file + " holds '" + text + "', not a memory " +
            "limit, so the audio memory budget cannot be derived from it; set AUDIO_MEMORY_MB");
    }

    private static List<String> lines(final Path file)
    {
        try
        {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            // Not Linux, or no procfs: no cgroup, no limit.
            return List.of();
        }
    }

    public String toString()
    {
        return isLimited() ? (bytes >> 20) + " MiB (" + file + ")" : "none";
    }
}
