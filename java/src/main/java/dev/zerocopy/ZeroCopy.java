package dev.zerocopy;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * Linux zero-copy I/O for channels: sendfile, splice, tee, vmsplice, copy_file_range and
 * mmap, with java.nio's semantics where java.nio has the operation.
 *
 * <p>Channels are accepted wherever a descriptor is needed: {@link FileChannel} (however
 * it was opened), {@link java.nio.channels.SocketChannel}, {@link java.nio.channels.Pipe}
 * ends and raw {@link java.io.FileDescriptor}s. A channel closed by another thread during
 * a call ends the call promptly; the descriptor number is never used after the close.
 *
 * @since 0.1
 */
public final class ZeroCopy {
    private ZeroCopy() {}

    /**
     * True when the native library loaded (Linux x86_64 or aarch64, glibc 2.17+). Without it,
     * {@link #transferTo}, {@link #transferFrom} and {@link #map} are done by java.nio (a
     * region's {@code address}, {@code advise}, {@code lock} and {@link MapOption#LOCKED}
     * excepted), and every other call throws {@link UnsupportedOperationException}.
     *
     * @return whether the native library loaded here
     */
    public static boolean isAvailable() {
        return NativeLibrary.isAvailable();
    }

    /**
     * Why the library is unavailable, saying what was tried; null when it is available.
     *
     * @return the failure, or null
     */
    public static Throwable unavailabilityCause() {
        return NativeLibrary.failure();
    }

    /**
     * A raw descriptor as a channel, usable as source or target wherever the methods here
     * take a channel (splice, tee, vmsplice, sendfile, transferTo, transferFrom, relay), and
     * read and written directly as a {@link ByteChannel}.
     *
     * <p>The caller still owns the descriptor: {@link Channel#close()} on the returned channel
     * only marks the channel closed (later calls through it throw {@link
     * ClosedChannelException}, and it waits for a kernel call in progress on it); it never
     * closes the descriptor, which stays the caller's to close. The channel also counts as
     * closed once the descriptor is invalid, e.g. after the stream that owns it was closed;
     * a call using it at that moment sees a closed channel.
     *
     * @param descriptor an open descriptor: file, socket or pipe
     * @return a channel over {@code descriptor} that never closes it
     */
    public static ByteChannel wrap(java.io.FileDescriptor descriptor) {
        return new DescriptorChannel(Objects.requireNonNull(descriptor, "descriptor"));
    }

    /**
     * Like {@link FileChannel#transferTo(long, long, WritableByteChannel)}: transfers up to
     * {@code count} bytes of {@code src} starting at {@code position} to {@code target},
     * without changing {@code src}'s position; a FileChannel target's position advances.
     * Socket and pipe targets are fed by sendfile or splice; a target without a descriptor
     * is written through a buffer, as NIO does.
     *
      * @param src the file to read, open for reading
      * @param position where in {@code src} to start
      * @param count the most bytes to transfer; clamped to the end of {@code src}
      * @param target where the bytes go
     * @return the number of bytes written, possibly zero
     * @throws ClosedChannelException if either channel is closed
     * @throws NonReadableChannelException if {@code src} was not opened for reading
     * @throws NonWritableChannelException if {@code target} is a FileChannel not open for writing
     * @throws IllegalArgumentException if {@code position} or {@code count} is negative
      * @throws IOException if an I/O error occurs before anything moved
     */
    public static long transferTo(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        if (!NativeLibrary.isAvailable()) {
            return NioFallback.transferTo(src, position, count, target);
        }
        return FileTransfers.transferTo(src, position, count, target);
    }

