package dev.zerocopy;

import java.io.IOException;

/**
 * The write-to-channel loop of {@link MappedRegion#transferTo}: write(2) (send(2) to a socket)
 * straight from the mapping, one chunk per kernel call under the target's close lock
 * ({@link Endpoint#locked}) and the mapping's monitor (so close waits for at most one chunk),
 * waiting for a blocking target outside both.
 */
final class MappedWrite {
    /** At most this much per kernel call, so close waits only briefly. */
    static final long WRITE_CHUNK = 8L << 20;
    /** A blocking pipe accepts this many bytes without sleeping once poll says writable. */
    private static final long PIPE_BUF = 4096;

    private MappedWrite() {}

    /**
     * Writes {@code count} bytes from {@code address} (inside {@code mapping}) to {@code out}:
     * everything to a blocking target, what it takes without waiting to a non-blocking one.
     * A close of the region ends it with IllegalStateException, or the count written so far.
     */
    static long write(Mapping mapping, long address, long count, Endpoint out) throws IOException {
        boolean blocking = out.isBlocking();
        long done = 0;
        try {
            while (done < count) {
                Endpoint.checkInterrupt(out, null);
                if (blocking && !neverSleeps(out)) {
                    out.await(Native.WRITABLE, out, null);
                }
                long from = address + done;
                long bytes = Math.min(count - done, WRITE_CHUNK);
                long written = mapping.whileMapped(
                        () -> Endpoint.locked(out, out, () -> writeWithoutSleeping(out, from, bytes)));
                if (written > 0) {
                    done += written;
                } else if (written == 0 || !blocking) {
                    break;
                } else {
                    out.await(Native.WRITABLE, out, null);
                }
            }
            return done;
        } catch (IOException e) {
            return Endpoint.partial(done, e);
        } catch (IllegalStateException e) {
            if (done > 0) {
                return done;
            }
            throw e;
        }
    }

    /**
     * Inside {@link Endpoint#locked}, where the target's blocking mode cannot change: one write
     * that returns at once, or WOULD_BLOCK. A pipe or device that can sleep is written only
     * when poll says it has room, and then at most PIPE_BUF bytes, which that room takes.
     */
    private static long writeWithoutSleeping(Endpoint out, long from, long bytes) throws IOException {
        boolean socket = out.kind == Native.KIND_SOCKET;
        if (neverSleeps(out)) {
            return Native.writeFrom0(out.fd, from, bytes, socket);
        }
        if (Native.poll0(out.fd, Native.WRITABLE, 0) == 0) {
            return Native.WOULD_BLOCK;
        }
        return Native.writeFrom0(out.fd, from, Math.min(bytes, PIPE_BUF), socket);
    }

    /** send(2) with MSG_DONTWAIT never sleeps; other writes as {@link Endpoint#writesMaySleep} says. */
    private static boolean neverSleeps(Endpoint out) {
        return out.kind == Native.KIND_SOCKET || !out.writesMaySleep();
    }
}
