package dev.zerocopy;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How a virtual thread waits for a descriptor without holding its carrier.
 *
 * <p>A native {@code poll()} pins the carrier thread for as long as it waits (a JNI call
 * cannot unmount), so on a 2-core machine two idle connections would stop every other
 * virtual thread. Instead, a virtual thread registers here, arms its descriptor one-shot
 * on an epoll instance, and parks; a library thread (a daemon platform thread, one per
 * interest, as the JDK's own {@code sun.nio.ch.Poller}) sits in {@code epoll_wait} and
 * unparks it when the descriptor fires.
 *
 * <p>Close and interrupt are noticed as on platform threads, without waking idle waiters
 * on a timer: {@code Thread.interrupt()} unparks a parked thread at once, and the poller
 * thread sweeps its waiters every {@link #SWEEP_MILLIS} and unparks those whose channels
 * were closed (or whose wait was cancelled, e.g. a {@link Relay} closed), so ten thousand
 * idle connections cost nothing while they stay idle. Every wake, spurious or not, is
 * followed by the caller's own checks and a kernel call under the close lock, so waking
 * for the wrong file (a number closed and reused meanwhile) costs one retry, never a byte.
 *
 * <p>Virtual threads are told apart with {@code Thread.isVirtual()} looked up once by a
 * method handle: the jar is Java 11 bytecode, and a multi-release jar would need a second
 * source tree and a compiler newer than the oldest JDK we build on; on JDKs without the
 * method every thread is a platform thread and this class is never used.
 */
final class Poller {
    /** How often the poller threads look for waiters whose channels were closed. */
    static final int SWEEP_MILLIS = 25;
    /** A parked waiter wakes on its own after this long, in case a wake-up was missed. */
    private static final long SAFETY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final MethodHandle IS_VIRTUAL = findIsVirtual();

    private static final Object START_LOCK = new Object();
    private static volatile Poller readers;
    private static volatile Poller writers;

    private final int epfd;
    /** Waiters by descriptor number; usually one, more when threads share a channel. */
    private final ConcurrentHashMap<Integer, Waiter[]> waiters = new ConcurrentHashMap<>();

    private Poller(int epfd) {
        this.epfd = epfd;
    }

    /** True when the current thread is a virtual thread (JDK 21+). */
    static boolean onVirtualThread() {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable e) {
            throw new AssertionError("Thread.isVirtual() failed", e);
        }
    }

    private static MethodHandle findIsVirtual() {
        try {
            return MethodHandles.publicLookup()
                    .findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }

    /** One parked wait: why the waiter should stop waiting, checked by the sweep too. */
    interface Cancellation {
        /** True when the wait should end now (a channel closed, a relay closed). */
        boolean cancelled();
    }

    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        final Cancellation cancellation;
        volatile boolean fired;

        Waiter(Cancellation cancellation) {
            this.cancellation = cancellation;
        }
    }

    /**
     * Parks the current virtual thread until {@code fd} is ready for {@code interest}, the
     * thread is interrupted, {@code cancellation} says stop (noticed within a sweep), or a
     * second passed. Returns true when the descriptor fired; the caller re-checks in any
     * case. Without a working poller (no descriptors left for epoll), waits in
     * {@code poll()} for one slice instead, pinning the carrier for that slice.
     */
    static boolean park(int fd, int interest, Cancellation cancellation) throws IOException {
        Poller poller = forInterest(interest);
        if (poller == null) {
            return Native.poll0(fd, interest, Endpoint.POLL_SLICE_MILLIS) != 0;
        }
        Waiter waiter = new Waiter(cancellation);
        Integer key = fd;
        poller.waiters.compute(key, (k, list) -> append(list, waiter));
        try {
            try {
                Native.epollArm0(poller.epfd, fd, interest);
            } catch (ClosedChannelException e) {
                // Closed since the caller checked: its re-check will say so.
                return true;
            } catch (ErrnoException e) {
                // EPERM: a regular file, which is always ready, as poll() would say.
                return true;
            }
            if (!cancellation.cancelled()) {
                LockSupport.parkNanos(poller, SAFETY_NANOS);
            }
            return waiter.fired;
        } finally {
            poller.waiters.computeIfPresent(key, (k, list) -> remove(list, waiter));
        }
    }

    private static Poller forInterest(int interest) {
        Poller poller = interest == Native.READABLE ? readers : writers;
        if (poller != null) {
            return poller;
        }
        synchronized (START_LOCK) {
            poller = interest == Native.READABLE ? readers : writers;
            if (poller == null) {
                poller = start(interest);
                if (interest == Native.READABLE) {
                    readers = poller;
                } else {
                    writers = poller;
                }
            }
            return poller;
        }
    }

    /** Null when the epoll instance cannot be made (EMFILE): callers then poll in slices. */
    private static Poller start(int interest) {
        int epfd;
        try {
            epfd = Native.epollCreate0();
        } catch (IOException e) {
            return null;
        }
        Poller poller = new Poller(epfd);
        // A platform thread: it blocks in the kernel, which is its job.
        Thread thread = new Thread(poller::run,
                "zerocopy-poller-" + (interest == Native.READABLE ? "read" : "write"));
        thread.setDaemon(true);
        thread.start();
        return poller;
    }

    private void run() {
        int[] ready = new int[512];
        long nextSweep = System.nanoTime();
        for (;;) {
            try {
                int n = Native.epollWait0(epfd, ready, SWEEP_MILLIS);
                for (int i = 0; i < n; i++) {
                    Waiter[] list = waiters.remove(ready[i]);
                    if (list != null) {
                        for (Waiter waiter : list) {
                            waiter.fired = true;
                            LockSupport.unpark(waiter.thread);
                        }
                    }
                }
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    sweep();
                    nextSweep = now + TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS);
                }
            } catch (Throwable e) {
                // Nothing here should fail; if it does, waiters still wake on their safety
                // timeout, so keep serving rather than leave them to it.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS));
            }
        }
    }

    private void sweep() {
        for (Waiter[] list : waiters.values()) {
            for (Waiter waiter : list) {
                if (waiter.cancellation.cancelled()) {
                    LockSupport.unpark(waiter.thread);
                }
            }
        }
    }

    private static Waiter[] append(Waiter[] list, Waiter waiter) {
        if (list == null) {
            return new Waiter[] {waiter};
        }
        Waiter[] longer = Arrays.copyOf(list, list.length + 1);
        longer[list.length] = waiter;
        return longer;
    }

    private static Waiter[] remove(Waiter[] list, Waiter waiter) {
        int at = Arrays.asList(list).indexOf(waiter);
        if (at < 0) {
            return list;
        }
        if (list.length == 1) {
            return null;
        }
        Waiter[] shorter = new Waiter[list.length - 1];
        System.arraycopy(list, 0, shorter, 0, at);
        System.arraycopy(list, at + 1, shorter, at, list.length - at - 1);
        return shorter;
    }
}
