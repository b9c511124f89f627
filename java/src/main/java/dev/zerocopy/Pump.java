package dev.zerocopy;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;

/**
 * The one transfer loop behind splice, transferTo and transferFrom: kernel calls that never
 * sleep while holding a close lock, waits that notice close and interrupt, and NIO's rules
 * for partial results.
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

    /** sendfile from a file at {@code position} to a descriptor that never sleeps. */
    static long sendfile(Endpoint file, long position, Endpoint out, long count, boolean blocking)
            throws IOException {
        Endpoint.checkInterrupt(file, out);
        long done = 0;
        try {
            while (done < count) {
                long offset = position + done;
                long want = count - done;
                long n = locked(file, out, () -> Native.sendfile0(out.fd, file.fd, offset, want));
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
            return partial(done, e);
        }
    }

    private static long direct(Endpoint in, long inPos, Endpoint out, long outPos, long count, int flags,
            boolean blocking) throws IOException {
        int callFlags = flags | SpliceFlag.NONBLOCK.bit;
        long done = 0;
        try {
            while (done < count) {
                long n = ready(in, Native.READABLE, blocking, in, out) && ready(out, Native.WRITABLE, blocking, in, out)
                        ? call(in, inPos, out, outPos, count - done, callFlags)
                        : Native.WOULD_BLOCK;
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
            return partial(done, e);
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
                long filled = ready(in, Native.READABLE, blocking, in, out)
                        ? call(in, inPos, pipe.sink, -1, Math.min(count - done, pipe.capacity), callFlags)
                        : Native.WOULD_BLOCK;
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
                    ready(out, Native.WRITABLE, true, in, out);
                    long n = call(pipe.source, -1, out, outPos, left, callFlags);
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
            return partial(done, e);
        } finally {
            if (empty) {
                pipe.release();
            } else {
                pipe.close();
            }
        }
    }

    private static long call(Endpoint in, long inPos, Endpoint out, long outPos, long count, int flags)
            throws IOException {
        return locked(in, out, () -> Native.splice0(in.fd, inPos, out.fd, outPos, count, flags));
    }

    interface KernelCall {
        long run() throws IOException;
    }

    private static final Object TIE = new Object();

    /**
     * Runs one non-blocking kernel call inside both close locks, after checking that both
     * channels are still open. Locks are taken in identity-hash order (a global lock breaks
     * ties), so transfers in opposite directions cannot deadlock.
     */
    static long locked(Endpoint a, Endpoint b, KernelCall call) throws IOException {
        int ha = System.identityHashCode(a.lock);
        int hb = System.identityHashCode(b.lock);
        if (a.lock == b.lock) {
            synchronized (a.lock) {
                return checkedCall(a, b, call);
            }
        }
        if (ha == hb) {
            synchronized (TIE) {
                synchronized (a.lock) {
                    synchronized (b.lock) {
                        return checkedCall(a, b, call);
                    }
                }
            }
        }
        Object first = ha < hb ? a.lock : b.lock;
        Object second = ha < hb ? b.lock : a.lock;
        synchronized (first) {
            synchronized (second) {
                return checkedCall(a, b, call);
            }
        }
    }

    private static long checkedCall(Endpoint a, Endpoint b, KernelCall call) throws IOException {
        a.ensureOpen();
        b.ensureOpen();
        return call.run();
    }

    /**
     * Whether a call on {@code endpoint} may go ahead without sleeping in the kernel (splice
     * on a blocking socket sleeps even with SPLICE_F_NONBLOCK). Descriptors that never sleep
     * are always ready; others are polled: waited for in blocking mode, checked otherwise.
     */
    private static boolean ready(Endpoint endpoint, int interest, boolean blocking, Endpoint in, Endpoint out)
            throws IOException {
        if (!endpoint.canSleep()) {
            return true;
        }
        if (blocking) {
            endpoint.await(interest, in, out);
            return true;
        }
        return Native.poll0(endpoint.fd, interest, 0) != 0;
    }

    private static long advance(long position, long n) {
        return position < 0 ? position : position + n;
    }

    /**
     * NIO's rule after a failure: an interrupt always throws; a close or an I/O error after
     * some bytes moved returns the count moved.
     */
    static long partial(long done, IOException e) throws IOException {
        if (done == 0 || e instanceof ClosedByInterruptException) {
            throw e;
        }
        return done;
    }
}
