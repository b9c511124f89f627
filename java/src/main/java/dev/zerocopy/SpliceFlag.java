package dev.zerocopy;

/**
 * The flags of splice(2), tee(2) and vmsplice(2).
 *
 * @since 0.1
 */
public enum SpliceFlag {
    /** SPLICE_F_MOVE: a hint to move pages instead of copying them. */
    MOVE(1),
    /** SPLICE_F_NONBLOCK: do not block on the pipe; the call may return 0. */
    NONBLOCK(2),
    /** SPLICE_F_MORE: more data follows (like MSG_MORE on a socket). */
    MORE(4);
    // No GIFT: SPLICE_F_GIFT only means something to vmsplice, and ZeroCopy.vmsplice always
    // gifts pages the library mapped for the call (see ZeroCopy.vmsplice), never the caller's.

    final int bit;

    SpliceFlag(int bit) {
        this.bit = bit;
    }

    static int bits(SpliceFlag... flags) {
        int bits = 0;
        for (SpliceFlag flag : flags) {
            bits |= java.util.Objects.requireNonNull(flag, "flag").bit;
        }
        return bits;
    }
}
