package dev.zerocopy;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * A non-blocking kernel pipe the library owns, for moving bytes between two descriptors
 * when neither is a pipe. Idle pipes are pooled (a pipe is two descriptors and up to its
 * capacity in kernel memory, so the pool is small); a pipe that may still hold bytes is
 * closed, never pooled.
 */
final class OwnedPipe {
    /** Bytes a library pipe asks the kernel for (F_SETPIPE_SZ); the kernel may give less. */
    static final int DEFAULT_CAPACITY = Integer.getInteger("zerocopy.pipe.size", 1 << 20);
    private static final int MAX_IDLE = Integer.getInteger("zerocopy.pipe.idle", 16);
    private static final ArrayBlockingQueue<OwnedPipe> IDLE = new ArrayBlockingQueue<>(Math.max(1, MAX_IDLE));

    final Endpoint source;
    final Endpoint sink;
    final int capacity;

    private OwnedPipe(int readFd, int writeFd) {
        this.source = Endpoint.owned(readFd, this);
        this.sink = Endpoint.owned(writeFd, this);
        this.capacity = Native.pipeCapacity0(readFd);
    }

    static OwnedPipe acquire() {
        OwnedPipe pipe = IDLE.poll();
        if (pipe != null) {
            return pipe;
        }
        long fds = Native.pipe0(DEFAULT_CAPACITY);
        return new OwnedPipe((int) (fds >>> 32), (int) fds);
    }

    /** Returns the pipe to the pool if it is empty, otherwise closes it. */
    void release() {
        if (Native.available0(source.fd) != 0 || !IDLE.offer(this)) {
            close();
        }
    }

    void close() {
        Native.close0(source.fd);
        Native.close0(sink.fd);
    }
}
