package dev.zerocopy.examples;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Virtual threads for programs compiled with {@code --release 11}: JDK 21's
 * {@code Executors.newVirtualThreadPerTaskExecutor()} is looked up once through a method
 * handle (the name does not exist in the Java 11 API the examples compile against), so the
 * same class file runs on JDK 11-20 with platform threads and on 21+ with virtual ones.
 */
final class VirtualThreads {
    private static final MethodHandle NEW_EXECUTOR;
    private static final String UNAVAILABLE;

    static {
        MethodHandle handle = null;
        String reason = null;
        try {
            handle = MethodHandles.publicLookup().findStatic(Executors.class, "newVirtualThreadPerTaskExecutor",
                    MethodType.methodType(ExecutorService.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            reason = "virtual threads need JDK 21 or later (this is Java " + System.getProperty("java.version") + ")";
        }
        NEW_EXECUTOR = handle;
        UNAVAILABLE = reason;
    }

    private VirtualThreads() {}

    /** True on JDK 21+. */
    static boolean available() {
        return NEW_EXECUTOR != null;
    }

    /** Why {@link #available()} is false, in one line; null when it is true. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** An executor that starts a new virtual thread for each task (JDK 21+ only). */
    static ExecutorService newPerTaskExecutor() {
        if (NEW_EXECUTOR == null) {
            throw new UnsupportedOperationException(UNAVAILABLE);
        }
        try {
            return (ExecutorService) NEW_EXECUTOR.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
