package dev.sttbench.gateway.session;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Off-heap memory reserved once at startup. On Linux it is an anonymous private mapping: the address range
 * (and so the bound) is fixed up front while the kernel commits pages on first touch, and
 * {@link #release(long, long)} hands pages back ({@code madvise(MADV_DONTNEED)}), so RSS follows the audio
 * actually buffered instead of the bound. A mapping may exceed 2 GiB, then it is reached only through
 * {@link #slice(long, int)}. Elsewhere it falls back to a direct buffer (at most 2 GiB) that keeps its pages.
 */
public final class OffHeapSlab implements AutoCloseable
{
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MADV_DONTNEED = 4;

    private final Arena arena;
    private final MemorySegment segment;
    private final MethodHandle madvise;
    private final ByteBuffer buffer;

    private OffHeapSlab(final Arena arena, final MemorySegment segment, final MethodHandle madvise, final ByteBuffer buffer)
    {
        this.arena = arena;
        this.segment = segment;
        this.madvise = madvise;
        this.buffer = null == buffer ? null : buffer.order(ByteOrder.LITTLE_ENDIAN);
    }

    public static OffHeapSlab reserve(final long bytes)
    {
        if (System.getProperty("os.name", "").startsWith("Linux"))
        {
            return mapAnonymous(bytes);
        }
        return new OffHeapSlab(null, null, null, ByteBuffer.allocateDirect(Math.toIntExact(bytes)));
    }

    /** The whole slab as one buffer; only for a slab of at most 2 GiB. */
    public ByteBuffer buffer()
    {
        if (null == buffer)
        {
            throw new IllegalStateException("a slab over 2 GiB is reached through slice()");
        }
        return buffer;
    }

    /** A view of {@code [offset, offset + length)}, made once by its user. */
    public ByteBuffer slice(final long offset, final int length)
    {
        final ByteBuffer view = null == segment ?
            buffer.slice(Math.toIntExact(offset), length) : segment.asSlice(offset, length).asByteBuffer();
        return view.order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Give the pages of {@code [offset, offset + length)} back to the OS; they read as zeros when touched again.
     * Both bounds must be page-aligned. A no-op for the direct-buffer fallback.
     */
    public void release(final long offset, final long length)
    {
        if (null == madvise)
        {
            return;
        }
        final int result;
        try
        {
            result = (int)madvise.invokeExact(segment.asSlice(offset, length), length, MADV_DONTNEED);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("madvise failed", ex);
        }
        if (0 != result)
        {
            throw new IllegalStateException("madvise(" + offset + ", " + length + ") failed");
        }
    }

    public void close()
    {
        if (null != arena)
        {
            arena.close();
        }
    }

    private static OffHeapSlab mapAnonymous(final long bytes)
    {
        final Linker linker = Linker.nativeLinker();
        final MethodHandle mmap = linker.downcallHandle(
            linker.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        final MethodHandle munmap = linker.downcallHandle(
            linker.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        final MethodHandle madvise = linker.downcallHandle(
            linker.defaultLookup().find("madvise").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        final MemorySegment address;
        try
        {
            address = (MemorySegment)mmap.invokeExact(MemorySegment.NULL, bytes, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("mmap failed", ex);
        }
        if (-1L == address.address())
        {
            throw new IllegalStateException("mmap of " + bytes + " bytes failed");
        }
        final Arena arena = Arena.ofShared();
        final MemorySegment segment = address.reinterpret(bytes, arena, mapped ->
        {
            try
            {
                final int ignored = (int)munmap.invokeExact(mapped, bytes);
            }
            catch (final Throwable ex)
            {
                throw new IllegalStateException("munmap failed", ex);
            }
        });
        return new OffHeapSlab(arena, segment, madvise, bytes <= Integer.MAX_VALUE ? segment.asByteBuffer() : null);
    }
}
