package dev.zerocopy;

import java.util.ArrayDeque;

/**
 * A non-blocking kernel pipe the library owns, for moving bytes between two descriptors
 * when neither is a pipe (splice) and for {@link Relay}s. Like HAProxy's pipe pool: idle
 * pipes are kept for reuse, and the pipes that exist (idle plus leased) are capped by
 * {@link #maxPipes()} for relays, which copy through a buffer when the cap is reached. A
 * pipe that may still hold bytes is closed, never pooled.
 *
 * <p>Settings: system properties {@code zerocopy.pipe.max} (default 256) and
 * {@code zerocopy.pipe.size} (bytes asked of F_SETPIPE_SZ, default 1 MiB; 0 keeps the
 * kernel's 64 KiB), or {@link Relay#configurePipes(int, int)} at run time.
 */
final class OwnedPipe {
    private static final Object POOL = new Object();
    private static final ArrayDeque<OwnedPipe> IDLE = new ArrayDeque<>();
    private static int maxPipes = Math.max(0, Integer.getInteger("zerocopy.pipe.max", 256));
    private static int pipeSize = Math.max(0, Integer.getInteger("zerocopy.pipe.size", 1 << 20));
    private static int leased;
    private static int peakLeased;
    private static long fallbacks;

    final Endpoint source;
    final Endpoint sink;
    final int capacity;
    private final int requestedSize;
    /** Guarded by POOL: counted in {@link #leased}. */
    private boolean isLeased;

    private OwnedPipe(int readFd, int writeFd, int requestedSize) {
        this.source = Endpoint.owned(readFd, this);
        this.sink = Endpoint.owned(writeFd, this);
        this.capacity = Native.pipeCapacity0(readFd);
        this.requestedSize = requestedSize;
    }

    /** A pipe for one splice call: always succeeds (the call must move its bytes), counted. */
    static OwnedPipe acquire() {
        OwnedPipe pipe = lease(true);
        return pipe;
    }

    /** A pipe for a relay, or null when {@link #maxPipes()} pipes exist and none is idle. */
    static OwnedPipe tryAcquire() {
        return lease(false);
    }

    private static OwnedPipe lease(boolean always) {
        int size;
        synchronized (POOL) {
            OwnedPipe idle = IDLE.poll();
            if (idle == null && !always && leased >= maxPipes) {
                fallbacks++;
                return null;
            }
            leased++;
            peakLeased = Math.max(peakLeased, leased);
            if (idle != null) {
                idle.isLeased = true;
                return idle;
            }
            size = pipeSize;
        }
        try {
            long fds = Native.pipe0(size);
            OwnedPipe pipe = new OwnedPipe((int) (fds >>> 32), (int) fds, size);
            pipe.isLeased = true;
            return pipe;
        } catch (RuntimeException | Error e) {
            synchronized (POOL) {
                leased--;
            }
            throw e;
        }
    }

    /** Returns the pipe to the pool if it is empty and the pool has room, otherwise closes it. */
    void release() {
        boolean empty = Native.available0(source.fd) == 0;
        synchronized (POOL) {
            unlease();
            if (empty && requestedSize == pipeSize && IDLE.size() + leased < maxPipes) {
                IDLE.push(this);
                return;
            }
        }
        closeDescriptors();
    }

    void close() {
        synchronized (POOL) {
            unlease();
        }
        closeDescriptors();
    }

    private void unlease() {
        if (isLeased) {
            isLeased = false;
            leased--;
        }
    }

    private void closeDescriptors() {
        Native.close0(source.fd);
        Native.close0(sink.fd);
    }

    static void configure(int max, int size) {
        if (max < 0 || size < 0) {
            throw new IllegalArgumentException("maxPipes " + max + " and pipeSize " + size + " must not be negative");
        }
        synchronized (POOL) {
            maxPipes = max;
            pipeSize = size;
        }
        closeIdle();
    }

    /** Closes every idle pipe; returns how many. */
    static int closeIdle() {
        int closed = 0;
        for (;;) {
            OwnedPipe pipe;
            synchronized (POOL) {
                pipe = IDLE.poll();
            }
            if (pipe == null) {
                return closed;
            }
            pipe.closeDescriptors();
            closed++;
        }
    }

    static int maxPipes() {
        synchronized (POOL) {
            return maxPipes;
        }
    }

    static int pipeSize() {
        synchronized (POOL) {
            return pipeSize;
        }
    }

    static int leased() {
        synchronized (POOL) {
            return leased;
        }
    }

    static int idle() {
        synchronized (POOL) {
            return IDLE.size();
        }
    }

    /** The most pipes leased at once since the last call; resets the mark to the current count. */
    static int takePeakLeased() {
        synchronized (POOL) {
            int peak = peakLeased;
            peakLeased = leased;
            return peak;
        }
    }

    static long fallbacks() {
        synchronized (POOL) {
            return fallbacks;
        }
    }
}
