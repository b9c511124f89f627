package dev.zerocopy;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The calls that mirror java.nio, done by java.nio, when the native library cannot load
 * (another OS or architecture, {@code -Dzerocopy.library.disable=true}): the same code then
 * runs everywhere, with the running JDK's NIO semantics. Calls java.nio has no equivalent
 * for throw {@link UnsupportedOperationException} naming why the library is unavailable.
 */
final class NioFallback {
    private NioFallback() {}

    static long transferTo(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(target, "target");
        return src.transferTo(position, count, target);
    }

    static long transferFrom(ReadableByteChannel src, FileChannel dst, long position, long count)
            throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        return dst.transferFrom(src, position, count);
    }

    /** {@link FileChannel#map}, with NIO's own checks; LOCKED needs mlock, which NIO lacks. */
    static MappedRegion map(FileChannel channel, MapMode mode, long position, long size, MapOption... options)
            throws IOException {
        Objects.requireNonNull(channel, "channel");
        boolean populate = false;
        for (MapOption option : Objects.requireNonNull(options, "options")) {
            switch (Objects.requireNonNull(option, "option")) {
                case POPULATE:
                    populate = true;
                    break;
                case HUGE_PAGES:
                    break;  // a hint, as where the kernel has no transparent huge pages
                case LOCKED:
                    NativeLibrary.ensureAvailable();
                    break;
                default:
                    throw new AssertionError(option);
            }
        }
        Region region;
        if (size <= Integer.MAX_VALUE) {
            region = new Region(channel, mode, position, size, channel.map(mode, position, size));
        } else {
            // NIO maps at most 2 GiB at once: check as map does, grow the file by mapping its
            // last byte, then map windows on demand.
            Objects.requireNonNull(mode, "Mode is null");
            if (!channel.isOpen()) {
                throw new ClosedChannelException();
            }
            if (position < 0L) {
                throw new IllegalArgumentException("Negative position");
            }
            if (position + size < 0) {
                throw new IllegalArgumentException("Position + size overflow");
            }
            channel.map(mode, position + size - 1, 1);
            region = new Region(channel, mode, position, size, null);
        }
        if (populate) {
            region.load();
        }
        return new MappedRegion(mode, position, size, region);
    }

    /** What a {@link MappedRegion} holds instead of its own mapping. */
    static final class Region {
        /** Load and force at most this much per window of a region over 2 GiB. */
        private static final int WINDOW = 1 << 30;

        private final FileChannel channel;
        private final MapMode mode;
        private final long position;
        private final long size;
        /** The whole region when it fits one buffer; null for larger regions and after close. */
        private volatile MappedByteBuffer whole;
        private final List<WeakReference<ByteBuffer>> views = new ArrayList<>();
        private volatile boolean closed;

        Region(FileChannel channel, MapMode mode, long position, long size, MappedByteBuffer whole) {
            this.channel = channel;
            this.mode = mode;
            this.position = position;
            this.size = size;
            this.whole = whole;
        }

        /** A window; MappedRegion checked the range. */
        ByteBuffer buffer(long offset, int length) {
            ensureOpen();
            ByteBuffer view;
            try {
                view = window(offset, length);
            } catch (IOException e) {
                throw new IllegalStateException("without the native library, windows of a region over 2 GiB are "
                        + "mapped from its channel when asked for: " + e, e);
            }
            synchronized (views) {
                views.removeIf(ref -> ref.get() == null);
                views.add(new WeakReference<>(view));
            }
            return view;
        }

        private ByteBuffer window(long offset, int length) throws IOException {
            MappedByteBuffer all = whole;
            if (all == null) {
                ensureOpen();
                return channel.map(mode, position + offset, length);
            }
            ByteBuffer view = all.duplicate();
            view.position((int) offset).limit((int) offset + length);
            return view.slice();
        }

        /** msync: MappedByteBuffer.force(index, length) is JDK 13+, so the whole buffer or window. */
        void force(long offset, long length) throws IOException {
            ensureOpen();
            forEachWindow(offset, length, MappedByteBuffer::force);
        }

        void load() throws IOException {
            ensureOpen();
            forEachWindow(0, size, MappedByteBuffer::load);
        }

        private void forEachWindow(long offset, long length, java.util.function.Consumer<MappedByteBuffer> call)
                throws IOException {
            MappedByteBuffer all = whole;
            if (all != null) {
                call.accept(all);
                return;
            }
            for (long done = 0; done < length; done += WINDOW) {
                call.accept(channel.map(mode, position + offset + done, Math.min(WINDOW, length - done)));
            }
        }

        /** NIO's answer for a target NIO can write: write windows, stop at a short write. */
        long transferTo(long offset, long count, WritableByteChannel target) throws IOException {
            Objects.requireNonNull(target, "target");
            ensureOpen();
            if (!target.isOpen()) {
                throw new ClosedChannelException();
            }
            if (target instanceof FileChannel) {
                // FileChannel.write checks writability before anything else; nothing is written.
                target.write(ByteBuffer.allocate(0));
            }
            if (offset < 0 || count < 0) {
                throw new IllegalArgumentException("offset " + offset + " and count " + count + " must not be negative");
            }
            if (offset >= size || count == 0) {
                return 0;
            }
            long n = Math.min(count, size - offset);
            long done = 0;
            try {
                while (done < n) {
                    int want = (int) Math.min(n - done, WINDOW);
                    int written = target.write(window(offset + done, want));
                    done += written;
                    if (written < want) {
                        break;
                    }
                }
            } catch (IOException e) {
                if (done > 0) {
                    return done;
                }
                throw e;
            }
            return done;
        }

        /**
         * NIO cannot unmap: the mapping goes when the garbage collector frees the buffers.
         * Buffers handed out get limit 0, as with the native library.
         */
        void close() {
            closed = true;
            whole = null;
            MappedRegion.failFast(views);
        }

        private void ensureOpen() {
            if (closed) {
                throw new IllegalStateException("MappedRegion is closed");
            }
        }
    }
}
