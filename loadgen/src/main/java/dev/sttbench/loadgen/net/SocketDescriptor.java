package dev.sttbench.loadgen.net;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.SocketChannel;

/**
 * The file descriptor behind a JDK {@link SocketChannel}, for handing sends to {@link IoUring} while the
 * channel keeps its selector registration for everything else. There is no public API for it: this reads
 * {@code sun.nio.ch.SelChImpl.getFDVal()}, which needs {@code java.base/sun.nio.ch} exported to us (the
 * jar's manifest does it; elsewhere {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}).
 */
final class SocketDescriptor {
    private static final MethodHandle GET_FD_VAL = lookup();

    private SocketDescriptor() {
    }

    /** Whether descriptors can be read in this JVM. */
    static boolean available() {
        return GET_FD_VAL != null;
    }

    static int of(SocketChannel channel) {
        try {
            return (int) GET_FD_VAL.invoke(channel);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read the socket's file descriptor", e);
        }
    }

    private static MethodHandle lookup() {
        try {
            Class<?> selChImpl = Class.forName("sun.nio.ch.SelChImpl");
            return MethodHandles.lookup().findVirtual(selChImpl, "getFDVal", MethodType.methodType(int.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
