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

    /**
     * What an errno means to the library, decided by the native side's one table
     * ({@code Error::reason} in {@code native/src/error.rs}); Java switches on this and never
     * on errno numbers. The codes come from the native constant table ({@code REASON_*}).
     */
    enum Reason {
        /** Nothing the library treats specially. */
        OTHER,
        /** EINVAL: an argument this call or path does not take; a refusal. */
        INVALID,
        /** EXDEV, ENOSYS, EOPNOTSUPP: this path does not exist here; a refusal. */
        UNSUPPORTED,
        /** ENOMEM: out of memory, mappings or address space. */
        NO_MEMORY,
        /** EMFILE, ENFILE: no descriptor for a new pipe. */
        NO_DESCRIPTORS,
        /** EPERM: a limit this user may not exceed. */
        NOT_PERMITTED,
        /** EBUSY: in use (a pipe holds more than the new capacity). */
        BUSY;

        final int code = Native.constant("REASON_" + name());

        static Reason of(int code) {
            for (Reason reason : values()) {
                if (reason.code == code) {
                    return reason;
                }
            }
            return OTHER;
        }
    }

    /** The errno value, as {@link #errno()} returns it. */
    private final int errno;
    private final transient Reason reason;

    /** Created by the native side's errno table. */
    ErrnoException(String message, int errno, int reason) {
        super(message);
        this.errno = errno;
        this.reason = Reason.of(reason);
    }

    /**
     * The {@code errno} the kernel returned.
     *
     * @return the errno number, e.g. 32 for EPIPE
     */
    public int errno() {
        return errno;
    }

    /** What the errno means to the library. */
    Reason reason() {
        return reason;
    }

    /**
     * True when the kernel refused the technique rather than the data (EINVAL, EXDEV,
     * ENOSYS, EOPNOTSUPP): the next technique may still work for this call.
     */
    boolean refused() {
        return reason == Reason.INVALID || reason == Reason.UNSUPPORTED;
    }
}
