package dev.zerocopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SelectableChannel;
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
 */
public final class ZeroCopy {
    private ZeroCopy() {}

    /** True when the native library loaded (Linux, supported architecture). */
    public static boolean isAvailable() {
        return NativeLibrary.isAvailable();
    }

    /** Why the library is unavailable, saying what was tried; null when it is available. */
    public static Throwable unavailabilityCause() {
        return NativeLibrary.failure();
    }

    /**
     * A raw descriptor as a {@link Channel} for the methods here that take channels. The
     * channel does not own the descriptor: closing it does nothing; it counts as closed
     * once the descriptor is invalid. Closing a stream that owns the descriptor while a
     * call uses it is safe: the call sees a closed channel.
     */
    public static Channel wrap(java.io.FileDescriptor descriptor) {
        return new DescriptorChannel(Objects.requireNonNull(descriptor, "descriptor"));
    }

    /**
     * Like {@link FileChannel#transferTo(long, long, WritableByteChannel)}: transfers up to
     * {@code count} bytes of {@code src} starting at {@code position} to {@code target},
     * without changing {@code src}'s position; a FileChannel target's position advances.
     * Socket and pipe targets are fed by sendfile or splice; a target without a descriptor
     * is written through a buffer, as NIO does.
     *
     * @return the number of bytes written, possibly zero
     * @throws ClosedChannelException if either channel is closed
     * @throws NonReadableChannelException if {@code src} was not opened for reading
     * @throws NonWritableChannelException if {@code target} is a FileChannel not open for writing
     * @throws IllegalArgumentException if {@code position} or {@code count} is negative
     */
    public static long transferTo(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(target, "target");
        if (!src.isOpen() || !target.isOpen()) {
            throw new ClosedChannelException();
        }
        Endpoint in = Endpoint.resolve(src);
        if (in == null) {
            return src.transferTo(position, count, target);
        }
        if (!in.canRead()) {
            throw new NonReadableChannelException();
        }
        Endpoint out = Endpoint.resolve(target);
        if (out != null && target instanceof FileChannel && !out.canWrite()) {
            throw new NonWritableChannelException();
        }
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("position " + position + " and count " + count
                    + " must not be negative");
        }
        long size = src.size();
        if (position >= size) {
            return 0;
        }
        long n = Math.min(count, size - position);
        if (out == null) {
            return copy(src, position, n, target);
        }
        boolean blocking = isBlocking(target);
        if (out.kind == Native.KIND_PIPE || out.canSleep()) {
            long moved = Pump.splice(in, position, out, -1, n, 0, blocking);
            return Math.max(moved, 0);
        }
        return Pump.sendfile(in, position, out, n, blocking);
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
     * @return the bytes moved; -1 if {@code in} was at end of stream before anything moved;
     *     0 only when a non-blocking side would block (or {@code count} is 0)
     * @throws IllegalArgumentException if {@code count} is negative or a channel has no
     *     file descriptor (the message names its class)
     * @throws ClosedChannelException if a channel is closed
     * @throws java.nio.channels.AsynchronousCloseException if another thread closes a
     *     channel before anything moved
     * @throws java.nio.channels.ClosedByInterruptException if the thread is interrupted;
     *     both channels are then closed
     */
    public static long splice(Channel in, Channel out, long count, SpliceFlag... flags) throws IOException {
        return splice(in, -1, out, -1, count, flags);
    }

    /**
     * {@link #splice(Channel, Channel, long, SpliceFlag...)} with explicit file offsets:
     * {@code inPosition} / {@code outPosition} read or write a file side at that offset
     * without changing its position; -1 uses and advances the channel's own position (the
     * only value allowed for sockets and pipes).
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
        boolean blocking = (bits & SpliceFlag.NONBLOCK.bit) == 0 && isBlocking(in) && isBlocking(out);
        return Pump.splice(src, inPosition, dst, outPosition, count, bits & ~SpliceFlag.NONBLOCK.bit, blocking);
    }

    private static boolean isBlocking(Channel channel) {
        return !(channel instanceof SelectableChannel) || ((SelectableChannel) channel).isBlocking();
    }

    /** NIO's answer for a target without a descriptor: read into a buffer, write it out. */
    private static long copy(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(count, 8192));
        long done = 0;
        while (done < count) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
            int read = src.read(buffer, position + done);
            if (read <= 0) {
                break;
            }
            buffer.flip();
            int written = target.write(buffer);
            done += written;
            if (written < read) {
                break;
            }
        }
        return done;
    }
}
