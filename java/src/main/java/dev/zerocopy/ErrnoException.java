package dev.zerocopy;

import java.io.IOException;

/**
 * A system call failed. The message names the call, its descriptors and the error, as in
 * {@code splice(fd 12 -> fd 14): EPIPE: Broken pipe}; {@link #errno()} gives the number.
 *
 * @since 0.1
 */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The errno value, as {@link #errno()} returns it. */
    private final int errno;
    private final transient boolean refused;

    /** Created by the native side's errno table. */
    ErrnoException(String message, int errno, boolean refused) {
        super(message);
        this.errno = errno;
        this.refused = refused;
    }

    /**
     * The {@code errno} the kernel returned.
     *
     * @return the errno number, e.g. 32 for EPIPE
     */
    public int errno() {
        return errno;
    }

    /**
     * True when the kernel refused the technique rather than the data (EINVAL, EXDEV,
     * ENOSYS, EOPNOTSUPP): the next technique may still work for this call.
     */
    boolean refused() {
        return refused;
    }
}