    /**
     * Like {@link FileChannel#transferFrom(ReadableByteChannel, long, long)} as JDK 25 has it:
     * transfers up to {@code count} bytes from {@code src} into {@code dst} at {@code
     * position}, without changing {@code dst}'s position; {@code src}'s position (where it
     * has one) advances by the bytes transferred. A position past the end of {@code dst}
     * grows the file. Files are copied with copy_file_range, sockets and pipes spliced
     * through a kernel pipe; any other channel is read through a buffer, never asked for more
     * than {@code count} bytes.
     *
     * <p>With {@code src} in blocking mode the call returns when {@code count} bytes moved
     * or {@code src} reached end of stream; in non-blocking mode it moves what is ready.
     *
     * <p>If writing {@code dst} fails (ENOSPC, EIO, ...), bytes already taken from a socket or
     * pipe but not written are lost, as the contents of NIO's buffer are: here up to one
     * library pipe (1 MiB by default, {@code zerocopy.pipe.size}) instead of NIO's 8 KiB.
     * The count returned, or the exception when nothing was written, is exact.
     *
      * @param src where the bytes come from
      * @param dst the file to write, open for writing
      * @param position where in {@code dst} to write
      * @param count the most bytes to transfer
     * @return the number of bytes transferred, possibly zero
     * @throws ClosedChannelException if either channel is closed
     * @throws NonReadableChannelException if {@code src} is a FileChannel not open for reading
     * @throws NonWritableChannelException if {@code dst} was not opened for writing
     * @throws IllegalArgumentException if {@code position} or {@code count} is negative
     * @throws java.nio.channels.AsynchronousCloseException if another thread closes a
     *     channel before anything moved
     * @throws java.nio.channels.ClosedByInterruptException if the thread is interrupted;
     *     both channels are then closed
      * @throws IOException if an I/O error occurs before anything moved
     */
    public static long transferFrom(ReadableByteChannel src, FileChannel dst, long position, long count)
            throws IOException {
        if (!NativeLibrary.isAvailable()) {
            return NioFallback.transferFrom(src, dst, position, count);
        }
        return FileTransfers.transferFrom(src, dst, position, count);
    }

    /**
     * sendfile(2): up to {@code count} bytes of {@code src} from {@code position} to {@code
     * target}, which needs a descriptor (socket, pipe, file). Source first, as in every call
     * here and in {@link FileChannel#transferTo}. {@code src}'s position does not change.
     * Unlike {@link #transferTo} nothing falls back: a refusal by the kernel is an {@link
     * ErrnoException}. One exception: a pipe target is fed by splice, which moves the same
     * bytes without depending on the pipe's mode. A target in blocking mode is made
     * non-blocking for each kernel call and waited for between calls, so close and interrupt
     * end a wait (see the package documentation, "No kernel call sleeps").
     *
     * @param src the file to read, open for reading
     * @param position where in {@code src} to start
     * @param count the most bytes to send
     * @param target where the bytes go
     * @return bytes sent; -1 if {@code position} is at or past the end of {@code src}; 0 only
     *     when a non-blocking target is full (or {@code count} is 0)
     * @throws IOException if the kernel refuses or an I/O error occurs before anything moved
     * @throws ClosedChannelException if either channel is closed
     * @throws NonReadableChannelException if {@code src} was not opened for reading
     * @throws NonWritableChannelException if {@code target} cannot be written
     * @throws IllegalArgumentException if {@code position} or {@code count} is negative, or
     *     {@code target} has no file descriptor
     */
    public static long sendfile(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        return FileTransfers.sendfile(src, position, count, target);
    }

    /**
     * copy_file_range(2) between two files: up to {@code count} bytes from {@code src} at
     * {@code srcPosition} to {@code dst} at {@code dstPosition}; a position of -1 uses and
     * advances that channel's own position. File systems that can share extents (btrfs, XFS,
     * NFS 4.2) copy without moving data. Loops until {@code count} bytes are copied or the end
     * of {@code src}. Nothing falls back: a refusal (EXDEV, EINVAL for overlapping ranges in
     * one file, ...) is an {@link ErrnoException}.
     *
      * @param src the file to read
      * @param srcPosition where in {@code src} to start, or -1 for its position
      * @param dst the file to write
      * @param dstPosition where in {@code dst} to write, or -1 for its position
      * @param count the most bytes to copy
     * @return bytes copied; 0 when {@code srcPosition} is at or past the end of {@code src}
     * @throws IllegalArgumentException if {@code count} is negative, a position is below -1,
     *     or {@code dst} was opened for APPEND (the kernel refuses it)
      * @throws IOException if the kernel refuses or an I/O error occurs
     */
    public static long copyFileRange(FileChannel src, long srcPosition, FileChannel dst, long dstPosition,
            long count) throws IOException {
        return FileTransfers.copyFileRange(src, srcPosition, dst, dstPosition, count);
    }

