package dev.zerocopy;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A kernel pipe with a capacity you choose. It is the JDK's own {@link Pipe} (on Linux a
 * real pipe(2)), so {@link #source()} and {@link #sink()} are ordinary
 * {@link Pipe.SourceChannel}/{@link Pipe.SinkChannel}s: they register with any
 * {@link java.nio.channels.Selector}, and splice, tee and vmsplice accept them.
 *
 * <p>Created by {@link ZeroCopy#pipe(int)}, or by {@link ZeroCopy#pipe(Pipe)} around an
 * existing pipe.
 *
 * @since 0.1
 */
public final class KernelPipe implements Closeable {
    private static final Path PIPE_MAX_SIZE = Path.of("/proc/sys/fs/pipe-max-size");

    private final Pipe pipe;
    private final AtomicBoolean closed = new AtomicBoolean();

    private KernelPipe(Pipe pipe) {
        this.pipe = pipe;
    }

    static KernelPipe open(int capacity) throws IOException {
        checkCapacity(capacity);
        KernelPipe created = new KernelPipe(Pipe.open());
        try {
            created.setCapacity(capacity);
            return created;
        } catch (IOException | RuntimeException e) {
            created.close();
            throw e;
        }
    }

    static KernelPipe adopt(Pipe pipe) throws IOException {
        java.util.Objects.requireNonNull(pipe, "pipe");
        for (Object end : new Object[] {pipe.source(), pipe.sink()}) {
            Endpoint endpoint = Endpoint.require(end, "pipe end");
            if (endpoint.kind != Native.KIND_PIPE) {
                throw new IllegalArgumentException("not a kernel pipe: " + end.getClass().getName());
            }
        }
        return new KernelPipe(pipe);
    }

    /**
     * The read end: the JDK's own channel.
     *
     * @return the read end, usable with Selectors
     */
    public Pipe.SourceChannel source() {
        return pipe.source();
    }

    /**
     * The write end: the JDK's own channel.
     *
     * @return the write end, usable with Selectors
     */
    public Pipe.SinkChannel sink() {
        return pipe.sink();
    }

    /**
     * The pipe's capacity in bytes (F_GETPIPE_SZ).
     *
     * @return the capacity in bytes
     * @throws IOException if the pipe is closed or fcntl fails
     */
    public int capacity() throws IOException {
        checkInterrupt();
        Endpoint end = anyOpenEnd();
        return (int) Endpoint.locked(end, end, () -> Native.pipeCapacity0(end.fd));
    }

    /**
     * Sets the capacity (F_SETPIPE_SZ, HAProxy's {@code tune.pipesize}). The kernel rounds it
     * up to a power-of-two number of pages; the capacity chosen is returned.
     *
      * @param capacity the bytes of room wanted
     * @throws IllegalArgumentException if {@code capacity} is not positive, or the kernel
     *     refuses it: above {@code /proc/sys/fs/pipe-max-size} without CAP_SYS_RESOURCE, or
     *     over the user's pipe memory limits (the message says which limit)
     * @throws IOException if the pipe holds more bytes than the new capacity (EBUSY)
     * @throws ClosedChannelException if both ends are closed
      * @return the capacity the kernel chose, at least {@code capacity}
     */
    public int setCapacity(int capacity) throws IOException {
        checkCapacity(capacity);
        checkInterrupt();
        Endpoint end = anyOpenEnd();
        try {
            return (int) Endpoint.locked(end, end, () -> Native.setPipeCapacity0(end.fd, capacity));
        } catch (ErrnoException e) {
            switch (e.reason()) {
                case NOT_PERMITTED:
                    long max = pipeMaxSize();
                    if (capacity > max) {
                        throw new IllegalArgumentException("pipe capacity " + capacity
                                + " is above /proc/sys/fs/pipe-max-size (" + max
                                + "); raising a pipe beyond it needs CAP_SYS_RESOURCE", e);
                    }
                    throw new IllegalArgumentException("pipe capacity " + capacity + " refused: this user's pipes"
                            + " already use /proc/sys/fs/pipe-user-pages-soft or -hard pages", e);
                case INVALID:
                case NO_MEMORY:
                    throw new IllegalArgumentException("pipe capacity " + capacity + " is too large for the kernel ("
                            + e.getMessage() + ")", e);
                case BUSY:
                    throw new IOException("pipe holds more than " + capacity + " bytes; read it first (" + e.getMessage()
                            + ")", e);
                default:
                    throw e;
            }
        }
    }

    /**
     * Bytes queued in the pipe now (FIONREAD on the read end).
     *
     * @return the bytes that a read could take now
     * @throws IOException if the pipe is closed or ioctl fails
     */
    public int available() throws IOException {
        checkInterrupt();
        Endpoint end = Endpoint.require(pipe.source(), "source");
        return (int) Endpoint.locked(end, end, () -> Native.available0(end.fd));
    }

    /**
     * True while both ends are open.
     *
     * @return whether both ends are open
     */
    public boolean isOpen() {
        return pipe.source().isOpen() && pipe.sink().isOpen();
    }

    /** Closes both ends; later calls do nothing. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            pipe.sink().close();
        } finally {
            pipe.source().close();
        }
    }

    @Override
    public String toString() {
        return "KernelPipe[" + (isOpen() ? "open" : "closed") + "]";
    }

    /** NIO's rule for channel I/O on an interrupted thread: both ends closed. */
    private void checkInterrupt() throws ClosedByInterruptException {
        Endpoint.checkInterrupt(pipe.source(), pipe.sink());
    }

    private Endpoint anyOpenEnd() throws IOException {
        if (pipe.sink().isOpen()) {
            try {
                return Endpoint.require(pipe.sink(), "sink");
            } catch (ClosedChannelException raced) {
                // Closed meanwhile: try the other end.
            }
        }
        return Endpoint.require(pipe.source(), "source");
    }

    private static void checkCapacity(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("pipe capacity must be positive: " + capacity);
        }
    }

    /** /proc/sys/fs/pipe-max-size, or Long.MAX_VALUE if it cannot be read. */
    static long pipeMaxSize() {
        // One read call: sysctl files answer a read that does not start at offset 0 with end
        // of file, so reading byte by byte (as Files.readString does here) yields "1".
        try (java.io.InputStream in = Files.newInputStream(PIPE_MAX_SIZE)) {
            return Long.parseLong(new String(in.readNBytes(64), java.nio.charset.StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return Long.MAX_VALUE;
        }
    }
}
