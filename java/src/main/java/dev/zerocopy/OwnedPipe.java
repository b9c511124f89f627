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
    /**
     * What new pipes ask F_SETPIPE_SZ for: {@link #pipeSize} capped at pipe-max-size, since
     * the kernel refuses anything above it (without CAP_SYS_RESOURCE) and the pipe would
     * then keep its 64 KiB instead of the largest size allowed.
     */
    private static int pipeRequest = capped(pipeSize);
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

    /** A pipe for one splice call: never refused by the cap (the call must move its bytes), counted. */
    static OwnedPipe acquire() throws ErrnoException {
        return lease(true);
    }

    /**
     * A pipe for a relay, or null when {@link #maxPipes()} pipes exist and none is idle, or
     * the process or system is out of descriptors (the relay then copies, as HAProxy does).
     */
    static OwnedPipe tryAcquire() throws ErrnoException {
        try {
            return lease(false);
        } catch (ErrnoException e) {
            if (!outOfDescriptors(e)) {
                throw e;
            }
            synchronized (POOL) {
                fallbacks++;
            }
            return null;
        }
    }

    /** EMFILE or ENFILE: no descriptor for a new pipe; a caller with a copy path uses it. */
    static boolean outOfDescriptors(ErrnoException e) {
        return e.reason() == ErrnoException.Reason.NO_DESCRIPTORS;
    }

    private static OwnedPipe lease(boolean always) throws ErrnoException {
        int size;
        int request;
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
            request = pipeRequest;
        }
        // Whatever ends this block early (EMFILE from pipe2, a failing F_GETPIPE_SZ) gives the
        // lease back, or the pool would count a pipe that does not exist, for good.
        boolean created = false;
        long fds = -1;
        try {
            fds = Native.pipe0(request);
            OwnedPipe pipe = new OwnedPipe((int) (fds >>> 32), (int) fds, size);
            pipe.isLeased = true;
            created = true;
            return pipe;
        } finally {
            if (!created) {
                synchronized (POOL) {
                    leased--;
                }
                if (fds != -1) {
                    Native.close0((int) (fds >>> 32));
                    Native.close0((int) fds);
                }
            }
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
        int request = capped(size);
        synchronized (POOL) {
            maxPipes = max;
            pipeSize = size;
            pipeRequest = request;
        }
        closeIdle();
    }

    private static int capped(int size) {
        return (int) Math.min(size, KernelPipe.pipeMaxSize());
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
