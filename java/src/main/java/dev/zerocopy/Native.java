package dev.zerocopy;

/**
 * The JNI boundary: one kernel call per method, ints and longs in and out.
 *
 * <p>Grouped as {@code native/src/jni/} is, one heading per file there (and per syscall
 * family in {@code native/src/sys/}).
 *
 * <p>Byte counts are never negative; {@link #WOULD_BLOCK} means the kernel said EAGAIN.
 * Every other failure is thrown by the native side from its one errno table: EBADF as
 * {@link java.nio.channels.ClosedChannelException}, the rest as {@link ErrnoException}.
 * Callers hold the channel's close lock around each call (see {@link Endpoint}).
 *
 * <p>Every number both sides must agree on (the would-block sentinel, poll, describe and
 * may-sleep bits, holder and map-mode codes, the iovec limit, {@link ErrnoException}'s
 * reasons) is read from the native side's one table when this class initialises, as
 * Netty's {@code Native} does: there is no second copy to drift.
 */
final class Native {
    static final long WOULD_BLOCK = constantLong("WOULD_BLOCK");

    private Native() {}

    /**
     * A shared constant from the native table. 0 when the library is unavailable: then no
     * value is ever used, since every native path first calls
     * {@link NativeLibrary#ensureAvailable}.
     */
    static int constant(String name) {
        return (int) constantLong(name);
    }

    private static long constantLong(String name) {
        return NativeLibrary.isAvailable() ? constant0(name) : 0;
    }

    /** The value of a shared constant; IllegalArgumentException for a name the table lacks. */
    static native long constant0(String name);

    // ---- fd (jni/fd.rs): a channel's descriptor and close lock, what a descriptor is ------

    /**
     * Which JDK class holds a descriptor ({@link #fd0}'s {@code holder}): which private
     * {@code fd} field to read. Not the kind of file behind it ({@code KIND_*}).
     */
    static final int HOLDER_FILE_DESCRIPTOR = constant("HOLDER_FILE_DESCRIPTOR");
    static final int HOLDER_FILE_CHANNEL = constant("HOLDER_FILE_CHANNEL");
    static final int HOLDER_SOCKET_CHANNEL = constant("HOLDER_SOCKET_CHANNEL");
    static final int HOLDER_PIPE_SOURCE = constant("HOLDER_PIPE_SOURCE");
    static final int HOLDER_PIPE_SINK = constant("HOLDER_PIPE_SINK");

    static native int fd0(Object channelOrDescriptor, int holder);

    static native Object closeLock0(Object channel);

    /** {@link #describe0} results: a kind in the low four bits, then flag bits. */
    static final int KIND_MASK = constant("KIND_MASK");
    static final int KIND_FILE = constant("KIND_FILE");
    static final int KIND_PIPE = constant("KIND_PIPE");
    static final int KIND_SOCKET = constant("KIND_SOCKET");
    static final int KIND_OTHER = constant("KIND_OTHER");
    static final int CAN_READ = constant("CAN_READ");
    static final int CAN_WRITE = constant("CAN_WRITE");
    static final int NONBLOCKING = constant("NONBLOCKING");
    static final int APPENDING = constant("APPENDING");
    /** A memory device (/dev/null, /dev/zero, ...): a write never sleeps. */
    static final int WRITES_NEVER_SLEEP = constant("WRITES_NEVER_SLEEP");

    static native int describe0(int fd);

    /** describe0 with access and O_APPEND from the FileChannel's own fields: one fstat. */
    static native int describeFileChannel0(Object fileChannel, int fd);

    /**
     * JDK 21+: 1 when a blocking SocketChannel's descriptor is non-blocking for good (its
     * {@code forcedNonBlocking}), 0 if not, -1 on an older JDK; {@code force} (on a virtual
     * thread) first makes it so, as the JDK's own first use from a virtual thread does.
     * Call inside the close lock with the channel found open.
     */
    static native int forcedNonBlocking0(Object socketChannel, int fd, boolean force);

    /** Closes a descriptor the library owns (from {@link #pipe0}). */
    static native void close0(int fd);

    // ---- splice, tee, vmsplice (jni/splice.rs) --------------------------------------------

