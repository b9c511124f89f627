package dev.zerocopy;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds the anonymous placeholders that closed regions leave behind while views of them
 * are still reachable, the way {@code java.nio.Bits.reserveMemory} bounds direct memory:
 * a reservation over the budget triggers a GC and waits, with growing sleeps, for the
 * Cleaner to release placeholders whose views became garbage.
 *
 * <p>The budget counts placeholders (each is one kernel mapping, and a process may have
 * about 65,530) and their bytes (address space; memory only where written after close).
 * Limits: {@code -Dzerocopy.map.maxPlaceholders} (default 4096) and
 * {@code -Dzerocopy.map.maxPlaceholderBytes} (default 1 TiB). A close never fails for
 * lack of budget: if the views are still reachable after the wait, it goes over it.
 */
final class PlaceholderBudget {
    static final int MAX_COUNT = Math.max(1, Integer.getInteger("zerocopy.map.maxPlaceholders", 4096));
    static final long MAX_BYTES = Math.max(1, Long.getLong("zerocopy.map.maxPlaceholderBytes", 1L << 40));

    /** JDK's Bits: sleeps of 1, 2, 4 ... 256 ms after the GC, about half a second in all. */
    private static final int MAX_SLEEPS = 9;

    private static final Object LOCK = new Object();
    private static final ReentrantLock COLLECTING = new ReentrantLock();
    private static int count;
    private static long bytes;
    private static long collections;

    private PlaceholderBudget() {}

    /** Reserves one placeholder of {@code length} bytes, collecting garbage when over budget. */
    static void reserve(long length) {
        if (tryReserve(length)) {
            return;
        }
        // One thread at a time triggers the GC; the others find room after it. A j.u.c lock,
        // as it is held while sleeping: a monitor would pin a virtual thread on JDK 21-23.
        COLLECTING.lock();
        try {
            if (tryReserve(length)) {
                return;
            }
            boolean[] reserved = {false};
            collect(() -> reserved[0] = tryReserve(length));
            if (!reserved[0]) {
                synchronized (LOCK) {
                    count++;
                    bytes += length;
                }
            }
        } finally {
            COLLECTING.unlock();
        }
    }

    static void release(long length) {
        synchronized (LOCK) {
            count--;
            bytes -= length;
        }
    }

    /**
     * System.gc(), then waits until {@code done} says enough was released by the Cleaner
     * (or about half a second passed). Also used when mmap itself reports ENOMEM.
     */
    static void collect(java.util.function.BooleanSupplier done) {
        synchronized (LOCK) {
            collections++;
        }
        System.gc();
        boolean interrupted = false;
        try {
            for (int sleeps = 0, millis = 1; sleeps < MAX_SLEEPS && !done.getAsBoolean(); sleeps++, millis <<= 1) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean tryReserve(long length) {
        synchronized (LOCK) {
            // One placeholder larger than the byte budget is allowed when it is the only one.
            if (count >= MAX_COUNT || (count > 0 && bytes + length > MAX_BYTES)) {
                return false;
            }
            count++;
            bytes += length;
            return true;
        }
    }

    /** Live placeholders, for tests and diagnostics. */
    static int count() {
        synchronized (LOCK) {
            return count;
        }
    }

    /** How many times a reservation or a map call had to trigger a GC. */
    static long collections() {
        synchronized (LOCK) {
            return collections;
        }
    }
}
