package dev.zerocopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * The FileChannel mirrors behind {@link ZeroCopy#transferTo}, {@link ZeroCopy#transferFrom},
 * {@link ZeroCopy#sendfile} and {@link ZeroCopy#copyFileRange}: JDK 25's checks, clamping,
 * positions and partial results, on every JDK, with the kernel path chosen per call.
 *
 * <p>Paths, fastest first, each falling back to the next when the kernel refuses it for this
 * call (EINVAL, EXDEV, ENOSYS, EOPNOTSUPP; never remembered JVM-wide, unlike JDK 17):
 * transferTo file -> file: copy_file_range, sendfile, splice, copy loop; file -> socket or
 * device: sendfile (the target non-blocking for the call, {@link Endpoint#sleepBit}), splice;
 * file -> pipe: splice. transferFrom file -> file: copy_file_range, splice, copy
 * loop; socket or pipe -> file: splice; anything else: a loop that never reads more than
 * {@code count} from the source. Where the library's pipe cannot be created (EMFILE, ENFILE)
 * the call copies through a buffer, as NIO would have without needing a descriptor.
 */
final class FileTransfers {
    /** The JDK's buffer size for its read/write loops (FileChannelImpl.TRANSFER_SIZE). */
    private static final int TRANSFER_SIZE = 8192;
    /** The JDK's mapped transfer size, used only to copy overlapping ranges as it does. */
    private static final long MAPPED_TRANSFER_SIZE = 8L << 20;
    private static final long MAPPED_TRANSFER_THRESHOLD = 16L << 10;

    private FileTransfers() {}

    // ---- transferTo --------------------------------------------------------------------

    static long transferTo(FileChannel src, long position, long count, WritableByteChannel target)
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
        try {
            return transferTo(src, in, position, count, target, out);
        } catch (ClosedChannelException e) {
            throw Endpoint.closedMeanwhile(e, src, target);
        }
    }

    private static long transferTo(FileChannel src, Endpoint in, long position, long count,
            WritableByteChannel target, Endpoint out) throws IOException {
        long size = src.size();
        if (position > size) {
            return 0;
        }
        if (size == 0) {
            // A file that reports size 0 (/proc, /sys) may still have contents: JDK 25 reads it.
            return readToTarget(src, position, count, target);
        }
        long n = Math.min(count, size - position);
        if (n == 0) {
            return 0;
        }
        if (out == null || (out.kind == Native.KIND_FILE && out.isAppending())) {
            // copy_file_range and sendfile refuse O_APPEND outputs; the JDK writes through
            // the channel, which appends.
            return readToTarget(src, position, n, target);
        }
        boolean blocking = Endpoint.isBlocking(target);
        Progress p = new Progress(n);
        if (out.kind == Native.KIND_FILE && tried(p, () -> copyRange(in, position, out, -1, p, blocking))) {
            return p.done;
        }
        if (out.kind != Native.KIND_PIPE
                && tried(p, () -> p.done += Pump.sendfile(in, position + p.done, out, p.left(), blocking))) {
            return p.done;
        }
        if (tried(p, () -> p.done += Math.max(0, Pump.splice(in, position + p.done, out, -1, p.left(), 0, blocking)))) {
            return p.done;
        }
        return p.done + readToTarget(src, position + p.done, p.left(), target);
    }

    /**
     * NIO's loop for targets the kernel cannot feed: read at most {@code count} bytes at
     * {@code position}, write them; stop at end of file or at a short write.
     */
    private static long readToTarget(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(count, TRANSFER_SIZE));
        long done = 0;
        try {
            while (done < count) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
                int read = src.read(buffer, position + done);
                if (read <= 0) {
                    break;
                }
                buffer.flip();
                int written = target.write(buffer);
                done += written;
                if (written != read) {
                    break;
                }
            }
            return done;
        } catch (ClosedChannelException e) {
            throw Endpoint.closedMeanwhile(e, src, target);
        } catch (IOException e) {
            return Endpoint.partial(done, e);
        }
    }

    // ---- transferFrom ------------------------------------------------------------------

    static long transferFrom(ReadableByteChannel src, FileChannel dst, long position, long count)
            throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        // JDK 25's order: JDK 17 checks the target's writability before the source's
        // readability, and only at map time.
        if (!dst.isOpen() || !src.isOpen()) {
            throw new ClosedChannelException();
        }
        Endpoint out = Endpoint.resolve(dst);
        if (out == null) {
            return dst.transferFrom(src, position, count);
        }
        Endpoint in = Endpoint.resolve(src);
        if (in != null && src instanceof FileChannel && !in.canRead()) {
            throw new NonReadableChannelException();
        }
        if (!out.canWrite()) {
            throw new NonWritableChannelException();
        }
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("position " + position + " and count " + count
                    + " must not be negative");
        }
        try {
            return transferFrom(src, in, dst, out, position, count);
        } catch (ClosedChannelException e) {
            throw Endpoint.closedMeanwhile(e, dst, src);
        }
    }

    private static long transferFrom(ReadableByteChannel src, Endpoint in, FileChannel dst, Endpoint out,
            long position, long count) throws IOException {
        // No "position > size() returns 0" (JDK 17 has it): JDK 21+ writes there and the
        // file grows.
        if (in == null || count == 0 || out.isAppending()) {
            // copy_file_range and splice refuse O_APPEND outputs; pwrite appends, as the JDK's.
            return readToFile(src, dst, position, count);
        }
        boolean blocking = Endpoint.isBlocking(src);
        FileChannel file = src instanceof FileChannel ? (FileChannel) src : null;
        if (in.kind == Native.KIND_FILE && file != null) {
            if (file.size() == 0) {
                // /proc and friends: size 0, contents only by reading (JDK 25).
                return readToFile(src, dst, position, count);
            }
            // What is there now, as one copy_file_range call of the JDK's would see it: a
            // loop must not chase bytes it writes itself (the same file, growing).
            count = Math.min(count, Math.max(0, file.size() - file.position()));
        }
        Progress p = new Progress(count);
        if (in.kind == Native.KIND_FILE) {
            if (tried(p, () -> copyRange(in, -1, out, position, p, true))) {
                return p.done;
            }
            if (file != null && (in.fd == out.fd || p.refusal.reason() == ErrnoException.Reason.INVALID)) {
                // EINVAL between two regular files: overlapping ranges of one file. Copy as
                // the JDK does (map + write), so the bytes come out the same.
                return p.done + mappedToFile(file, dst, position + p.done, p.left());
            }
        }
        boolean spliceable = in.kind == Native.KIND_FILE || in.kind == Native.KIND_PIPE || in.kind == Native.KIND_SOCKET;
        boolean wait = in.kind == Native.KIND_FILE || blocking;
        if (spliceable && tried(p, () -> p.done += Math.max(0,
                Pump.splice(in, -1, out, position + p.done, p.left(), 0, wait)))) {
            return p.done;
        }
        return p.done + readToFile(src, dst, position + p.done, p.left());
    }

    /**
     * NIO's loop for sources the kernel cannot read from: never asks {@code src} for more
     * than {@code count} bytes in total; stops at end of stream, at a read of 0 (a
     * non-blocking source with nothing ready) or at a short write.
     */
    private static long readToFile(ReadableByteChannel src, FileChannel dst, long position, long count)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(count, TRANSFER_SIZE));
        long done = 0;
        try {
            while (done < count) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
                int read = src.read(buffer);
                if (read <= 0) {
                    break;
                }
                buffer.flip();
                int written = dst.write(buffer, position + done);
                done += written;
                if (written != read) {
                    break;
                }
            }
            return done;
        } catch (ClosedChannelException e) {
            throw Endpoint.closedMeanwhile(e, dst, src);
        } catch (IOException e) {
            return Endpoint.partial(done, e);
        }
    }

    /**
     * The JDK's copy for a source FileChannel whose range overlaps the target's in one file:
     * map the source in 8 MiB pieces and write each at the target position; small counts go
     * through its 8 KiB loop. Only this rare case maps.
     */
    private static long mappedToFile(FileChannel src, FileChannel dst, long position, long count)
            throws IOException {
        if (count < MAPPED_TRANSFER_THRESHOLD) {
            return readToFile(src, dst, position, count);
        }
        long start = src.position();
        long max = Math.min(count, src.size() - start);
        long done = 0;
        while (done < max) {
            MappedByteBuffer piece = src.map(FileChannel.MapMode.READ_ONLY, start + done,
                    Math.min(max - done, MAPPED_TRANSFER_SIZE));
            try {
                done += dst.write(piece, position + done);
            } catch (IOException e) {
                if (done == 0) {
                    throw e;
                }
                break;
            }
        }
        src.position(start + done);
        return done;
    }

    // ---- raw calls ---------------------------------------------------------------------

    static long sendfile(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(target, "target");
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("position " + position + " and count " + count
                    + " must not be negative");
        }
        Endpoint in = Endpoint.require(src, "src");
        Endpoint out = Endpoint.require(target, "target");
        if (!in.canRead()) {
            throw new NonReadableChannelException();
        }
        if (!out.canWrite()) {
            throw new NonWritableChannelException();
        }
        if (count == 0) {
            return 0;
        }
        // Before src.size(), which would close only src on an interrupted thread.
        Endpoint.checkInterrupt(in, out);
        if (position >= src.size()) {
            return -1; // at or past end of file (the kernel may say EOVERFLOW)
        }
        boolean blocking = Endpoint.isBlocking(target);
        if (out.kind == Native.KIND_PIPE) {
            // splice moves the same bytes into a pipe with SPLICE_F_NONBLOCK, whatever its mode.
            return Pump.splice(in, position, out, -1, count, 0, blocking);
        }
        long sent = Pump.sendfile(in, position, out, count, blocking);
        // 0 is either a full non-blocking target or a file that shrank below position meanwhile.
        return sent == 0 && position >= src.size() ? -1 : sent;
    }

    static long copyFileRange(FileChannel src, long srcPosition, FileChannel dst, long dstPosition, long count)
            throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (count < 0 || srcPosition < -1 || dstPosition < -1) {
            throw new IllegalArgumentException("count must not be negative and positions must be -1 or"
                    + " non-negative: " + srcPosition + ", " + dstPosition + ", " + count);
        }
        Endpoint in = Endpoint.require(src, "src");
        Endpoint out = Endpoint.require(dst, "dst");
        if (!in.canRead()) {
            throw new NonReadableChannelException();
        }
        if (!out.canWrite()) {
            throw new NonWritableChannelException();
        }
        if (out.isAppending()) {
            throw new IllegalArgumentException("copy_file_range cannot write to a channel opened for APPEND");
        }
        Progress p = new Progress(count);
        if (!tried(p, () -> copyRange(in, srcPosition, out, dstPosition, p, true))) {
            throw p.refusal;
        }
        return p.done;
    }

    // ---- shared ------------------------------------------------------------------------

    /**
     * What the paths of one transfer moved so far, fastest path first: a path the kernel
     * refuses for this call leaves the rest to the next, which continues from {@code done}
     * (the JDK's transferTo chain, with its UNSUPPORTED sentinel as {@link #tried}'s false).
     */
    private static final class Progress {
        final long count;
        long done;
        /** Why the last path tried was refused. */
        ErrnoException refusal;

        Progress(long count) {
            this.count = count;
        }

        long left() {
            return count - done;
        }
    }

    /** One kernel path for the rest of a transfer; it adds what it moves to the progress. */
    private interface KernelPath {
        void move() throws IOException;
    }

    /**
     * Runs one path: true when it answered (the transfer's result is {@code p.done}; NIO's
     * rule for a failure after some bytes moved applied), false when the kernel refused it
     * (EINVAL, EXDEV, ENOSYS, EOPNOTSUPP, or no descriptor left for the library's pipe).
     */
    private static boolean tried(Progress p, KernelPath path) throws IOException {
        try {
            path.move();
            return true;
        } catch (ErrnoException e) {
            if (e.refused() || OwnedPipe.outOfDescriptors(e)) {
                p.refusal = e;
                return false;
            }
            p.done = Endpoint.partial(p.done, e);
            return true;
        } catch (IOException e) {
            p.done = Endpoint.partial(p.done, e);
            return true;
        }
    }

    /**
     * copy_file_range until the progress is complete or end of file; positions of -1 use
     * and advance the descriptor's own. Files never block, so one locked call after another.
     */
    private static void copyRange(Endpoint in, long inPos, Endpoint out, long outPos, Progress p,
            boolean blocking) throws IOException {
        Endpoint.checkInterrupt(in, out);
        while (p.done < p.count) {
            long done = p.done;
            long from = inPos < 0 ? -1 : inPos + done;
            long to = outPos < 0 ? -1 : outPos + done;
            long n = Endpoint.locked(in, out, () -> Native.copyFileRange0(in.fd, from, out.fd, to, p.count - done));
            if (n > 0) {
                p.done += n;
            } else if (n == 0 || !blocking) {
                break;
            }
            Endpoint.checkInterrupt(in, out);
        }
    }
}
