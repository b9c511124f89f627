package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Virtual threads for tests compiled to Java 11: {@code Thread.startVirtualThread} and
 * {@code Thread.isVirtual} through method handles; tests that need them skip on JDK < 21.
 */
final class VirtualThreads {
    private static final MethodHandle START = find("startVirtualThread",
            MethodType.methodType(Thread.class, Runnable.class), true);
    private static final MethodHandle IS_VIRTUAL = find("isVirtual", MethodType.methodType(boolean.class), false);

    private VirtualThreads() {}

    static boolean available() {
        return START != null && Runtime.version().feature() >= 21;
    }

    static void assumeAvailable() {
        assumeTrue(available(), "virtual threads need JDK 21+, this is " + Runtime.version());
    }

    static Thread start(Runnable task) {
        try {
            return (Thread) START.invokeExact(task);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static boolean isVirtual(Thread thread) {
        try {
            return IS_VIRTUAL != null && (boolean) IS_VIRTUAL.invokeExact(thread);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code task} on a new virtual thread; the future completes with its result. */
    static <T> CompletableFuture<T> call(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        start(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** Runs {@code task} on a new platform thread (the twin of {@link #call}). */
    static <T> CompletableFuture<T> callOnPlatform(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "test-platform-caller");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /**
     * Milliseconds until a virtual thread started now runs its first statement (5,000 when
     * it never ran within 5 s): the carrier threads are free if this is small.
     */
    static long probeMillis() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        long start = System.nanoTime();
        start(ran::countDown);
        if (!ran.await(5, TimeUnit.SECONDS)) {
            return 5_000;
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /**
     * Best of three probes: one slow probe can be the machine (another process, a GC);
     * three slow ones in a row are the library holding the carriers.
     */
    static long bestProbeMillis() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            best = Math.min(best, probeMillis());
        }
        return best;
    }

    /** Asserts that a probe virtual thread runs within {@code limitMillis} while {@code what} waits. */
    static void assertCarriersFree(String what, long limitMillis) throws InterruptedException {
        long millis = bestProbeMillis();
        System.out.println("probe: a new virtual thread ran after " + millis + " ms while " + what
                + " (JDK " + Runtime.version().feature() + ")");
        assertTrue(millis <= limitMillis, "a probe virtual thread took " + millis + " ms to run while " + what
                + " (limit " + limitMillis + " ms): the waits hold carrier threads");
    }

    /**
     * Waits until every thread is parked (WAITING or TIMED_WAITING), up to two seconds; a
     * thread blocked inside native code stays RUNNABLE, so this returns false for it.
     */
    static boolean awaitParked(List<Thread> threads) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (Thread t : threads) {
                Thread.State state = t.getState();
                all &= state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
            }
            if (all) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** Starts one virtual thread per task, keeping the threads so tests can watch their state. */
    static <T> List<CompletableFuture<T>> callAll(List<Callable<T>> tasks, List<Thread> threads) {
        List<CompletableFuture<T>> results = new ArrayList<>();
        for (Callable<T> task : tasks) {
            CompletableFuture<T> result = new CompletableFuture<>();
            threads.add(start(() -> {
                try {
                    result.complete(task.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            }));
            results.add(result);
        }
        return results;
    }

    private static MethodHandle find(String name, MethodType type, boolean isStatic) {
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            return isStatic ? lookup.findStatic(Thread.class, name, type) : lookup.findVirtual(Thread.class, name, type);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }
}
