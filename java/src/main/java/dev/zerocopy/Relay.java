package dev.zerocopy;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One direction of a proxy: moves bytes from one channel to another through a kernel pipe
 * (splice in, splice out), so they never enter the JVM. Created by
 * {@link ZeroCopy#relay(ReadableByteChannel, WritableByteChannel)}; a two-way proxy uses two relays.
 *
 * <p><b>Blocking</b> (both channels in blocking mode): {@link #transfer()} waits until the
 * source has bytes, moves what it can and returns once those bytes were written. Loop until
 * {@link #isDone()}.
 *
 * <p><b>Non-blocking</b> (either channel non-blocking, e.g. in a Selector loop):
 * {@link #transfer()} never waits. Bytes read from the source that the target cannot take
 * yet stay in the relay's pipe; {@link #pending()} says how many. While {@code pending() > 0}
 * wait for the target to become writable (OP_WRITE), otherwise for the source to become
 * readable (OP_READ), and call {@code transfer()} again.
 *
 * <p><b>End of stream</b>: when the source ends and everything was delivered, the relay
 * half-closes the target ({@link SocketChannel#shutdownOutput()}; other targets are left
 * open) and {@link #isDone()} becomes true.
 *
 * <p><b>Pipes</b> come from a pool shared by the library, capped like HAProxy's
 * {@code maxpipes}: a relay holds a pipe only while bytes are in flight, so idle relays
 * hold no descriptors. When the cap is reached, or the process is out of descriptors
 * (EMFILE, ENFILE) for a new pipe, a relay copies through a direct buffer instead (same
 * results, one copy more); {@link #copyFallbacks()} counts those occasions.
 * Configure with {@link #configurePipes(int, int)} or the system properties
 * {@code zerocopy.pipe.max} (pipes, default 256) and {@code zerocopy.pipe.size} (bytes per
 * pipe, default 1 MiB; the kernel limit is /proc/sys/fs/pipe-max-size).
 *
 * <p>A relay is used by one thread at a time (concurrent {@code transfer} calls queue).
 * {@link #close()} may be called from any thread; a transfer blocked on the pipe path then
 * ends within about 50 ms with AsynchronousCloseException (in the copy fallback, a read or
 * write already blocked inside the JDK's channel finishes first; close a channel to end it).
 * Closing either channel or interrupting the thread ends a blocked transfer as for
 * {@link ZeroCopy#splice}: AsynchronousCloseException, or ClosedByInterruptException with
 * both channels closed and the interrupt status kept; bytes already written are returned
 * instead when there are some.
 *
 * @since 0.1
 */
public final class Relay implements Closeable {
    private static final int BUFFER_SIZE = 64 * 1024;

    private final ReadableByteChannel from;
    private final WritableByteChannel to;
    /** Null when that channel has no descriptor: the relay then always copies. */
    private final Endpoint in;
    private final Endpoint out;
    /** Held across waits, so a j.u.c lock: a monitor would pin a virtual thread on JDK 21-23. */
    private final ReentrantLock transferLock = new ReentrantLock();
    private final Object stateLock = new Object();

    private volatile boolean closed;
    private volatile boolean done;
    /** Guarded by stateLock: a transfer is running (it releases resources if closed meanwhile). */
    private boolean active;
    private boolean eof;
    private OwnedPipe pipe;
    /** Bytes in {@link #pipe}, counted here (no FIONREAD needed). */
    private volatile long inPipe;
    /** The copy fallback; in read mode, its remaining bytes are pending. */
    private ByteBuffer buffer;
    private volatile int inBuffer;

    Relay(ReadableByteChannel from, WritableByteChannel to) throws IOException {
        this.from = from;
        this.to = to;
        this.in = Endpoint.resolve(from);
        this.out = Endpoint.resolve(to);
    }

    /**
     * {@code transfer(Long.MAX_VALUE)}.
     *
     * @return as {@link #transfer(long)}
     * @throws IOException as {@link #transfer(long)}
     */
    public long transfer() throws IOException {
        return transfer(Long.MAX_VALUE);
    }

    /**
     * Moves up to {@code max} bytes from the source to the target: first bytes still pending
     * from an earlier call, then new ones.
     *
      * @param max the most bytes to write in this call
     * @return the bytes written to the target by this call; -1 once the source has ended and
     *     every byte was delivered (the relay is then {@linkplain #isDone() done}); 0 only
     *     when a non-blocking channel would block (or {@code max} is 0)
     * @throws ClosedChannelException if the relay or a channel is closed
     * @throws AsynchronousCloseException if the relay or a channel is closed while this call waits
     * @throws java.nio.channels.ClosedByInterruptException if the thread is interrupted (both
     *     channels are then closed)
     * @throws IllegalArgumentException if {@code max} is negative
     */
    public long transfer(long max) throws IOException {
        if (max < 0) {
            throw new IllegalArgumentException("max is negative: " + max);
        }
        transferLock.lock();
        try {
            synchronized (stateLock) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                active = true;
            }
            try {
                if (!from.isOpen() || !to.isOpen()) {
                    throw new ClosedChannelException();
                }
                try {
                    return transferLocked(max);
                } catch (ClosedChannelException e) {
                    // Both were open when this call began: a channel call that found one closed
                    // (the copy fallback reads and writes through the channels) lost a race.
                    throw Endpoint.closedMeanwhile(e, from, to);
                }
            } finally {
                synchronized (stateLock) {
                    active = false;
                    if (closed) {
                        freeResources();
                    } else if (pipe != null && inPipe == 0) {
                        pipe.release();
                        pipe = null;
                    }
                }
            }
        } finally {
            transferLock.unlock();
        }
    }

    private long transferLocked(long max) throws IOException {
        if (done) {
            return -1;
        }
        if (max == 0) {
            return 0;
        }
        boolean blocking = Endpoint.isBlocking(from) && Endpoint.isBlocking(to);
        if (blocking && pending() == 0 && in != null && !eof) {
            // Wait holding no pipe, so idle relays don't pin pool pipes.
            await(in, Native.READABLE);
        }
        long written;
        if (pipe == null && inBuffer == 0 && in != null && out != null) {
            pipe = OwnedPipe.tryAcquire();
        }
        if (pipe != null) {
            written = viaPipe(max, blocking);
        } else {
            written = viaBuffer(max, blocking);
        }
        if (eof && pending() == 0) {
            if (to instanceof SocketChannel) {
                ((SocketChannel) to).shutdownOutput();
            }
            done = true;
            return written > 0 ? written : -1;
        }
        return written;
    }

    private long viaPipe(long max, boolean blocking) throws IOException {
        long written = 0;
        try {
            written += drain(blocking);
            while (inPipe == 0 && written < max && !eof) {
                long want = Math.min(max - written, pipe.capacity);
                Endpoint sink = pipe.sink;
                long n = Pump.spliceOnce(in, -1, sink, -1, want, SpliceFlag.NONBLOCK.bit | SpliceFlag.MOVE.bit);
                if (n == 0) {
                    eof = true;
                } else if (n > 0) {
                    inPipe += n;
                    written += drain(blocking);
                } else if (blocking && written == 0) {
                    await(in, Native.READABLE);
                } else {
                    break;
                }
            }
            return written;
        } catch (IOException e) {
            return Endpoint.partial(written, e);
        }
    }

    /** Moves pipe -> target; in non-blocking mode stops when the target is full. */
    private long drain(boolean blocking) throws IOException {
        long written = 0;
        Endpoint source = pipe.source;
        while (inPipe > 0) {
            long left = inPipe;
            long n = Pump.spliceOnce(source, -1, out, -1, left, SpliceFlag.NONBLOCK.bit | SpliceFlag.MOVE.bit);
            if (n > 0) {
                inPipe -= n;
                written += n;
            } else if (n == 0) {
                throw new IOException("splice from the relay's pipe returned 0 with " + left + " bytes in it");
            } else if (blocking) {
                await(out, Native.WRITABLE);
            } else {
                break;
            }
        }
        return written;
    }

    private long viaBuffer(long max, boolean blocking) throws IOException {
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
            buffer.flip();
        }
        long written = 0;
        try {
            written += flush();
            while (!buffer.hasRemaining() && written < max && !eof) {
                if (blocking && written > 0) {
                    break;
                }
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), max - written));
                int n;
                try {
                    n = from.read(buffer);
                } finally {
                    // Back to read mode even when the read failed: the buffer then holds
                    // nothing, never a stale limit that a later flush would send.
                    buffer.flip();
                }
                if (n < 0) {
                    eof = true;
                } else if (n == 0) {
                    break;
                } else {
                    inBuffer = n;
                    written += flush();
                }
            }
            return written;
        } catch (IOException e) {
            return Endpoint.partial(written, e);
        }
    }

    private long flush() throws IOException {
        long written = 0;
        while (buffer.hasRemaining()) {
            int n = to.write(buffer);
            inBuffer = buffer.remaining();
            if (n == 0) {
                break;
            }
            written += n;
        }
        return written;
    }

    /** {@link Endpoint#await}, which also ends when this relay is closed. */
    private void await(Endpoint endpoint, int interest) throws IOException {
        endpoint.await(interest, in, out, () -> closed);
    }

    /**
     * Bytes read from the source and not yet written to the target.
     *
     * @return the bytes held in the relay's pipe or buffer
     */
    public long pending() {
        return inPipe + inBuffer;
    }

    /**
     * True once the source ended, every byte was delivered and the target half-closed.
     *
     * @return whether the relay has finished
     */
    public boolean isDone() {
        return done;
    }

    /**
     * The channel this relay reads from.
     *
     * @return the source given to {@link ZeroCopy#relay}
     */
    public ReadableByteChannel source() {
        return from;
    }

    /**
     * The channel this relay writes to.
     *
     * @return the target given to {@link ZeroCopy#relay}
     */
    public WritableByteChannel target() {
        return to;
    }

    /**
     * Frees the relay's pipe (back to the pool if empty, else closed, dropping pending bytes)
     * and its buffer. The channels stay open: they are the caller's. A transfer blocked in
     * another thread ends with AsynchronousCloseException. Later calls do nothing.
     */
    @Override
    public void close() {
        synchronized (stateLock) {
            if (closed) {
                return;
            }
            closed = true;
            if (!active) {
                freeResources();
            }
        }
    }

    private void freeResources() {
        if (pipe != null) {
            if (inPipe == 0) {
                pipe.release();
            } else {
                pipe.close();
            }
            pipe = null;
        }
        buffer = null;
    }

    // ---- the shared pipe pool ----

    /**
     * Sets the pool's cap (pipes that may exist for relays, idle or in use; 0 makes every relay
     * copy) and the capacity requested for new pipes (0 = the kernel's default, 64 KiB; the
     * kernel caps it at /proc/sys/fs/pipe-max-size). Idle pipes are closed; pipes in use
     * keep their size until released. {@link ZeroCopy#splice} between two non-pipes also
     * borrows from this pool; it is never refused a pipe (it counts in
     * {@link #pipesInUse()}), but with a cap of 0 each such call creates and closes its own.
      *
      * @param maxPipes the most library pipes, idle or in use; 0 makes every relay copy
      * @param pipeSize the bytes each new pipe asks for; 0 keeps the kernel's 64 KiB
     */
    public static void configurePipes(int maxPipes, int pipeSize) {
        OwnedPipe.configure(maxPipes, pipeSize);
    }

    /**
     * The cap set by {@link #configurePipes} or {@code zerocopy.pipe.max}.
     *
     * @return the most library pipes
     */
    public static int maxPipes() {
        return OwnedPipe.maxPipes();
    }

    /**
     * The pipe size set by {@link #configurePipes} or {@code zerocopy.pipe.size}.
     *
     * @return the bytes each new pipe asks for
     */
    public static int pipeSize() {
        return OwnedPipe.pipeSize();
    }

    /**
     * Library pipes in use now (by relays and running splice calls).
     *
     * @return the pipes in use
     */
    public static int pipesInUse() {
        return OwnedPipe.leased();
    }

    /**
     * Idle pipes kept for reuse (two descriptors each).
     *
     * @return the idle pipes in the pool
     */
    public static int idlePipes() {
        return OwnedPipe.idle();
    }

    /**
     * The most pipes in use at once since the previous call (the mark then restarts).
     *
     * @return the peak since the previous call
     */
    public static int takePeakPipesInUse() {
        return OwnedPipe.takePeakLeased();
    }

    /**
     * How many times a relay found the pool at its cap, or no descriptor for a new pipe, and
     * copied through a buffer instead.
      *
      * @return the count since the JVM started
     */
    public static long copyFallbacks() {
        return OwnedPipe.fallbacks();
    }

    /**
     * Closes the idle pipes (their descriptors); returns how many.
     *
     * @return the pipes closed
     */
    public static int closeIdlePipes() {
        return OwnedPipe.closeIdle();
    }
}
