package dev.zerocopy;

import java.io.IOException;

/**
 * The transfer loops behind splice, transferTo, transferFrom and sendfile, and only those:
 * each kernel call goes through {@link Endpoint#locked} (the close-lock rule), each wait
 * through {@link Endpoint#await}, and a failure through {@link Endpoint#partial}.
 *
 * <p>Results: bytes delivered to the output, or -1 when the input was at end of stream
 * before anything moved. In blocking mode a call returns when {@code count} bytes moved or
 * the input ended; in non-blocking mode it moves what it can and may return 0.
 */
final class Pump {
    private Pump() {}

    /** {@code inPos}/{@code outPos}: a file offset, or -1 for the descriptor's own position. */
    static long splice(Endpoint in, long inPos, Endpoint out, long outPos, long count, int flags,
            boolean blocking) throws IOException {
        Endpoint.checkInterrupt(in, out);
        if (in.kind == Native.KIND_PIPE || out.kind == Native.KIND_PIPE) {
            return direct(in, inPos, out, outPos, count, flags, blocking);
        }
        return throughPipe(in, inPos, out, outPos, count, flags, blocking);
    }

    /**
     * sendfile from a file at {@code position} to anything but a pipe (splice serves pipes
     * without touching their mode); a target that could sleep is made non-blocking for each
     * call ({@link Endpoint#sleepBit}) and waited for outside the locks.
     */
    static long sendfile(Endpoint file, long position, Endpoint out, long count, boolean blocking)
            throws IOException {
        Endpoint.checkInterrupt(file, out);
        long done = 0;
        try {
            while (done < count) {
                long offset = position + done;
                long want = count - done;
                long n = Endpoint.locked(file, out, () -> Native.sendfile0(out.fd, file.fd, offset, want,
                        out.sleepBit(Native.OUT_MAY_SLEEP, true)));
                if (n > 0) {
                    done += n;
                } else if (n == 0) {
                    break;
                } else if (!blocking) {
                    break;
                } else {
                    out.await(Native.WRITABLE, file, out);
                }
            }
            return done;
        } catch (IOException e) {
            return Endpoint.partial(done, e);
        }
    }

    private static long direct(Endpoint in, long inPos, Endpoint out, long outPos, long count, int flags,
            boolean blocking) throws IOException {
        int callFlags = flags | SpliceFlag.NONBLOCK.bit;
        long done = 0;
        try {
            while (done < count) {
                Endpoint.checkInterrupt(in, out);
                long n = spliceOnce(in, inPos, out, outPos, count - done, callFlags);
                if (n > 0) {
                    done += n;
                    inPos = advance(inPos, n);
                    outPos = advance(outPos, n);
                } else if (n == 0) {
                    return done > 0 ? done : -1;
                } else if (!blocking) {
                    return done;
                } else {
                    // EAGAIN names no side: wait until both are ready, then try again.
                    in.await(Native.READABLE, in, out);
                    out.await(Native.WRITABLE, in, out);
                }
            }
            return done;
        } catch (IOException e) {
            return Endpoint.partial(done, e);
        }
    }

    private static long throughPipe(Endpoint in, long inPos, Endpoint out, long outPos, long count, int flags,
            boolean blocking) throws IOException {
        int callFlags = flags | SpliceFlag.NONBLOCK.bit;
        OwnedPipe pipe = OwnedPipe.acquire();
        boolean empty = true;
        long done = 0;
        boolean ended = false;
        try {
            while (done < count) {
                Endpoint.checkInterrupt(in, out);
                long filled = spliceOnce(in, inPos, pipe.sink, -1, Math.min(count - done, pipe.capacity), callFlags);
                if (filled == 0) {
                    ended = true;
                    break;
                }
                if (filled < 0) {
                    if (!blocking) {
                        break;
                    }
                    in.await(Native.READABLE, in, out);
                    continue;
                }
                empty = false;
                inPos = advance(inPos, filled);
                // The bytes are out of the input now: deliver all of them, waiting if the
                // output is full even in non-blocking mode (Relay keeps them instead).
                for (long left = filled; left > 0; ) {
                    long n = spliceOnce(pipe.source, -1, out, outPos, left, callFlags);
                    if (n > 0) {
                        left -= n;
                        done += n;
                        outPos = advance(outPos, n);
                    } else {
                        out.await(Native.WRITABLE, in, out);
                    }
                }
                empty = true;
            }
            return ended && done == 0 ? -1 : done;
        } catch (IOException e) {
            return Endpoint.partial(done, e);
        } finally {
            if (empty) {
                pipe.release();
            } else {
                pipe.close();
            }
        }
    }

    /**
     * One splice(2) that cannot sleep, or WOULD_BLOCK. Callers pass SPLICE_F_NONBLOCK for the
     * pipe side; a socket or device in blocking mode sleeps in splice even so (reading with
     * nothing there, or writing more than its buffer has room for, whatever poll said), so
     * it is made non-blocking for the call ({@link Endpoint#sleepBit}), decided inside the
     * locks where its mode is fixed.
     */
    static long spliceOnce(Endpoint in, long inPos, Endpoint out, long outPos, long count, int flags)
            throws IOException {
        return Endpoint.lockedSplice(in, out, () -> Native.splice0(in.fd, inPos, out.fd, outPos, count, flags
                | in.sleepBit(Native.IN_MAY_SLEEP, false) | out.sleepBit(Native.OUT_MAY_SLEEP, true)));
    }

    private static long advance(long position, long n) {
        return position < 0 ? position : position + n;
    }
}