    /**
     * Moves up to {@code count} bytes from {@code in} to {@code out} with splice(2), using
     * and advancing each channel's own position where it has one. Any two descriptors work:
     * when neither is a pipe the bytes go through a pipe the library owns, and a call never
     * returns with bytes left in it.
     *
     * <p>With both channels in blocking mode (and no {@link SpliceFlag#NONBLOCK}) the call
     * returns when {@code count} bytes moved or {@code in} reached end of stream. Otherwise it
     * moves what it can without waiting for input.
     *
      * @param in where the bytes come from
      * @param out where the bytes go
      * @param count the most bytes to move
      * @param flags MOVE, NONBLOCK, MORE
     * @return the bytes moved; -1 if {@code in} was at end of stream before anything moved;
     *     0 only when a non-blocking side would block (or {@code count} is 0)
     * @throws IllegalArgumentException if {@code count} is negative or a channel has no
     *     file descriptor (the message names its class)
     * @throws ClosedChannelException if a channel is closed
     * @throws java.nio.channels.AsynchronousCloseException if another thread closes a
     *     channel before anything moved
     * @throws java.nio.channels.ClosedByInterruptException if the thread is interrupted;
     *     both channels are then closed
      * @throws IOException if the kernel refuses or an I/O error occurs before anything moved
     */
    public static long splice(Channel in, Channel out, long count, SpliceFlag... flags) throws IOException {
        return splice(in, -1, out, -1, count, flags);
    }

