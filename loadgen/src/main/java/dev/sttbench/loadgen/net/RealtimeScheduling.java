package dev.sttbench.loadgen.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Puts the calling thread under Linux {@code SCHED_FIFO} (libc through the FFM API).
 *
 * <p>Why: a loop that is idle half the time still sends late when, at the moment a frame is due, the
 * kernel runs something else on its core (kernel threads such as {@code kdamond} take 4–12 ms slices,
 * the harness's sampler a few ms). Under {@code SCHED_FIFO} a due frame preempts every normal task at
 * once; the kernel's RT throttling ({@code sched_rt_runtime_us}) still leaves the other tasks 5 % of
 * the core if the loop ever saturates it. Only the loop threads get it, never the JIT or GC threads, so
 * a long compilation cannot hold a loop off its core.
 */
public final class RealtimeScheduling {
    /** Highest priority Linux accepts for {@code SCHED_FIFO}. */
    public static final int MAX_PRIORITY = 99;

    private static final int SCHED_FIFO = 1;
    private static final int SCHED_PARAM_BYTES = Integer.BYTES;

    private RealtimeScheduling() {
    }

    /**
     * Makes the calling thread {@code SCHED_FIFO} at {@code priority} (1–99).
     *
     * @throws IllegalStateException naming the errno when the kernel refuses (needs root or CAP_SYS_NICE)
     */
    public static void enterFifo(int priority) {
        if (priority < 1 || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("SCHED_FIFO priority must be 1.." + MAX_PRIORITY + ", got " + priority);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(SCHED_PARAM_BYTES);
            param.set(JAVA_INT, 0, priority);
            MemorySegment callState = arena.allocate(Libc.CALL_STATE);
            int result = (int) Calls.SCHED_SETSCHEDULER.invokeExact(callState, 0, SCHED_FIFO, param);
            if (result != 0) {
                int errno = Libc.errno(callState);
                throw new IllegalStateException("sched_setscheduler(SCHED_FIFO, priority " + priority + ") failed: "
                        + Libc.describe(errno) + " (needs root or CAP_SYS_NICE)");
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("sched_setscheduler call failed", e);
        }
    }

    /** Whether the calling thread runs under {@code SCHED_FIFO}. */
    public static boolean isFifo() {
        try {
            return (int) Calls.SCHED_GETSCHEDULER.invokeExact(0) == SCHED_FIFO;
        } catch (Throwable e) {
            throw new IllegalStateException("sched_getscheduler call failed", e);
        }
    }

    /**
     * Checks, on a short-lived thread, that {@link #enterFifo} will succeed, so that a run without the
     * privilege fails before it opens a connection rather than in every loop.
     */
    public static void checkAllowed(int priority) {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread probe = new Thread(() -> {
            try {
                enterFifo(priority);
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "rt-priority-probe");
        probe.start();
        try {
            probe.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking SCHED_FIFO", e);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** The libc entry points, looked up when first used (class initialization is lazy and thread-safe). */
    private static final class Calls {
        static final MethodHandle SCHED_SETSCHEDULER = Libc.downcall("sched_setscheduler",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), Libc.CAPTURE_ERRNO);
        static final MethodHandle SCHED_GETSCHEDULER = Libc.downcall("sched_getscheduler",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
}
