package dev.zerocopy;

/**
 * The JNI boundary: one kernel call per method, ints and longs in and out.
 *
 * <p>Byte counts are never negative; {@link #WOULD_BLOCK} means the kernel said EAGAIN.
 * Every other failure is thrown by the native side from its one errno table: EBADF as
 * {@link java.nio.channels.ClosedChannelException}, the rest as {@link ErrnoException}.
 * Callers hold the channel's close lock around each call (see {@link Endpoint}).
 */
final class Native {
    static final long WOULD_BLOCK = -2;

    /** {@link #poll0} interest and result bits. */
    static final int READABLE = 1;
    static final int WRITABLE = 2;
    static final int FAILED = 4;

    /** {@link #describe0} results: a kind in the low four bits, then flag bits. */
    static final int KIND_MASK = 0xf;
    static final int KIND_FILE = 1;
    static final int KIND_PIPE = 2;
    static final int KIND_SOCKET = 3;
    static final int KIND_OTHER = 4;
    static final int CAN_READ = 0x10;
    static final int CAN_WRITE = 0x20;
    static final int NONBLOCKING = 0x40;
    static final int APPENDING = 0x80;

    private Native() {}

    static native int fd0(Object channelOrDescriptor, int descriptorKind);

    static native Object closeLock0(Object channel);

    static native int describe0(int fd);

    /**
     * splice0 flag bits above SPLICE_F_*: make the input / output non-blocking for the call
     * (a socket in blocking mode sleeps in splice even with SPLICE_F_NONBLOCK).
     */
    static final int IN_MAY_SLEEP = 1 << 16;
    static final int OUT_MAY_SLEEP = 1 << 17;

    static native long splice0(int in, long inOffset, int out, long outOffset, long count, int flags);

    static native long sendfile0(int out, int in, long position, long count);

    static native int poll0(int fd, int interest, int timeoutMillis);

    /** The library's poller ({@link Poller}): epoll_create1, one-shot epoll_ctl, epoll_wait. */
    static native int epollCreate0() throws ErrnoException;

    static native void epollArm0(int epfd, int fd, int interest) throws java.io.IOException;

    static native int epollWait0(int epfd, int[] ready, int timeoutMillis);

    /** pipe2(2); EMFILE and ENFILE come as {@link ErrnoException}. */
    static native long pipe0(int capacity) throws ErrnoException;

    static native int pipeCapacity0(int fd);

    static native int available0(int fd);

    static native void close0(int fd);

    // ---- FileChannel mirrors (FileTransfers: transferTo, transferFrom, copyFileRange) ----

    /** copy_file_range(2), one call; an offset of -1 uses and advances the descriptor's position. */
    static native long copyFileRange0(int in, long inOffset, int out, long outOffset, long count);

    // ---- tee, vmsplice, pipe capacity (issue 4) ----

    static native long tee0(int in, int out, long count, int flags);

    /** The address of a direct buffer's first byte; position and limit are Java's business. */
    static native long address0(java.nio.ByteBuffer direct);

    /** {@code iov}: {@code count} pairs (address, length); returns bytes taken or WOULD_BLOCK. */
    static native long vmsplice0(int fd, long[] iov, int count, int flags);

    /** F_SETPIPE_SZ; returns the capacity the kernel chose. */
    static native int setPipeCapacity0(int fd, int capacity);

    /** Panics in Rust on purpose; the test suite proves it surfaces as {@link Error}. */
    static native String panic0(int depth);

    // ---- mmap (MappedRegion): addresses are longs that map0 returned -----------------------

    static native int pageSize0();

    /** {@code mode}: 0 READ_ONLY, 1 READ_WRITE, 2 PRIVATE; {@code offset} page-aligned. */
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
}