    /**
     * splice0 flag bits above SPLICE_F_*: make the input / output non-blocking for the call
     * (a socket in blocking mode sleeps in splice even with SPLICE_F_NONBLOCK).
     */
    static final int IN_MAY_SLEEP = constant("IN_MAY_SLEEP");
    static final int OUT_MAY_SLEEP = constant("OUT_MAY_SLEEP");

    static native long splice0(int in, long inOffset, int out, long outOffset, long count, int flags);

    static native long tee0(int in, int out, long count, int flags);

    /** The address of a direct buffer's first byte; position and limit are Java's business. */
    static native long address0(java.nio.ByteBuffer direct);

    /** The most (address, length) pairs one vmsplice0 call takes (UIO_MAXIOV). */
    static final int MAX_IOVECS = constant("MAX_IOVECS");

    /** {@code iov}: {@code count} pairs (address, length); returns bytes taken or WOULD_BLOCK. */
    static native long vmsplice0(int fd, long[] iov, int count, int flags);

    // ---- sendfile (jni/sendfile.rs) -------------------------------------------------------

    /** {@code flags}: 0 or {@link #OUT_MAY_SLEEP}. */
    static native long sendfile0(int out, int in, long position, long count, int flags);

    // ---- copy_file_range (jni/copy_range.rs) ----------------------------------------------

    /** copy_file_range(2), one call; an offset of -1 uses and advances the descriptor's position. */
    static native long copyFileRange0(int in, long inOffset, int out, long outOffset, long count);

    // ---- pipe (jni/pipe.rs): creation, capacity, bytes queued -----------------------------

    /** pipe2(2); EMFILE and ENFILE come as {@link ErrnoException}. */
    static native long pipe0(int capacity) throws ErrnoException;

    static native int pipeCapacity0(int fd);

    /** F_SETPIPE_SZ; returns the capacity the kernel chose. */
    static native int setPipeCapacity0(int fd, int capacity);

    /** FIONREAD. */
    static native int available0(int fd);

    // ---- poll (jni/poll.rs) ---------------------------------------------------------------

    /** {@link #poll0} interest and result bits. */
    static final int READABLE = constant("READABLE");
    static final int WRITABLE = constant("WRITABLE");
    static final int FAILED = constant("FAILED");

    static native int poll0(int fd, int interest, int timeoutMillis);

    /** The library's poller ({@link Poller}): epoll_create1, one-shot epoll_ctl, epoll_wait. */
    static native int epollCreate0() throws ErrnoException;

    static native void epollArm0(int epfd, int fd, int interest) throws java.io.IOException;

    static native int epollWait0(int epfd, int[] ready, int timeoutMillis);

    // ---- mmap (jni/mmap.rs, for MappedRegion): addresses are longs that map0 returned -----

    static native int pageSize0();

    /** {@link #map0}'s {@code mode}: FileChannel.MapMode READ_ONLY, READ_WRITE, PRIVATE. */
    static final int MAP_READ_ONLY = constant("MAP_READ_ONLY");
    static final int MAP_READ_WRITE = constant("MAP_READ_WRITE");
    static final int MAP_PRIVATE = constant("MAP_PRIVATE");

    /** {@code mode}: a {@code MAP_*} code; {@code offset} page-aligned. */
    static native long map0(int fd, long offset, long length, int mode, boolean populate) throws java.io.IOException;

    static native void unmap0(long address, long length) throws java.io.IOException;

    /** Replaces a mapping with anonymous pages at the same address (MAP_FIXED). */
    static native void placeholder0(long address, long length, boolean writable) throws java.io.IOException;

    /** {@code advice}: the {@link Advice} ordinal. */
    static native void advise0(long address, long length, int advice) throws java.io.IOException;

    static native void force0(long address, long length) throws java.io.IOException;

    static native void lock0(long address, long length, boolean locked) throws java.io.IOException;

    static native void load0(long address, long length) throws java.io.IOException;

    static native long fileSize0(int fd) throws java.io.IOException;

    static native void extend0(int fd, long length) throws java.io.IOException;

    /** One write (a non-blocking send for a socket); bytes written or {@link #WOULD_BLOCK}. */
    static native long writeFrom0(int fd, long address, long count, boolean socket) throws java.io.IOException;

    static native java.nio.ByteBuffer newBuffer0(long address, int length);

    // ---- test-only (jni/testing.rs) -------------------------------------------------------

    /** Panics in Rust on purpose; the test suite proves it surfaces as {@link Error}. */
    static native String panic0(int depth);
}
