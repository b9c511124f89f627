package dev.zerocopy;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A memory-mapped range of a file that is unmapped when you call {@link #close()}, not when
 * the garbage collector gets to it. Obtained from {@link ZeroCopy#map}.
 *
 * <h2>Close, and buffers used after it</h2>
 * {@code close()} releases the file mapping at once: afterwards the file can be truncated
 * or deleted and its blocks are freed. It is idempotent and thread-safe; it waits for a
 * {@code force}, {@code load}, {@code advise}, {@code lock} or a single kernel write of
 * {@code transferTo} that is running, never for a {@code transferTo} waiting on its target.
 *
 * <p>Using a buffer obtained from the region after close never crashes the JVM and never
 * touches the file. Close replaces the file mapping, atomically, with anonymous memory at
 * the same address (mmap MAP_FIXED); that placeholder is unmapped by a
 * {@link java.lang.ref.Cleaner} once every buffer view of the region is unreachable (a
 * region that never handed out a buffer is unmapped completely at close). Close also sets
 * the limit of every buffer it handed out to 0, so most later use throws
 * {@link IndexOutOfBoundsException} (or {@link java.nio.BufferUnderflowException} /
 * {@link java.nio.BufferOverflowException}); a relative bulk {@code get}/{@code put} that is
 * running on another thread at the moment of close may instead end with the
 * {@link IllegalArgumentException} of {@code ByteBuffer.position} ("newPosition &gt; limit"),
 * after copying bytes that are the file's or the placeholder's zeros. What remains observable: duplicates and
 * slices the caller made keep their own limit; reading through them gives zeros, writing
 * changes only the placeholder (never the file), and a write to a placeholder of a
 * {@link MapMode#READ_ONLY} region is impossible because its buffers are read-only.
 * Placeholders are bounded like direct memory: when too many exist, close triggers a GC
 * and waits for the Cleaner (see {@code PlaceholderBudget}).
 *
 * <p>{@link #address()} is for callers who bring their own access (FFM, Unsafe): after
 * close, raw access through an address kept from before is undefined unless a buffer
 * view of the region is still reachable.
 *
 * <h2>Files that shrink while mapped</h2>
 * A page past the new end of file raises SIGBUS when touched from Java code, as with
 * {@link java.nio.MappedByteBuffer}. HotSpot turns a SIGBUS in a buffer access into an
 * {@link InternalError} ("a fault occurred in an unsafe memory access operation"): measured
 * here, JDK 25 throws it at the access, JDK 17 may deliver it asynchronously a little later,
 * in compiled code; neither crashed, but no specification promises it. {@link #load()}
 * and {@link #transferTo} check the file size first and throw an {@link IOException}; they
 * touch the pages from the kernel (MADV_POPULATE_READ, write(2)), which reports EFAULT, not
 * SIGBUS, if the file shrinks during the call. The remaining risk is the caller's own
 * reads and writes through buffers.
 *
 * <p>Methods other than {@link #size()}, {@link #mode()}, {@link #isOpen()} and
 * {@link #close()} throw {@link IllegalStateException} once the region is closed, as a
 * closed FFM arena does.
 *
 * @since 0.1
 */
public final class MappedRegion implements AutoCloseable {
    /** Buffers handed out are at most this long: {@code ByteBuffer} capacities are ints. */
    private static final long MAX_BUFFER = Integer.MAX_VALUE;
    /** The fallback's window size for targets without a descriptor. */
    private static final long WRITE_CHUNK = MappedWrite.WRITE_CHUNK;

    private final MapMode mode;
    /** The file position given to map. */
    private final long filePosition;
    private final long size;
    /** Null for an empty region (size 0): nothing is mapped. */
    private final Mapping mapping;
    /** Offset of {@link #address()} from the page-aligned mapping start. */
    private final long offsetInPage;
    /** Weakly held buffers handed out, so close can set their limit to 0. */
    private final List<WeakReference<ByteBuffer>> views = new ArrayList<>();
    private int viewsPruneAt = 64;
    /** Held while close() may wait for the GC, so a j.u.c lock (a monitor pins on JDK 21-23). */
    private final ReentrantLock closeLock = new ReentrantLock();
    private volatile boolean closed;
    /** Instead of {@link #mapping} when the native library is unavailable: NIO maps. */
    private final NioFallback.Region nio;


    private MappedRegion(MapMode mode, long position, long size, Mapping mapping, long offsetInPage) {
        this.mode = mode;
        this.filePosition = position;
        this.size = size;
        this.mapping = mapping;
        this.offsetInPage = offsetInPage;
        this.nio = null;
    }

    /** A region mapped by NIO ({@link NioFallback}). */
    MappedRegion(MapMode mode, long position, long size, NioFallback.Region nio) {
        this.mode = mode;
        this.filePosition = position;
        this.size = size;
        this.mapping = null;
        this.offsetInPage = 0;
        this.nio = nio;
    }


    /** {@link ZeroCopy#map}: NIO's checks in NIO's order, then mmap. */
    static MappedRegion map(FileChannel channel, MapMode mode, long position, long size, MapOption... options)
            throws IOException {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(mode, "Mode is null");
        boolean populate = false;
        boolean hugePages = false;
        boolean locked = false;
        for (MapOption option : Objects.requireNonNull(options, "options")) {
            switch (Objects.requireNonNull(option, "option")) {
                case POPULATE:
                    populate = true;
                    break;
                case HUGE_PAGES:
                    hugePages = true;
                    break;
                case LOCKED:
                    locked = true;
                    break;
                default:
                    throw new AssertionError(option);
            }
        }
        int code = mode == MapMode.READ_ONLY ? Native.MAP_READ_ONLY : mode == MapMode.READ_WRITE ? Native.MAP_READ_WRITE
                : mode == MapMode.PRIVATE ? Native.MAP_PRIVATE : -1;
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
        if (position < 0L) {
            throw new IllegalArgumentException("Negative position");
        }
        if (size < 0L) {
            throw new IllegalArgumentException("Negative size");
        }
        if (position + size < 0) {
            throw new IllegalArgumentException("Position + size overflow");
        }
        if (code < 0) {
            throw new UnsupportedOperationException("map mode " + mode + " is not supported; use READ_ONLY, "
                    + "READ_WRITE or PRIVATE");
        }
        Endpoint file = Endpoint.require(channel, "channel");
        if (mode != MapMode.READ_ONLY && !file.canWrite()) {
            throw new NonWritableChannelException();
        }
        if (!file.canRead()) {
            // NIO's order: a write-only channel is NonReadable for every mode (mmap needs read access).
            throw new NonReadableChannelException();
        }
        // NIO's rule for an interrupted thread, as FileChannel.map has it: even a call
        // that never waits closes its channel and throws.
        Endpoint.checkInterrupt(file, null);
        MappedRegion region;
        try {
            region = mapLocked(file, mode, code, position, size, populate);
        } catch (ErrnoException e) {
            if (e.reason() != ErrnoException.Reason.NO_MEMORY) {
                throw e;
            }
            // Out of mappings (vm.max_map_count) or address space: placeholders of
            // unreachable views may be holding them; collect and try once more.
            int before = PlaceholderBudget.count();
            PlaceholderBudget.collect(() -> PlaceholderBudget.count() < before);
            region = mapLocked(file, mode, code, position, size, populate);
        }
        return region.withOptions(hugePages, locked);
    }

    private static MappedRegion mapLocked(Endpoint file, MapMode mode, int code, long position, long size,
            boolean populate) throws IOException {
        Mapping mapping = Mapping.map(file, code, position, size, populate);
        return new MappedRegion(mode, position, size, mapping, mapping == null ? 0 : position % Mapping.pageSize());
    }

    static int pageSize() {
        return Mapping.pageSize();
    }

    MappedRegion withOptions(boolean hugePages, boolean locked) throws IOException {
        try {
            if (hugePages && mapping != null) {
                try {
                    Native.advise0(mapping.base, mapping.length, Advice.HUGEPAGE.ordinal());
                } catch (ErrnoException e) {
                    if (e.reason() != ErrnoException.Reason.INVALID) {
                        throw e;
                    }
                    // This file or kernel has no transparent huge pages: the option is a hint.
                }
            }
            if (locked) {
                lock();
            }
            return this;
        } catch (IOException | RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * The address of the region's first byte (position given to map), 0 for an empty region.
     *
     * @return the address, for native code that reads the mapping
     */
    public long address() {
        if (nio != null) {
            NativeLibrary.ensureAvailable();
        }
        ensureOpen();
        return mapping == null ? 0 : mapping.base + offsetInPage;
    }

    /**
     * The size given to map, in bytes; may exceed 2 GiB.
     *
     * @return the size in bytes
     */
    public long size() {
        return size;
    }

    /**
     * The mode given to map.
     *
     * @return READ_ONLY, READ_WRITE or PRIVATE
     */
    public MapMode mode() {
        return mode;
    }

    /**
     * False once {@link #close()} was called.
     *
     * @return whether the region is still mapped
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * The whole region as a direct ByteBuffer: position 0, limit = capacity = size,
     * read-only for {@link MapMode#READ_ONLY}.
     *
     * @throws UnsupportedOperationException if the region is larger than
     *     {@code Integer.MAX_VALUE} bytes: use {@link #buffer(long, int)} windows
      * @return a direct buffer over the whole region: position 0, limit = capacity = size
     */
    public ByteBuffer buffer() {
        if (size > MAX_BUFFER) {
            throw new UnsupportedOperationException("region of " + size + " bytes does not fit one ByteBuffer;"
                    + " use buffer(offset, length) for windows of it");
        }
        return buffer(0, (int) size);
    }

    /**
     * A window of the region as a direct ByteBuffer: position 0, limit = capacity =
     * {@code length}, read-only for {@link MapMode#READ_ONLY}. Windows may lie anywhere in
     * a region of any size.
     *
      * @param offset where the window starts, in bytes from the region's first byte
      * @param length the window's length in bytes
     * @throws IndexOutOfBoundsException unless {@code 0 <= offset <= size - length}
      * @return a direct buffer over the window: position 0, limit = capacity = length
     */
    public ByteBuffer buffer(long offset, int length) {
        checkRange(offset, length);
        if (nio != null) {
            return nio.buffer(offset, length);
        }
        if (mapping == null) {
            ensureOpen();
            ByteBuffer empty = ByteBuffer.allocateDirect(0);
            return mode == MapMode.READ_ONLY ? empty.asReadOnlyBuffer() : empty;
        }
        ensureOpen();
        synchronized (mapping) {
            ByteBuffer view = mapping.newView(mapping.base + offsetInPage + offset, length);
            if (mode == MapMode.READ_ONLY) {
                view = view.asReadOnlyBuffer();
            }
            remember(view);
            return view;
        }
    }

    /** Inside the mapping's monitor, so close sees every view created before it. */
    private void remember(ByteBuffer view) {
        synchronized (views) {
            if (views.size() >= viewsPruneAt) {
                views.removeIf(ref -> ref.get() == null);
                viewsPruneAt = Math.max(64, views.size() * 2);
            }
            views.add(new WeakReference<>(view));
        }
    }

    /**
     * msync(MS_SYNC) of the whole region: its changes are on the storage device on return.
     *
     * @throws IOException if msync fails or the region is closed
     */
    public void force() throws IOException {
        force(0, size);
    }

    /**
     * msync(MS_SYNC) of {@code length} bytes from {@code offset}; like
     * {@code MappedByteBuffer.force(index, length)} (JDK 13+). A {@link MapMode#PRIVATE} region's
     * changes never reach the file, so this has no effect on it.
     *
      * @param offset the first byte to write back, from the region's first byte
      * @param length how many bytes
     * @throws IndexOutOfBoundsException unless {@code 0 <= offset <= size - length}
      * @throws IOException if msync fails or the region is closed
     */
    public void force(long offset, long length) throws IOException {
        checkRange(offset, length);
        if (nio != null) {
            nio.force(offset, length);
            return;
        }
        onPages(offset, length, (address, bytes) -> Native.force0(address, bytes));
    }

    /**
     * Reads every page of the region into memory, like
     * {@link java.nio.MappedByteBuffer#load()}, from the kernel (MADV_POPULATE_READ).
     *
     * @throws IOException if the file is now shorter than the region (a page would raise
     *     SIGBUS), or the kernel could not read a page (EFAULT: the file shrank meanwhile)
     */
    public void load() throws IOException {
        if (nio != null) {
            nio.load();
            return;
        }
        if (mapping == null) {
            ensureOpen();
            return;
        }
        ensureOpen();
        mapping.load(filePosition, size);
    }

    /**
     * madvise(2) over {@code length} bytes from {@code offset} (widened to whole pages).
     *
      * @param advice what the kernel should expect
      * @param offset the first byte it applies to
      * @param length how many bytes
     * @throws IndexOutOfBoundsException unless {@code 0 <= offset <= size - length}
      * @throws IOException if madvise fails or the region is closed
     */
    public void advise(Advice advice, long offset, long length) throws IOException {
        Objects.requireNonNull(advice, "advice");
        checkRange(offset, length);
        onPages(offset, length, (address, bytes) -> Native.advise0(address, bytes, advice.ordinal()));
    }

    /**
     * mlock(2) the whole region: its pages stay in memory until {@link #unlock()} or close.
     *
     * @throws IOException if mlock fails (RLIMIT_MEMLOCK) or the region is closed
     */
    public void lock() throws IOException {
        onPages(0, size, (address, bytes) -> Native.lock0(address, bytes, true));
    }

    /**
     * munlock(2) the whole region.
     *
     * @throws IOException if munlock fails or the region is closed
     */
    public void unlock() throws IOException {
        onPages(0, size, (address, bytes) -> Native.lock0(address, bytes, false));
    }

    /**
     * Writes up to {@code count} bytes of the region from {@code offset} to {@code target},
     * straight from the mapping (write(2), or send(2) to a socket): like
     * {@link FileChannel#transferTo}, a FileChannel target's position advances (an APPEND
     * target gets the bytes appended), {@code count} is clamped to the region's end, a
     * blocking target gets everything, a non-blocking one what it takes without waiting.
     * A target without a file descriptor is written through {@link #buffer(long, int)}
     * windows.
     *
      * @param offset the first byte to write, from the region's first byte
      * @param count the most bytes to write
      * @param target where the bytes go
     * @return the number of bytes written, possibly zero
     * @throws ClosedChannelException if {@code target} is closed
     * @throws NonWritableChannelException if {@code target} is a FileChannel not open for writing
     * @throws IllegalArgumentException if {@code offset} or {@code count} is negative
     * @throws IOException if the file is now shorter than the range (the pages would raise
     *     SIGBUS); after some bytes were written, an I/O error returns their count instead
     */
    public long transferTo(long offset, long count, WritableByteChannel target) throws IOException {
        if (nio != null) {
            return nio.transferTo(offset, count, target);
        }
        Objects.requireNonNull(target, "target");
        ensureOpen();
        if (!target.isOpen()) {
            throw new ClosedChannelException();
        }
        Endpoint out = Endpoint.resolve(target);
        if (out != null && target instanceof FileChannel && !out.canWrite()) {
            throw new NonWritableChannelException();
        }
        if (offset < 0 || count < 0) {
            throw new IllegalArgumentException("offset " + offset + " and count " + count + " must not be negative");
        }
        if (offset >= size || count == 0) {
            return 0;
        }
        long n = Math.min(count, size - offset);
        if (out == null) {
            return copyThroughWindows(offset, n, target);
        }
        mapping.checkFileCovers(filePosition + offset, n);
        return MappedWrite.write(mapping, mapping.base + offsetInPage + offset, n, out);
    }

    /** NIO's answer for a channel without a descriptor: write a buffer, stop at a short write. */
    private long copyThroughWindows(long offset, long count, WritableByteChannel target) throws IOException {
        long done = 0;
        while (done < count) {
            int want = (int) Math.min(count - done, WRITE_CHUNK);
            ByteBuffer window = buffer(offset + done, want);
            int written = target.write(window);
            done += written;
            if (written < want) {
                break;
            }
        }
        return done;
    }

    /**
     * Unmaps the region now; idempotent and thread-safe. See the class comment for what
     * buffers obtained from the region see afterwards.
     */
    @Override
    public void close() {
        closeLock.lock();
        try {
            if (closed) {
                return;
            }
            if (mapping == null) {
                closed = true;
                if (nio != null) {
                    nio.close();
                }
                return;
            }
            closed = true;
            mapping.close(this::failViewsFast);
        } finally {
            closeLock.unlock();
        }
    }

    private void failViewsFast() {
        failFast(views);
    }

    /**
     * Sets every handed-out buffer's limit to 0, so most later uses throw instead of reading
     * zeros; the native and the NIO-fallback regions both close this way.
     */
    static void failFast(List<WeakReference<ByteBuffer>> views) {
        synchronized (views) {
            for (WeakReference<ByteBuffer> ref : views) {
                ByteBuffer view = ref.get();
                if (view != null) {
                    view.limit(0);
                }
            }
            views.clear();
        }
    }

    /** Runs a kernel call on the pages that hold [offset, offset+length) of an open region. */
    private void onPages(long offset, long length, Mapping.PageCall call) throws IOException {
        if (nio != null) {
            NativeLibrary.ensureAvailable();  // madvise, mlock: NIO has neither
        }
        ensureOpen();
        if (mapping == null || length == 0) {
            return;
        }
        mapping.onPages(offsetInPage + offset, length, call);
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + offset + " + " + length
                    + ") is out of bounds for a region of " + size + " bytes");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("MappedRegion is closed");
        }
    }

    @Override
    public String toString() {
        return "MappedRegion[" + mode + ", size " + size + (closed ? ", closed]" : "]");
    }
}
