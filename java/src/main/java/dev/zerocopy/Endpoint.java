package dev.zerocopy;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;

/**
 * A channel (or raw {@link FileDescriptor}) resolved to its descriptor number, the kind of
 * file behind it, and the monitor its {@code close()} runs in.
 *
 * <p>Why the monitor: a thread inside our native code is invisible to the JDK's close,
 * which would otherwise close the number under it and let a new file reuse it. Every
 * kernel call on a user's descriptor runs inside {@code synchronized (lock)} after
 * re-checking {@link #isOpen()}, so close waits for at most one short non-blocking call
 * and a reused number is never reached. {@link #locked} is that rule, and every kernel call
 * on a user's descriptor goes through it. Waiting for readiness happens outside the lock, in
 * {@link #await}, which re-checks close and interrupt between short polls. What a call
 * reports when its channels close under it is here too: {@link #closedMeanwhile} and
 * {@link #partial}.
 */
final class Endpoint {
    /** How long one poll waits before re-checking close and interrupt. */
    static final int POLL_SLICE_MILLIS = 50;

    /** Which JDK class holds a descriptor ({@code Native.HOLDER_*}), or none. */
    private static final int NO_DESCRIPTOR = -1;

    private static final ClassValue<Integer> HOLDER = new ClassValue<Integer>() {
        @Override
        protected Integer computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                switch (c.getName()) {
                    case "java.io.FileDescriptor":
                        return Native.HOLDER_FILE_DESCRIPTOR;
                    case "sun.nio.ch.FileChannelImpl":
                        return Native.HOLDER_FILE_CHANNEL;
                    case "sun.nio.ch.SocketChannelImpl":
                        return Native.HOLDER_SOCKET_CHANNEL;
                    case "sun.nio.ch.SourceChannelImpl":
                        return Native.HOLDER_PIPE_SOURCE;
                    case "sun.nio.ch.SinkChannelImpl":
                        return Native.HOLDER_PIPE_SINK;
                    default:
                        break;
                }
            }
            return NO_DESCRIPTOR;
        }
    };

    final Object handle;
    /** Null for a raw FileDescriptor. */
    final Channel channel;
    final int fd;
    final Object lock;
    /** One of {@code Native.KIND_*}. */
    final int kind;
    /** {@code Native.CAN_READ}, {@code CAN_WRITE}, ... as the descriptor had them when resolved. */
    final int flags;
    /** The JDK's own SocketChannel (not a wrapped descriptor): see {@link #sleepBit}. */
    private final boolean jdkSocket;
    /** The thread's cache entry this endpoint came from, to remember {@link #forced}; or null. */
    private final Resolved resolved;
    /** The JDK keeps this socket's descriptor non-blocking for good (JDK 21+); never unset. */
    private boolean forced;

    private Endpoint(Object handle, Channel channel, int fd, Object lock, int description, boolean jdkSocket,
            Resolved resolved) {
        this.handle = handle;
        this.channel = channel;
        this.fd = fd;
        this.lock = lock;
        this.kind = description & Native.KIND_MASK;
        this.flags = description & ~Native.KIND_MASK;
        this.jdkSocket = jdkSocket;
        this.resolved = resolved;
        this.forced = resolved != null && resolved.forced;
    }

    /** A pipe end the library owns: nobody else closes it, so {@code owner} is its lock. */
    static Endpoint owned(int fd, Object owner) {
        return new Endpoint(null, null, fd, owner, Native.KIND_PIPE | Native.NONBLOCKING, false, null);
    }

    /** What resolving a channel found; cached per thread, keyed weakly by the channel. */
    private static final class Resolved {
        final WeakReference<Object> channel;
        final int fd;
        final Object lock;
        final int description;
        final boolean jdkSocket;
        /** See {@link Endpoint#forced}. */
        boolean forced;

        Resolved(Object channel, int fd, Object lock, int description, boolean jdkSocket) {
            this.channel = new WeakReference<>(channel);
            this.fd = fd;
            this.lock = lock;
            this.description = description;
            this.jdkSocket = jdkSocket;
        }
    }

    /**
     * The channels each thread resolved last, direct-mapped by identity hash. An open
     * channel's descriptor number, close lock, kind and access mode never change, and
     * resolving costs three JNI calls and two system calls, which would dominate small
     * transfers. Only the O_NONBLOCK bit can change (configureBlocking), so {@link #sleepBit}
     * asks the channel instead of trusting the cached bit.
     */
    private static final int CACHE_SLOTS = 8;
    private static final ThreadLocal<Resolved[]> RECENT = ThreadLocal.withInitial(() -> new Resolved[CACHE_SLOTS]);

    /**
     * Resolves a channel or FileDescriptor; null when it has no descriptor (a user's own
     * channel class). Throws ClosedChannelException when it is closed.
     */
    static Endpoint resolve(Object handle) throws IOException {
        // A wrapped descriptor: the FileDescriptor is read and locked, the wrapper says
        // whether it is open (its close() marks it closed under that same lock).
        DescriptorChannel wrapper = null;
        if (handle instanceof DescriptorChannel) {
            wrapper = (DescriptorChannel) handle;
            handle = wrapper.descriptor;
        }
        int holder = HOLDER.get(handle.getClass());
        if (holder == NO_DESCRIPTOR) {
            return null;
        }
        NativeLibrary.ensureAvailable();
        Channel channel = handle instanceof Channel ? (Channel) handle : wrapper;
        Resolved[] recent = RECENT.get();
        int slot = (System.identityHashCode(handle) & 0x7fffffff) % CACHE_SLOTS;
        Resolved cached = recent[slot];
        if (channel != null && cached != null && cached.channel.get() == handle && channel.isOpen()) {
            return new Endpoint(handle, channel, cached.fd, cached.lock, cached.description, cached.jdkSocket, cached);
        }
        boolean jdkSocket = holder == Native.HOLDER_SOCKET_CHANNEL && wrapper == null;
        Object lock = channel != null && wrapper == null ? Native.closeLock0(channel) : handle;
        synchronized (lock) {
            if (channel != null ? !channel.isOpen() : !((FileDescriptor) handle).valid()) {
                throw new ClosedChannelException();
            }
            int fd = Native.fd0(handle, holder);
            if (fd < 0) {
                throw new ClosedChannelException();
            }
            int description = describe(holder, wrapper == null ? handle : null, fd);
            Resolved resolved = null;
            if (channel != null && wrapper == null) { // a raw descriptor's number may be reused: never cached
                resolved = new Resolved(channel, fd, lock, description, jdkSocket);
                recent[slot] = resolved;
            }
            return new Endpoint(handle, channel, fd, lock, description, jdkSocket, resolved);
        }
    }

    /**
     * Kind and access of a descriptor: a JDK socket channel or pipe end is what its class
     * says (their mode is the channel's, asked when it matters), with no system call; a
     * FileChannel takes its access from its own fields, as NIO's checks do; a raw
     * descriptor (or a wrapped one, {@code channel} null) is asked with fstat and fcntl.
     */
    private static int describe(int holder, Object channel, int fd) throws IOException {
        if (channel == null) {
            return Native.describe0(fd);
        }
        if (holder == Native.HOLDER_SOCKET_CHANNEL) {
            return Native.KIND_SOCKET | Native.CAN_READ | Native.CAN_WRITE;
        }
        if (holder == Native.HOLDER_PIPE_SOURCE) {
            return Native.KIND_PIPE | Native.CAN_READ;
        }
        if (holder == Native.HOLDER_PIPE_SINK) {
            return Native.KIND_PIPE | Native.CAN_WRITE;
        }
        if (holder == Native.HOLDER_FILE_CHANNEL) {
            return Native.describeFileChannel0(channel, fd);
        }
        return Native.describe0(fd);
    }

    /** Like {@link #resolve} but a channel without a descriptor is an IllegalArgumentException. */
    static Endpoint require(Object handle, String role) throws IOException {
        Endpoint endpoint = resolve(handle);
        if (endpoint == null) {
            throw new IllegalArgumentException(role + " has no file descriptor: " + handle.getClass().getName());
        }
        return endpoint;
    }

    boolean isOpen() {
        if (channel != null) {
            return channel.isOpen();
        }
        return !(handle instanceof FileDescriptor) || ((FileDescriptor) handle).valid();
    }

    boolean canRead() {
        return (flags & Native.CAN_READ) != 0;
    }

    boolean canWrite() {
        return (flags & Native.CAN_WRITE) != 0;
    }

    boolean isAppending() {
        return (flags & Native.APPENDING) != 0;
    }

    /** The Java channel's mode; a raw FileDescriptor counts as blocking. */
    boolean isBlocking() {
        return isBlocking(channel);
    }

    /** A channel's mode for NIO's rules: only a selectable channel can be non-blocking. */
    static boolean isBlocking(Channel channel) {
        return !(channel instanceof SelectableChannel) || ((SelectableChannel) channel).isBlocking();
    }

    /**
     * True when a call with no non-blocking flag of its own (sendfile, write) could sleep on
     * this descriptor: anything but a regular file or a memory device (/dev/null), unless its
     * descriptor has O_NONBLOCK. A selectable channel in non-blocking mode always has it; in
     * blocking mode it may too (JDK 21+, for virtual threads, and see {@link #sleepBit}), but
     * counting it as one that sleeps only costs a detour.
     */
    boolean writesMaySleep() {
        return kind != Native.KIND_FILE && (flags & Native.WRITES_NEVER_SLEEP) == 0 && !forced && blockingDescriptor();
    }

    /** The descriptor may lack O_NONBLOCK: a blocking-mode channel, or a raw one without it. */
    private boolean blockingDescriptor() {
        if (channel instanceof SelectableChannel) {
            return isBlocking();
        }
        return (flags & Native.NONBLOCKING) == 0;
    }

    /** Set once an older JDK (no {@code forcedNonBlocking}) answered; then nobody asks again. */
    private static volatile boolean noForcing;

    /**
     * Inside {@link #locked}: {@code bit} ({@code Native.IN_MAY_SLEEP} or {@code OUT_MAY_SLEEP})
     * when a splice or sendfile could sleep on this descriptor (a socket or device in
     * blocking mode: SPLICE_F_NONBLOCK covers only pipes), so the call must make it
     * non-blocking for its length; 0 when it cannot sleep: a file, a pipe (the callers pass
     * SPLICE_F_NONBLOCK or use splice for pipes), a memory device written to, a descriptor
     * with O_NONBLOCK.
     *
     * <p>A sleeping call would hold the close lock. Making the descriptor non-blocking and
     * back costs three fcntl calls per kernel call, more than a small sendfile itself. On
     * JDK 21+ a SocketChannel in blocking mode that a virtual thread uses has its descriptor
     * made non-blocking for good by the JDK itself ({@code forcedNonBlocking}; its blocking
     * calls then poll on EAGAIN): such a socket needs nothing, and on a virtual thread the
     * library puts it in that state first, as the JDK's own read or write would. From a
     * platform thread it is never left so: the JDK's blocking write on such a descriptor
     * may return a short count, which code written for platform threads may not expect.
     */
    int sleepBit(int bit, boolean writing) {
        if (kind == Native.KIND_FILE || kind == Native.KIND_PIPE || !blockingDescriptor() || forced
                || (writing && (flags & Native.WRITES_NEVER_SLEEP) != 0)) {
            return 0;
        }
        if (jdkSocket && !noForcing) {
            int state = Native.forcedNonBlocking0(channel, fd, Poller.onVirtualThread());
            if (state < 0) {
                noForcing = true;
            } else if (state > 0) {
                forced = true;
                if (resolved != null) {
                    resolved.forced = true;
                }
                return 0;
            }
        }
        return bit;
    }

    /**
     * The lock that fixes a selectable channel's blocking mode
     * ({@link SelectableChannel#blockingLock}, which configureBlocking holds); null for other
     * channels, whose mode cannot change. {@link #locked} holds it around each kernel
     * call, so a call chosen for a non-blocking descriptor never meets a blocking one and
     * sleeps with the close lock held: NIO's configureBlocking likewise waits for an
     * operation in progress.
     */
    Object modeLock() {
        // A forced socket's descriptor stays non-blocking in either mode.
        return channel instanceof SelectableChannel && !forced ? ((SelectableChannel) channel).blockingLock() : null;
    }


    // ---- the close-lock rule ----------------------------------------------------------

    /** One short kernel call that cannot sleep; it runs under {@link #locked}. */
    interface KernelCall {
        long run() throws IOException;
    }

    private static final Object TIE = new Object();

    /**
     * Runs one non-blocking kernel call inside both close locks, after checking that both
     * channels are still open, with the blocking modes of selectable channels fixed (their
     * {@link #modeLock}s are taken first), so the call may ask {@link #sleepBit} and trust
     * the answer. {@code a} and {@code b} may be the same endpoint.
     */
    static long locked(Endpoint a, Endpoint b, KernelCall call) throws IOException {
        return locked(a.modeLock(), b.modeLock(), a, b, call);
    }

    /**
     * {@link #locked} for splice and tee, which pass SPLICE_F_NONBLOCK: that keeps a pipe
     * awake in either mode, so a pipe's mode lock is not taken (two fewer monitors for a
     * small splice into or out of a pipe).
     */
    static long lockedSplice(Endpoint a, Endpoint b, KernelCall call) throws IOException {
        return locked(a.kind == Native.KIND_PIPE ? null : a.modeLock(),
                b.kind == Native.KIND_PIPE ? null : b.modeLock(), a, b, call);
    }

    private static long locked(Object modeA, Object modeB, Endpoint a, Endpoint b, KernelCall call)
            throws IOException {
        if (modeA == null && modeB == null) {
            return inOrder(a.lock, b.lock, () -> openCall(a, b, call));
        }
        return inOrder(modeA, modeB, () -> inOrder(a.lock, b.lock, () -> openCall(a, b, call)));
    }

    /**
     * Runs {@code call} holding {@code x} and {@code y} (either may be null or both the
     * same), taken in identity-hash order with a global lock breaking ties, so transfers in
     * opposite directions cannot deadlock.
     */
    private static long inOrder(Object x, Object y, KernelCall call) throws IOException {
        if (x == null || y == null || x == y) {
            Object only = x != null ? x : y;
            if (only == null) {
                return call.run();
            }
            synchronized (only) {
                return call.run();
            }
        }
        int hx = System.identityHashCode(x);
        int hy = System.identityHashCode(y);
        if (hx == hy) {
            synchronized (TIE) {
                synchronized (x) {
                    synchronized (y) {
                        return call.run();
                    }
                }
            }
        }
        Object first = hx < hy ? x : y;
        Object second = hx < hy ? y : x;
        synchronized (first) {
            synchronized (second) {
                return call.run();
            }
        }
    }

    private static long openCall(Endpoint a, Endpoint b, KernelCall call) throws IOException {
        a.ensureOpen();
        b.ensureOpen();
        return call.run();
    }

    /**
     * Inside {@code lock}: the channel was not closed by another thread since the call began.
     * {@link #locked} checks this; so does the one caller that holds the lock across several
     * calls itself (mapping a file: size, extend, mmap).
     */
    void ensureOpen() throws AsynchronousCloseException {
        if (!isOpen()) {
            throw new AsynchronousCloseException();
        }
    }

    // ---- what a call reports when its channels close under it ---------------------------

    /**
     * JDK 25's translation of a ClosedChannelException met inside a call that found both
     * channels open when it began (a channel read or write in a fallback lost a race with a
     * close): an interrupted thread gets ClosedByInterruptException and both channels are
     * closed; otherwise the other thread's close shows as AsynchronousCloseException.
     */
    static IOException closedMeanwhile(ClosedChannelException e, Channel a, Channel b) {
        if (e instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
            ClosedByInterruptException interrupted = e instanceof ClosedByInterruptException
                    ? (ClosedByInterruptException) e : new ClosedByInterruptException();
            closeQuietly(a, interrupted);
            closeQuietly(b, interrupted);
            return interrupted;
        }
        if (e instanceof AsynchronousCloseException) {
            return e;
        }
        AsynchronousCloseException closed = new AsynchronousCloseException();
        closed.initCause(e);
        return closed;
    }

    private static void closeQuietly(Channel channel, IOException into) {
        try {
            channel.close();
        } catch (IOException e) {
            into.addSuppressed(e);
        }
    }

    /**
     * NIO's rule after a failure: an interrupt always throws; a close or an I/O error after
     * some bytes moved returns the count moved.
     */
    static long partial(long done, IOException e) throws IOException {
        if (done == 0 || e instanceof ClosedByInterruptException) {
            throw e;
        }
        return done;
    }

    // ---- waiting --------------------------------------------------------------------------

    /**
     * Waits until this descriptor is ready for {@code interest}, checking that both ends of
     * the transfer are open and the thread not interrupted, as NIO's blocking calls do. An
     * interrupt closes both and throws ClosedByInterruptException; a close by another
     * thread throws AsynchronousCloseException. The one wait of the library: every call
     * that must wait for a socket or pipe comes here, outside every lock.
     */
    void await(int interest, Endpoint a, Endpoint b) throws IOException {
        await(interest, a, b, null);
    }

    /** The same, also ending (AsynchronousCloseException) once {@code alsoCancelled} says so. */
    void await(int interest, Endpoint a, Endpoint b, Poller.Cancellation alsoCancelled) throws IOException {
        Poller.Cancellation cancelled = () -> !a.isOpen() || (b != null && !b.isOpen())
                || (alsoCancelled != null && alsoCancelled.cancelled());
        // A platform thread polls in short slices; a virtual thread parks (a native poll
        // would pin its carrier) and is woken by the library's poller.
        boolean virtual = Poller.onVirtualThread();
        for (;;) {
            checkInterrupt(a, b);
            if (cancelled.cancelled()) {
                throw new AsynchronousCloseException();
            }
            // Outside the lock: if the number was closed and reused meanwhile, the wait
            // merely ends early; the call that follows re-checks under the lock.
            boolean ready = virtual ? Poller.park(fd, interest, cancelled)
                    : Native.poll0(fd, interest, POLL_SLICE_MILLIS) != 0;
            if (ready) {
                return;
            }
        }
    }

    /** NIO's rule for interruptible channels: an interrupted thread's channels are closed. */
    static void checkInterrupt(Endpoint a, Endpoint b) throws ClosedByInterruptException {
        checkInterrupt(a == null ? null : a.channel, b == null ? null : b.channel);
    }

    /**
     * The same for channels at hand (a KernelPipe's ends): every entry point that does I/O
     * on a channel applies it, even one that never waits, as FileChannel.map and size do.
     */
    static void checkInterrupt(Channel... channels) throws ClosedByInterruptException {
        if (Thread.currentThread().isInterrupted()) {
            for (Channel channel : channels) {
                if (channel != null) {
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // Closing on interrupt is best effort, as in AbstractInterruptibleChannel.
                    }
                }
            }
            throw new ClosedByInterruptException();
        }
    }
}