    /**
     * {@link #splice(Channel, Channel, long, SpliceFlag...)} with explicit file offsets:
     * {@code inPosition} / {@code outPosition} read or write a file side at that offset
     * without changing its position; -1 uses and advances the channel's own position (the
     * only value allowed for sockets and pipes).
      *
      * @param in where the bytes come from
      * @param inPosition the offset in a file {@code in}, or -1
      * @param out where the bytes go
      * @param outPosition the offset in a file {@code out}, or -1
      * @param count the most bytes to move
      * @param flags MOVE, NONBLOCK, MORE
      * @return as {@link #splice(Channel, Channel, long, SpliceFlag...)}
      * @throws IOException as {@link #splice(Channel, Channel, long, SpliceFlag...)}
      * @throws IllegalArgumentException if a position is below -1 or given for a channel that is not a file
     */
    public static long splice(Channel in, long inPosition, Channel out, long outPosition, long count,
            SpliceFlag... flags) throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        int bits = SpliceFlag.bits(Objects.requireNonNull(flags, "flags"));
        if (count < 0) {
            throw new IllegalArgumentException("count is negative: " + count);
        }
        if (inPosition < -1 || outPosition < -1) {
            throw new IllegalArgumentException("positions must be -1 or non-negative: "
                    + inPosition + ", " + outPosition);
        }
        Endpoint src = Endpoint.require(in, "in");
        Endpoint dst = Endpoint.require(out, "out");
        if (inPosition >= 0 && src.kind != Native.KIND_FILE) {
            throw new IllegalArgumentException("inPosition applies to files only; in is "
                    + in.getClass().getName());
        }
        if (outPosition >= 0 && dst.kind != Native.KIND_FILE) {
            throw new IllegalArgumentException("outPosition applies to files only; out is "
                    + out.getClass().getName());
        }
        if (count == 0) {
            return 0;
        }
        boolean blocking = (bits & SpliceFlag.NONBLOCK.bit) == 0 && src.isBlocking() && dst.isBlocking();
        return Pump.splice(src, inPosition, dst, outPosition, count, bits & ~SpliceFlag.NONBLOCK.bit, blocking);
    }

    // ---- tee, vmsplice, kernel pipes, relays ----

    /**
     * Duplicates up to {@code count} bytes queued in pipe {@code in} into pipe {@code out}
     * with tee(2), without consuming them: a later read or splice of {@code in} still sees
     * them. Works with the JDK's {@link java.nio.channels.Pipe} ends and {@link KernelPipe}s.
     *
     * <p>In blocking mode (both channels blocking, no {@link SpliceFlag#NONBLOCK}) the call
     * waits until {@code in} has bytes and {@code out} has room; otherwise it does not wait.
     * One call duplicates at most what is queued in {@code in} (tee never waits for more).
     *
      * @param in the pipe whose bytes are duplicated
      * @param out the pipe that receives the copy
      * @param count the most bytes to duplicate
      * @param flags NONBLOCK, MORE
     * @return the bytes duplicated; -1 if {@code in} is empty and its write end closed (end of
     *     stream); 0 only when a non-blocking side would block (or {@code count} is 0)
     * @throws IllegalArgumentException if {@code count} is negative, or a channel is not a
     *     kernel pipe (the message names its class)
     * @throws ClosedChannelException if a channel is closed
     * @throws java.nio.channels.AsynchronousCloseException if a channel is closed while waiting
     * @throws java.nio.channels.ClosedByInterruptException if the thread is interrupted while
     *     waiting; both channels are then closed
     * @throws ErrnoException if the kernel refuses, e.g. EINVAL when both are the same pipe
     */
    public static long tee(java.nio.channels.Pipe.SourceChannel in, java.nio.channels.Pipe.SinkChannel out,
            long count, SpliceFlag... flags) throws IOException {
        return PipeOps.tee(in, out, count, flags);
    }

    /**
     * Hands the bytes between position and limit of each direct buffer, in order, to pipe
     * {@code out} with vmsplice(2), and advances each buffer's position by what the pipe took.
     * In blocking mode every byte is taken (waiting for room); in non-blocking mode what fits.
     *
     * <p><b>When you may modify or reuse a buffer: as soon as this call returns</b>, as after
     * a {@code write}. vmsplice(2) puts references to memory pages into the pipe, not copies,
     * and those references travel on to every pipe the bytes are teed to and every socket they
     * are spliced to, for as long as the kernel keeps them; nothing tells the caller when the
     * last one is gone. So the library never vmsplices the caller's memory: it copies the
     * bytes between position and limit into anonymous pages it maps for this call, vmsplices
     * those and unmaps them before returning. Pages that only the kernel still references can
     * be neither written nor handed to another owner, so whatever happens to the buffer later
     * (modified, dropped, freed by the garbage collector and its memory reused by other code)
     * no reader of the pipe, of a tee of it or of a socket it is spliced to ever sees a byte
     * that was not between the buffer's position and limit during this call. The price is one
     * copy, as {@code write} pays; a call takes at most the pipe's capacity.
     *
     * <p>Each buffer's position and limit are read once; another thread moving them during
     * the call can change which of its bytes are sent, never make the call read outside it.
     *
      * @param out the pipe to write
      * @param srcs direct buffers, sent from position to limit in order
     * @return the bytes taken from the buffers (0 only in non-blocking mode when the pipe is full,
     *     or when the buffers have nothing remaining)
     * @throws IllegalArgumentException if a buffer is a heap buffer, or {@code out} is not a
     *     kernel pipe; nothing is written then
     * @throws NullPointerException if {@code out}, {@code srcs} or an element is null
     * @throws ClosedChannelException if {@code out} is closed
     */
    public static long vmsplice(java.nio.channels.Pipe.SinkChannel out, java.nio.ByteBuffer... srcs)
            throws IOException {
        return PipeOps.vmsplice(out, srcs);
    }

    /**
     * A new kernel pipe ({@link java.nio.channels.Pipe#open()}) with at least {@code capacity}
     * bytes of room (F_SETPIPE_SZ; the kernel rounds up to a power-of-two number of pages).
     *
      * @param capacity the bytes of room wanted
     * @throws IllegalArgumentException if {@code capacity} is not positive or the kernel refuses
     *     it (above /proc/sys/fs/pipe-max-size without CAP_SYS_RESOURCE; the message says so)
      * @return a new pipe, both ends in blocking mode
      * @throws IOException if pipe creation fails (EMFILE, ENFILE)
     */
    public static KernelPipe pipe(int capacity) throws IOException {
        return KernelPipe.open(capacity);
    }

    /**
     * Adopts an existing pipe, keeping its capacity; closing the KernelPipe closes it.
     *
     * @param pipe a pipe from {@link java.nio.channels.Pipe#open()}
     * @return the same pipe with KernelPipe's methods
     * @throws IOException if its descriptors cannot be read
     */
    public static KernelPipe pipe(java.nio.channels.Pipe pipe) throws IOException {
        return KernelPipe.adopt(pipe);
    }

    /**
     * A relay that moves bytes from {@code from} to {@code to} through a pooled kernel pipe:
     * one direction of a proxy. Any channel with a descriptor works on either side (sockets,
     * pipe ends, {@link #wrap wrapped} descriptors); others are copied through a buffer. See
     * {@link Relay} for blocking and Selector use.
     *
     * @param from the channel to read
     * @param to the channel to write
     * @return a new relay that holds no pipe until bytes are in flight
     * @throws IOException if a channel's descriptor cannot be read
     * @throws ClosedChannelException if a channel is closed
     */
    public static Relay relay(ReadableByteChannel from, WritableByteChannel to) throws IOException {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (!from.isOpen() || !to.isOpen()) {
            throw new ClosedChannelException();
        }
        return new Relay(from, to);
    }

    // ---- map ----

    /**
     * Like {@link FileChannel#map(FileChannel.MapMode, long, long)}, but the mapping is
     * released by {@link MappedRegion#close()} instead of by the garbage collector, using a
     * buffer after close cannot crash the JVM, and {@code size} may exceed 2 GiB.
     *
     * <p>NIO's checks in NIO's order: null mode, closed channel, negative position or size,
     * overflowing {@code position + size}, then access. A {@link FileChannel.MapMode#READ_WRITE}
     * or {@link FileChannel.MapMode#PRIVATE} map needs a writable channel, and every mode
     * needs a readable one: as in NIO, a write-only channel gets
     * {@link NonReadableChannelException} even for READ_WRITE (mmap needs read access).
     * A range past the end of file grows a writable file to {@code position + size} (READ_ONLY
     * too, as in NIO); on a read-only channel that is an IOException. Size 0 maps nothing and
     * returns an empty region. An unaligned position is rounded down to the page internally.
     *
      * @param channel the file to map
      * @param mode READ_ONLY, READ_WRITE or PRIVATE
      * @param position where in the file the region starts
      * @param size the region's size in bytes; may exceed 2 GiB
      * @param options POPULATE, HUGE_PAGES, LOCKED
     * @throws NullPointerException if {@code mode} is null
     * @throws ClosedChannelException if {@code channel} is closed
     * @throws IllegalArgumentException if {@code position} or {@code size} is negative or
     *     their sum overflows, or the channel has no file descriptor
     * @throws NonWritableChannelException if the mode needs writing and the channel cannot
     * @throws NonReadableChannelException if the channel was not opened for reading
     * @throws UnsupportedOperationException for a mode other than READ_ONLY, READ_WRITE, PRIVATE
     * @throws ErrnoException if mmap, or mlock for {@link MapOption#LOCKED}, fails
      * @return the region, open until {@link MappedRegion#close()}
     */
    public static MappedRegion map(FileChannel channel, FileChannel.MapMode mode, long position, long size,
            MapOption... options) throws IOException {
        if (!NativeLibrary.isAvailable()) {
            return NioFallback.map(channel, mode, position, size, options);
        }
        return MappedRegion.map(channel, mode, position, size, options);
    }
}
