package dev.zerocopy;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;

/**
 * A mapped range of a file and its lifecycle, apart from {@link MappedRegion}'s API as the
 * JDK keeps its {@code Unmapper} apart from {@code FileChannelImpl}: mmap, buffer views,
 * kernel calls on the pages, and close, which unmaps at once or (while views are reachable)
 * replaces the file mapping with an anonymous placeholder that the last view's Cleaner
 * unmaps.
 *
 * <p>The monitor serialises close with every kernel call on the range, so no call reaches a
 * range that was unmapped or replaced. Reachable from Cleaner actions, so it must not
 * reference the region.
 */
final class Mapping {
    private static final Cleaner CLEANER = Cleaner.create();

    private static int pageSize;

    final long base;
    final long length;
    private final boolean writable;
    /**
     * The channel the region was mapped from, for the file size checks of load and
     * transferTo. The mapping holds no descriptor of its own: a process may keep more
     * regions open than it may open files.
     */
    private final Endpoint file;
    /** Buffer views created and not yet found unreachable by the Cleaner. */
    private int views;
    private boolean closing;
    /** The range is an anonymous placeholder that the last view's Cleaner unmaps. */
    private boolean placeholder;

    private Mapping(long base, long length, boolean writable, Endpoint file) {
        this.base = base;
        this.length = length;
        this.writable = writable;
        this.file = file;
    }

    static int pageSize() {
        if (pageSize == 0) {
            pageSize = Native.pageSize0();
        }
        return pageSize;
    }

    /**
     * Inside the file's close lock (it is open): extends the file to cover the range, as
     * NIO's map does, then maps the pages holding it; null for an empty range.
     */
    static Mapping map(Endpoint file, int code, long position, long size, boolean populate) throws IOException {
        synchronized (file.lock) {
            file.ensureOpen();
            if (Native.fileSize0(file.fd) < position + size) {
                if (!file.canWrite()) {
                    throw new IOException("Channel not open for writing - cannot extend file to required size");
                }
                Native.extend0(file.fd, position + size);
            }
            if (size == 0) {
                return null;
            }
            long offsetInPage = position % pageSize();
            long length = size + offsetInPage;
            long base = Native.map0(file.fd, position - offsetInPage, length, code, populate);
            return new Mapping(base, length, code != Native.MAP_READ_ONLY, file);
        }
    }

    /** A kernel call on part of the range. */
    interface PageCall {
        void run(long address, long length) throws IOException;
    }

    /** A kernel call that returns a count (a write from the range). */
    interface CountCall {
        long run() throws IOException;
    }

    private void ensureMapped() {
        if (closing) {
            throw new IllegalStateException("MappedRegion is closed");
        }
    }

    /** A direct buffer over {@code length} bytes at {@code address}, counted until unreachable. */
    synchronized ByteBuffer newView(long address, int length) {
        ensureMapped();
        ByteBuffer view = Native.newBuffer0(address, length);
        views++;
        // The Cleaner watches the buffer JNI created; duplicates, slices and read-only
        // views keep it reachable (their attachment), so the placeholder lives as long
        // as any buffer that can reach its memory.
        CLEANER.register(view, new ViewRelease(this));
        return view;
    }

    /** Runs {@code call} on the pages that hold [from, from+length) of the range (offsets from base). */
    synchronized void onPages(long from, long length, PageCall call) throws IOException {
        ensureMapped();
        long pageStart = from - from % pageSize();
        call.run(base + pageStart, from + length - pageStart);
    }

    /**
     * {@link MappedRegion#load()}: checks the file still covers the range, then reads every
     * page in from the kernel (MADV_POPULATE_READ), as one step against close.
     */
    synchronized void load(long filePosition, long size) throws IOException {
        checkFileCovers(filePosition, size);
        Native.load0(base, length);
    }

    /** Runs {@code call} while the range is still the file's. */
    synchronized long whileMapped(CountCall call) throws IOException {
        ensureMapped();
        return call.run();
    }

    /**
     * While mapped: the file still holds every byte of [filePosition, filePosition+length).
     * Once the channel is closed the size cannot be asked; the kernel-side access that
     * follows still reports a missing page as EFAULT instead of raising SIGBUS.
     */
    synchronized void checkFileCovers(long filePosition, long length) throws IOException {
        ensureMapped();
        long fileSize;
        synchronized (file.lock) {
            if (!file.isOpen()) {
                return;
            }
            fileSize = Native.fileSize0(file.fd);
        }
        if (fileSize < filePosition + length) {
            throw new IOException("the mapped file shrank to " + fileSize + " bytes; the range ["
                    + filePosition + ", " + (filePosition + length)
                    + ") of the file is gone, and touching its pages would raise SIGBUS");
        }
    }

    /**
     * Unmaps the range now if no view is reachable; otherwise runs {@code failViews} and
     * replaces the file mapping with a placeholder (bounded by {@link PlaceholderBudget}).
     * Called once, by the region's close.
     */
    void close(Runnable failViews) {
        boolean viewsReachable;
        synchronized (this) {
            closing = true;
            viewsReachable = views > 0;
            if (!viewsReachable) {
                unmapQuietly(base, length);
            }
        }
        failViews.run();
        if (!viewsReachable) {
            return;
        }
        // Outside the monitor: the GC this may trigger runs Cleaner actions that take it,
        // possibly for this very mapping's views.
        PlaceholderBudget.reserve(length);
        synchronized (this) {
            if (views == 0) {
                unmapQuietly(base, length);
                PlaceholderBudget.release(length);
                return;
            }
            try {
                Native.placeholder0(base, length, writable);
                placeholder = true;
            } catch (IOException e) {
                // MAP_FIXED over our own range fails only without memory for the page
                // tables; the file stays mapped until the views are garbage rather than
                // leaving views over an unmapped hole.
                placeholder = true;
            }
        }
    }

    /** Cleaner action of one view. */
    private synchronized void viewUnreachable() {
        views--;
        if (views == 0 && placeholder) {
            placeholder = false;
            unmapQuietly(base, length);
            PlaceholderBudget.release(length);
        }
    }

    /** Undoes a mapping whose region could not be set up. */
    static void unmapQuietly(long base, long length) {
        try {
            Native.unmap0(base, length);
        } catch (IOException | RuntimeException e) {
            // munmap fails only for arguments we never pass; there is nothing to undo.
        }
    }

    /** A Cleaner action that holds the mapping, not the buffer. */
    private static final class ViewRelease implements Runnable {
        private final Mapping mapping;

        ViewRelease(Mapping mapping) {
            this.mapping = mapping;
        }

        @Override
        public void run() {
            mapping.viewUnreachable();
        }
    }
}
