package dev.sttbench.loadgen.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class RealtimeSchedulingTest {
    /** Whether this process may use SCHED_FIFO: root, or a thread of it could enter it (CAP_SYS_NICE). */
    private static boolean privileged() throws Exception {
        return onFreshThread(() -> {
            try {
                RealtimeScheduling.enterFifo(1);
                return true;
            } catch (IllegalStateException e) {
                return false;
            }
        });
    }

    private static <T> T onFreshThread(Supplier<T> body) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(body.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        thread.start();
        return result.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aNewThreadRunsUnderNormalScheduling() throws Exception {
        assertFalse(onFreshThread(RealtimeScheduling::isFifo));
    }

    @Test
    void enteringFifoChangesOnlyTheCallingThreadOrNamesTheRefusal() throws Exception {
        boolean privileged = privileged();
        String outcome = onFreshThread(() -> {
            try {
                RealtimeScheduling.enterFifo(2);
                return RealtimeScheduling.isFifo() ? "fifo" : "still normal";
            } catch (IllegalStateException e) {
                return RealtimeScheduling.isFifo() ? "fifo after a refusal" : e.getMessage();
            }
        });
        if (privileged) {
            assertEquals("fifo", outcome);
        } else {
            assertTrue(outcome.startsWith("sched_setscheduler(SCHED_FIFO, priority 2) failed: ")
                    && outcome.contains("errno") && outcome.contains("CAP_SYS_NICE"), outcome);
        }
        assertFalse(RealtimeScheduling.isFifo(), "the caller's own thread is untouched");
    }

    @Test
    void checkAllowedAgreesWithTheKernel() throws Exception {
        if (privileged()) {
            RealtimeScheduling.checkAllowed(1);
        } else {
            assertThrows(IllegalStateException.class, () -> RealtimeScheduling.checkAllowed(1));
        }
        assertFalse(RealtimeScheduling.isFifo(), "the probe runs on a thread of its own");
    }

    @Test
    void prioritiesOutsideTheFifoRangeAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> RealtimeScheduling.enterFifo(0));
        assertThrows(IllegalArgumentException.class, () -> RealtimeScheduling.enterFifo(100));
    }
}
