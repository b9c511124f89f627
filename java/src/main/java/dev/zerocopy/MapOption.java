package dev.zerocopy;

/**
 * Options for {@link ZeroCopy#map}.
 *
 * @since 0.1
 */
public enum MapOption {
    /**
     * Fault every page in at map time (MAP_POPULATE): the first access costs no page fault,
     * the map call costs the reading.
     */
    POPULATE,
    /**
     * Ask for transparent huge pages (madvise MADV_HUGEPAGE). A hint: file systems and
     * kernels that cannot back this file with huge pages ignore it, and so does map.
     */
    HUGE_PAGES,
    /**
     * Lock the pages in memory (mlock) at map time; map fails with an {@link ErrnoException}
     * (ENOMEM, EPERM) when RLIMIT_MEMLOCK does not allow it.
     */
    LOCKED
}
