package dev.zerocopy;

/**
 * madvise(2) advice for {@link MappedRegion#advise}.
 *
 * @since 0.1
 */
public enum Advice {
    /** No special treatment (MADV_NORMAL). */
    NORMAL,
    /** Pages will be read in order: read ahead aggressively, free soon after (MADV_SEQUENTIAL). */
    SEQUENTIAL,
    /** Pages will be read in random order: read ahead less (MADV_RANDOM). */
    RANDOM,
    /** Pages will be needed soon: start reading them in (MADV_WILLNEED). */
    WILLNEED,
    /**
     * Pages are not needed now (MADV_DONTNEED): a shared mapping reads them from the file
     * again on next access; a {@link java.nio.channels.FileChannel.MapMode#PRIVATE PRIVATE}
     * mapping loses its private changes and sees the file again.
     */
    DONTNEED,
    /** Back the range with transparent huge pages where the kernel can (MADV_HUGEPAGE). */
    HUGEPAGE
}
