package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's fault "peer resets the connection mid-transfer": the receiver reads a part,
 * then closes with SO_LINGER 0 (an RST). The sender gets a clear IOException or a partial
 * count, the bytes the receiver read are the right ones, and the process keeps working.
 */
class TorturePeerResetTest {
    private static final int SIZE = 16 << 20;
    private static final int READ_BEFORE_RESET = 1 << 20;

    @TempDir
    Path dir;

    @AfterEach
    void noThreadLeftInNative() throws InterruptedException {
        ProxySupport.assertNoThreadInNative();
    }

    /** Reads exactly {@code n} bytes, then resets the connection. */
    private static Future<byte[]> readThenReset(SocketChannel channel, int n) {
        return TestSupport.async(() -> {
            ByteBuffer got = ByteBuffer.allocate(n);
            while (got.hasRemaining() && channel.read(got) >= 0) {
                // reading the part that arrives before the reset
            }
            channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            channel.close();
            return Arrays.copyOf(got.array(), got.position());
        });
    }

    @Test
    void transferToIntoAResetPeerEndsWithAnIOExceptionOrPartialCountAndDeliveredBytesAreCorrect() throws Exception {
        byte[] data = TestSupport.randomBytes(SIZE, 81);
        Path file = dir.resolve("data");
        Files.write(file, data);
        ZeroCopy.pipe(4096).close(); // the library loaded (its jar stays open) before the baseline
        Relay.closeIdlePipes();
        TestSupport.Snapshot fdsBefore = TestSupport.Snapshot.take();
        SocketChannel[] pair = TestSupport.socketPair();
        try (FileChannel src = FileChannel.open(file, StandardOpenOption.READ);
                SocketChannel out = pair[0]) {
            Future<byte[]> received = readThenReset(pair[1], READ_BEFORE_RESET);
            long sent = 0;
            IOException failure = null;
            try {
                while (sent < SIZE) {
                    sent += ZeroCopy.transferTo(src, sent, SIZE - sent, out);
                }
            } catch (IOException e) {
                failure = e;
            }
            byte[] got = received.get(30, TimeUnit.SECONDS);
            assertEquals(READ_BEFORE_RESET, got.length);
            assertArrayEquals(Arrays.copyOf(data, got.length), got, "bytes delivered before the reset");
            assertNotNull(failure, "the peer reset after " + READ_BEFORE_RESET + " of " + SIZE
                    + " bytes: transferTo must fail, not report " + sent);
            assertNotNull(failure.getMessage(), "a clear message: " + failure);
            assertTrue(sent < SIZE, "partial counts before the failure: " + sent);
            System.out.println("transferTo after reset: " + failure + " after " + sent + " bytes");
        }
        pair[1].close();
        provesTheProcessStillWorks(file, data);
        assertEquals(0, Relay.pipesInUse(), "library pipes still in use after the reset");
        Relay.closeIdlePipes(); // the pool may keep the pipe the transfer used: not a leak
        fdsBefore.assertNoNewDescriptors("after the reset");
    }

    @Test
    void relayIntoAResetPeerEndsWithAnIOExceptionAndDeliveredBytesAreCorrect() throws Exception {
        byte[] data = TestSupport.randomBytes(SIZE, 82);
        SocketChannel[] in = TestSupport.socketPair();
        SocketChannel[] out = TestSupport.socketPair();
        try (SocketChannel a = in[0]; SocketChannel b = in[1]; SocketChannel c = out[0]; SocketChannel d = out[1];
                Relay relay = ZeroCopy.relay(b, c)) {
            TestSupport.feed(a, data);
            Future<byte[]> received = readThenReset(d, READ_BEFORE_RESET);
            long moved = 0;
            IOException failure = null;
            try {
                while (!relay.isDone()) {
                    moved += Math.max(0, relay.transfer());
                }
            } catch (IOException e) {
                failure = e;
            }
            byte[] got = received.get(30, TimeUnit.SECONDS);
            assertArrayEquals(Arrays.copyOf(data, READ_BEFORE_RESET), got, "bytes delivered before the reset");
            assertNotNull(failure, "the relay's target was reset: transfer must fail, not finish after " + moved);
            assertNotNull(failure.getMessage(), "a clear message: " + failure);
            System.out.println("relay after reset: " + failure + " after " + moved + " bytes");
        }
        Path file = dir.resolve("after");
        Files.write(file, data);
        provesTheProcessStillWorks(file, data);
    }

    /** A fresh transferTo and a fresh relay each move 1 MiB correctly. */
    private static void provesTheProcessStillWorks(Path file, byte[] data) throws Exception {
        int n = 1 << 20;
        SocketChannel[] pair = TestSupport.socketPair();
        try (FileChannel src = FileChannel.open(file, StandardOpenOption.READ);
                SocketChannel out = pair[0]; SocketChannel in = pair[1]) {
            Future<TestSupport.Drained> drained = TestSupport.drain(in);
            long sent = 0;
            while (sent < n) {
                sent += ZeroCopy.transferTo(src, sent, n - sent, out);
            }
            out.shutdownOutput();
            assertEquals(TestSupport.sha256(Arrays.copyOf(data, n)), drained.get(30, TimeUnit.SECONDS).sha256);
        }
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        try (SocketChannel a = from[0]; SocketChannel b = from[1]; SocketChannel c = to[0]; SocketChannel d = to[1];
                Relay relay = ZeroCopy.relay(b, c)) {
            TestSupport.feed(a, Arrays.copyOf(data, n));
            Future<TestSupport.Drained> drained = TestSupport.drain(d);
            while (!relay.isDone()) {
                relay.transfer();
            }
            assertEquals(TestSupport.sha256(Arrays.copyOf(data, n)), drained.get(30, TimeUnit.SECONDS).sha256);
        }
    }
}
