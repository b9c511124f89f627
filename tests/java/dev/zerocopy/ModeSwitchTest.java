package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * configureBlocking(true) from another thread while a non-blocking transfer runs. NIO makes
 * configureBlocking wait for an operation in progress; the library must too, or a call
 * chosen for a non-blocking descriptor (sendfile, splice from a socket) runs on a blocking
 * one and sleeps in the kernel holding the channel's close lock, so close() hangs until the
 * peer moves. Each round: a transfer loop on a socket that can make (almost) no progress, a
 * random moment later the switch to blocking mode, then close() from a third thread, which
 * must return and end the loop.
 */
class ModeSwitchTest {
    private static final int ROUNDS = 60;

    @TempDir
    Path tmp;

    interface Step {
        long run(SocketChannel socket) throws IOException;
    }

    @Test
    void transferToAFullSocketSwitchedToBlockingStillClosesAtOnce() throws Exception {
        Path data = TestSupport.randomFile(tmp, 1 << 20, 1);
        try (FileChannel file = FileChannel.open(data, StandardOpenOption.READ)) {
            rounds(true, socket -> ZeroCopy.transferTo(file, 0, 1 << 16, socket));
        }
    }

    @Test
    void spliceFromAnIdleSocketSwitchedToBlockingStillClosesAtOnce() throws Exception {
        try (KernelPipe pipe = ZeroCopy.pipe(1 << 16)) {
            rounds(false, socket -> ZeroCopy.splice(socket, pipe.sink(), 1 << 16));
        }
    }

    @Test
    void relayFromAnIdleSocketSwitchedToBlockingStillClosesAtOnce() throws Exception {
        SocketChannel[] out = TestSupport.socketPair();
        try {
            out[0].configureBlocking(false);
            rounds(false, socket -> {
                try (Relay relay = ZeroCopy.relay(socket, out[0])) {
                    return relay.transfer();
                }
            });
        } finally {
            out[0].close();
            out[1].close();
        }
    }

    /**
     * {@code full}: the socket's send side is filled first (the peer never reads), else its
     * receive side stays empty; either way the step can move nothing and must not sleep.
     */
    private static void rounds(boolean full, Step step) throws Exception {
        Random random = new Random(42);
        Relay.closeIdlePipes();
        int fds = TestSupport.openDescriptors();
        for (int round = 0; round < ROUNDS; round++) {
            SocketChannel[] pair = TestSupport.socketPair();
            SocketChannel socket = pair[0];
            try {
                socket.configureBlocking(false);
                if (full) {
                    fill(socket);
                }
                Future<Throwable> loop = TestSupport.async(() -> {
                    try {
                        for (;;) {
                            long n = step.run(socket);
                            // A full socket can take a little more now and then (the kernel
                            // collapses its queues); an idle one has nothing to give.
                            if (n < 0 || (!full && n != 0)) {
                                return new AssertionError("the step returned " + n);
                            }
                        }
                    } catch (ClosedChannelException e) {
                        return null; // the close below ended it: expected
                    } catch (Throwable e) {
                        return e;
                    }
                });
                Thread.sleep(random.nextInt(3));
                socket.configureBlocking(true);
                Future<Void> closing = TestSupport.async(() -> {
                    socket.close();
                    return null;
                });
                try {
                    closing.get(10, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    // The loop sleeps in the kernel with the close lock: wake it by moving
                    // bytes, so the test ends and reports instead of hanging.
                    unblock(pair[1], full);
                    fail("round " + round + ": close() waited for a kernel call that went to sleep after "
                            + "configureBlocking(true)");
                }
                Throwable ended = loop.get(10, TimeUnit.SECONDS);
                if (ended != null) {
                    throw new AssertionError("round " + round + ": the transfer loop ended with", ended);
                }
            } finally {
                pair[0].close();
                pair[1].close();
            }
        }
        Relay.closeIdlePipes();
        int after = TestSupport.openDescriptors();
        assertTrue(after <= fds, "descriptors: " + fds + " before " + ROUNDS + " rounds, " + after + " after");
    }

    private static void fill(SocketChannel socket) throws IOException {
        ByteBuffer junk = ByteBuffer.allocateDirect(1 << 20);
        int idle = 0;
        while (idle < 3) {
            junk.clear();
            if (socket.write(junk) == 0) {
                idle++;
            }
        }
        assertTrue(socket.isOpen());
    }

    private static void unblock(SocketChannel peer, boolean full) throws IOException {
        if (full) {
            peer.configureBlocking(false);
            ByteBuffer sink = ByteBuffer.allocateDirect(1 << 20);
            for (int i = 0; i < 64; i++) {
                sink.clear();
                peer.read(sink);
            }
        } else {
            peer.write(ByteBuffer.wrap(new byte[] {1}));
        }
    }
}
