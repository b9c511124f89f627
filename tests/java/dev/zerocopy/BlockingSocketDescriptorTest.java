package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a transfer leaves behind on a SocketChannel in blocking mode (package docs, "No kernel
 * call sleeps"): from a platform thread the descriptor is as it was, so the JDK's own blocking
 * writes still write everything; from a virtual thread on JDK 21+ it is non-blocking, as the
 * JDK's own first write from that thread leaves it. And memory devices (/dev/null,
 * /dev/full) as targets, against FileChannel.transferTo.
 */
class BlockingSocketDescriptorTest {
    @TempDir
    Path tmp;

    @Test
    void aBlockingSocketStillBlocksForTheJdkAfterATransfer() throws Exception {
        SocketChannel[] pair = TestSupport.socketPair();
        Path source = TestSupport.randomFile(tmp, 8 << 20, 31);
        try (FileChannel file = FileChannel.open(source)) {
            // 8 MiB is more than the socket buffers hold: the transfer must wait for the reader.
            Future<TestSupport.Drained> received = TestSupport.drain(pair[1]);
            assertEquals(file.size(), ZeroCopy.transferTo(file, 0, file.size(), pair[0]));
            assertTrue(pair[0].isBlocking());
            assertFalse(descriptorNonBlocking(pair[0]), "flags restored after a platform thread's transfer");

            // The JDK's blocking write of more than the buffers hold returns only when all is
            // written, not with a short count.
            byte[] more = TestSupport.randomBytes(8 << 20, 32);
            assertEquals(more.length, pair[0].write(ByteBuffer.wrap(more)));
            pair[0].shutdownOutput();
            TestSupport.Drained got = received.get(30, TimeUnit.SECONDS);
            assertEquals(file.size() + more.length, got.bytes);
        }
        // The JDK's blocking read with nothing there waits for data instead of returning 0.
        Future<Integer> read = TestSupport.async(() -> pair[0].read(ByteBuffer.allocate(16)));
        Thread.sleep(200);
        pair[1].write(ByteBuffer.wrap(new byte[] {7, 8, 9}));
        assertEquals(3, read.get(10, TimeUnit.SECONDS));
        pair[0].close();
        pair[1].close();
    }

    @Test
    void switchingModesAfterATransferKeepsEachModesRules() throws Exception {
        SocketChannel[] pair = TestSupport.socketPair();
        Path source = TestSupport.randomFile(tmp, 16 << 20, 33);
        try (FileChannel file = FileChannel.open(source)) {
            assertEquals(4096, ZeroCopy.transferTo(file, 0, 4096, pair[0]));
            // Non-blocking mode: nobody reads, so the transfer stops when the socket is full.
            pair[0].configureBlocking(false);
            long partial = ZeroCopy.transferTo(file, 4096, file.size() - 4096, pair[0]);
            assertTrue(partial > 0 && partial < file.size() - 4096, "partial " + partial);
            assertEquals(0, ZeroCopy.transferTo(file, 4096 + partial, 4096, pair[0]), "full: 0 at once");
            assertTrue(descriptorNonBlocking(pair[0]));
            // Back to blocking: the rest goes out whole once a reader drains the other end.
            pair[0].configureBlocking(true);
            assertFalse(descriptorNonBlocking(pair[0]));
            Future<TestSupport.Drained> received = TestSupport.drain(pair[1]);
            long rest = file.size() - 4096 - partial;
            assertEquals(rest, ZeroCopy.transferTo(file, 4096 + partial, rest, pair[0]));
            pair[0].shutdownOutput();
            TestSupport.Drained got = received.get(30, TimeUnit.SECONDS);
            assertEquals(file.size(), got.bytes);
            assertEquals(TestSupport.sha256(source), got.sha256);
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    @Test
    void onAVirtualThreadTheDescriptorIsLeftAsTheJdkLeavesIt() throws Exception {
        VirtualThreads.assumeAvailable();
        SocketChannel[] pair = TestSupport.socketPair();
        Path source = TestSupport.randomFile(tmp, 4 << 20, 36);
        try (FileChannel file = FileChannel.open(source)) {
            Future<TestSupport.Drained> received = TestSupport.drain(pair[1]);
            long sent = VirtualThreads.call(() -> ZeroCopy.transferTo(file, 0, file.size(), pair[0]))
                    .get(30, TimeUnit.SECONDS);
            assertEquals(file.size(), sent);
            assertTrue(descriptorNonBlocking(pair[0]), "non-blocking for good, as the JDK's own write would leave it");
            // A virtual thread's own NIO write on a fresh socket leaves the same state.
            SocketChannel[] control = TestSupport.socketPair();
            VirtualThreads.call(() -> control[0].write(ByteBuffer.wrap(new byte[] {1}))).get(10, TimeUnit.SECONDS);
            assertTrue(descriptorNonBlocking(control[0]), "the JDK's own state after a virtual thread wrote");
            control[0].close();
            control[1].close();
            // And the channel keeps working for a platform thread's blocking transfer.
            assertEquals(file.size(), ZeroCopy.transferTo(file, 0, file.size(), pair[0]));
            pair[0].shutdownOutput();
            TestSupport.Drained got = received.get(30, TimeUnit.SECONDS);
            assertEquals(2 * file.size(), got.bytes);
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    @Test
    void transferToDevNullMovesWhatNioMoves() throws Exception {
        Path source = TestSupport.randomFile(tmp, 1 << 20, 34);
        try (FileChannel file = FileChannel.open(source);
                FileChannel devNull = FileChannel.open(Paths.get("/dev/null"), StandardOpenOption.WRITE)) {
            for (long[] c : new long[][] {{0, 1}, {0, 64}, {100, 4096}, {0, 1 << 20}, {(1 << 20) - 10, 100}, {1 << 20, 5},
                    {(1 << 20) + 1, 5}}) {
                assertEquals(file.transferTo(c[0], c[1], devNull), ZeroCopy.transferTo(file, c[0], c[1], devNull),
                        "position " + c[0] + " count " + c[1]);
            }
            assertEquals(0, file.position());
        }
    }

    @Test
    void transferToDevFullFailsAsNioFails() throws Exception {
        Path source = TestSupport.randomFile(tmp, 64 << 10, 35);
        try (FileChannel file = FileChannel.open(source);
                FileChannel devFull = FileChannel.open(Paths.get("/dev/full"), StandardOpenOption.WRITE)) {
            IOException nio = assertThrows(IOException.class, () -> file.transferTo(0, 4096, devFull));
            IOException ours = assertThrows(IOException.class, () -> ZeroCopy.transferTo(file, 0, 4096, devFull));
            assertEquals(nio.getMessage(), ours.getMessage());
            assertTrue(devFull.isOpen() && file.isOpen());
        }
    }

    private static boolean descriptorNonBlocking(SocketChannel channel) throws IOException {
        return (Native.describe0(Endpoint.resolve(channel).fd) & Native.NONBLOCKING) != 0;
    }
}
