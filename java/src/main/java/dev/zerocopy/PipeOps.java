package dev.zerocopy;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.Objects;

/** tee(2) and vmsplice(2) behind {@link ZeroCopy#tee} and {@link ZeroCopy#vmsplice}. */
final class PipeOps {
    private PipeOps() {}

    static long tee(Pipe.SourceChannel in, Pipe.SinkChannel out, long count, SpliceFlag... flags)
            throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        int bits = SpliceFlag.bits(Objects.requireNonNull(flags, "flags"));
        if (count < 0) {
            throw new IllegalArgumentException("count is negative: " + count);
        }
        Endpoint src = requirePipe(in, "in");
        Endpoint dst = requirePipe(out, "out");
        if (count == 0) {
            return 0;
        }
        boolean blocking = (bits & SpliceFlag.NONBLOCK.bit) == 0 && in.isBlocking() && out.isBlocking();
        int callFlags = bits | SpliceFlag.NONBLOCK.bit;
        for (;;) {
            Endpoint.checkInterrupt(src, dst);
            long n = Endpoint.lockedSplice(src, dst, () -> Native.tee0(src.fd, dst.fd, count, callFlags));
            if (n > 0) {
                return n;
            }
            if (n == 0) {
                return -1;
            }
            if (!blocking) {
                return 0;
            }
            // EAGAIN: the input is empty or the output full; wait for both, then retry.
            src.await(Native.READABLE, src, dst);
            dst.await(Native.WRITABLE, src, dst);
        }
    }

    static long vmsplice(Pipe.SinkChannel out, ByteBuffer... srcs) throws IOException {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(srcs, "srcs");
        // Position and limit are read once each, as NIO does: another thread moving them
        // during the call can change what is sent, never make it reach outside a buffer.
        int[] start = new int[srcs.length];
        int[] length = new int[srcs.length];
        long total = 0;
        for (int i = 0; i < srcs.length; i++) {
            ByteBuffer buffer = Objects.requireNonNull(srcs[i], "srcs[" + i + "]");
            if (!buffer.isDirect()) {
                throw new IllegalArgumentException("vmsplice needs direct buffers; srcs[" + i
                        + "] is a heap buffer (ByteBuffer.allocate or wrap): use ByteBuffer.allocateDirect");
            }
            int position = buffer.position();
            int limit = buffer.limit();
            start[i] = position;
            length[i] = position <= limit ? limit - position : 0;
            total += length[i];
        }
        Endpoint dst = requirePipe(out, "out");
        if (total == 0) {
            return 0;
        }
        long[] address = new long[srcs.length];
        for (int i = 0; i < srcs.length; i++) {
            if (length[i] > 0) {
                address[i] = Native.address0(srcs[i]);
            }
        }
        boolean blocking = out.isBlocking();
        int[] taken = new int[srcs.length];
        long done = 0;
        int first = 0;
        long[] iov = new long[4 * Math.min(srcs.length, Native.MAX_IOVECS)];
        try {
            while (done < total) {
                Endpoint.checkInterrupt(dst, null);
                while (taken[first] == length[first]) {
                    first++;
                }
                int quads = 0;
                for (int i = first; i < srcs.length && quads < Native.MAX_IOVECS; i++) {
                    if (taken[i] < length[i]) {
                        iov[4 * quads] = address[i];
                        iov[4 * quads + 1] = srcs[i].capacity();
                        iov[4 * quads + 2] = (long) start[i] + taken[i];
                        iov[4 * quads + 3] = length[i] - taken[i];
                        quads++;
                    }
                }
                int count = quads;
                long n = Endpoint.lockedSplice(dst, dst, () -> Native.vmsplice0(dst.fd, iov, count, SpliceFlag.NONBLOCK.bit));
                // The addresses are only valid while the buffers are reachable; the bytes
                // themselves were copied into the library's pages during the call.
                Reference.reachabilityFence(srcs);
                if (n > 0) {
                    done += n;
                    for (int i = first; n > 0; i++) {
                        int step = (int) Math.min(length[i] - taken[i], n);
                        taken[i] += step;
                        n -= step;
                        if (step > 0) {
                            srcs[i].position(start[i] + taken[i]);
                        }
                    }
                } else if (!blocking) {
                    break;
                } else {
                    dst.await(Native.WRITABLE, dst, null);
                }
            }
            return done;
        } catch (IOException e) {
            return Endpoint.partial(done, e);
        }
    }

    private static Endpoint requirePipe(Object channel, String role) throws IOException {
        Endpoint endpoint = Endpoint.require(channel, role);
        if (endpoint.kind != Native.KIND_PIPE) {
            throw new IllegalArgumentException(role + " is not a kernel pipe: " + channel.getClass().getName());
        }
        return endpoint;
    }
}
