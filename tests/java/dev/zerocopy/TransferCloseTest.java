package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JDK 25's rules for a transfer blocked on a socket or pipe: another thread's close ends it
 * within a second, with the count moved so far if any, else AsynchronousCloseException;
 * an interrupt ends it with ClosedByInterruptException, keeps the interrupt status and
 * closes both channels. (JDK 25 itself never wakes a transferFrom waiting on a socket whose
 * target file is closed; we do.)
 */
class TransferCloseTest {
    @TempDir
    Path tmp;

    interface Blocked {
        long run() throws IOException;
    }

    /** What the transfer ended with, and when, as seen from the thread that ran it. */
    static final class Ending {
        volatile long result = -1;
        volatile Throwable thrown;
        volatile boolean interrupted;
        volatile long endedAt;
    }

    static Ending start(Blocked transfer, Thread[] runner) {
        Ending ending = new Ending();
        Thread t = new Thread(() -> {
            try {
                ending.result = transfer.run();
            } catch (Throwable e) {
                ending.thrown = e;
            }
            ending.interrupted = Thread.currentThread().isInterrupted();
            ending.endedAt = System.nanoTime();
        }, "blocked-transfer");
        t.setDaemon(true);
        runner[0] = t;
        t.start();
        return ending;
    }

    /** Waits until the runner is parked inside the transfer (no timing assumptions). */
    static void awaitBlocked(Thread t) throws InterruptedException {
        for (int i = 0; i < 2000; i++) {
            Thread.State state = t.getState();
            if (state == Thread.State.TIMED_WAITING || state == Thread.State.WAITING
                    || (state == Thread.State.RUNNABLE && inPoll(t))) {
                Thread.sleep(100);
                return;
            }
            Thread.sleep(5);
        }
        fail("transfer never blocked: " + t.getState());
    }

    static boolean inPoll(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().startsWith("poll0") || e.getMethodName().startsWith("await")) {
                return true;
            }
        }
        return false;
    }

    static void assertEndsWithinASecond(Thread t, Ending ending, long closedAt) throws InterruptedException {
        t.join(10_000);
        assertFalse(t.isAlive(), "transfer still blocked 10 s after close/interrupt");
        long millis = TimeUnit.NANOSECONDS.toMillis(ending.endedAt - closedAt);
        assertTrue(millis < 1000, "woke " + millis + " ms after close/interrupt");
    }

    FileChannel bigFile() throws IOException {
        return FileChannel.open(TestSupport.randomFile(tmp, 64 << 20, 1), StandardOpenOption.READ);
    }

    FileChannel emptyTarget() throws IOException {
        return FileChannel.open(tmp.resolve("target-" + System.nanoTime()), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** A socket nobody reads, a pipe nobody drains: transferTo fills it and blocks. */
    static Channel[] stuckTarget(boolean socket) throws IOException {
        if (socket) {
            SocketChannel[] pair = TestSupport.socketPair();
            return new Channel[] {pair[0], pair[1]};
        }
        Pipe pipe = Pipe.open();
        return new Channel[] {pipe.sink(), pipe.source()};
    }

    /** A socket or pipe nobody writes to: transferFrom waits for data. */
    static Channel[] silentSource(boolean socket) throws IOException {
        if (socket) {
            SocketChannel[] pair = TestSupport.socketPair();
            return new Channel[] {pair[1], pair[0]};
        }
        Pipe pipe = Pipe.open();
        return new Channel[] {pipe.source(), pipe.sink()};
    }

    @Test
    void closingTheTargetOfABlockedTransferToReturnsTheCountMoved() throws Exception {
        for (boolean socket : new boolean[] {true, false}) {
            for (boolean closeSource : new boolean[] {false, true}) {
                try (FileChannel file = bigFile()) {
                    Channel[] target = stuckTarget(socket);
                    Thread[] t = new Thread[1];
                    Ending ending = start(() -> ZeroCopy.transferTo(file, 0, Long.MAX_VALUE,
                            (WritableByteChannel) target[0]), t);
                    awaitBlocked(t[0]);
                    long closedAt = System.nanoTime();
                    (closeSource ? file : target[0]).close();
                    assertEndsWithinASecond(t[0], ending, closedAt);
                    String label = (socket ? "socket" : "pipe") + (closeSource ? ", source closed" : ", target closed");
                    assertEquals(null, ending.thrown, label);
                    assertTrue(ending.result > 0, label + ": the bytes moved before the close: " + ending.result);
                    target[0].close();
                    target[1].close();
                }
            }
        }
    }

    /**
     * Closes {@code target} from another thread; returns when it started. A close that waits
     * 10 s means a kernel call sleeps holding the close lock: closing {@code peer} wakes it,
     * so the test fails instead of hanging.
     */
    static long closeOrUnstick(Channel target, Channel peer, String label) throws Exception {
        long closedAt = System.nanoTime();
        Future<Void> closing = TestSupport.async(() -> {
            target.close();
            return null;
        });
        try {
            closing.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            peer.close();
            fail(label + ": close() waited 10 s for a kernel call sleeping with the close lock");
        }
        return closedAt;
    }

    /**
     * A blocking socket with a small send buffer: poll says writable while far less room is
     * free than the library pipe holds, and a blocking send of the rest would sleep in the
     * kernel holding the close lock. Close must still end the transfer.
     */
    @Test
    void closingASmallBufferedSocketTargetOfABlockedTransferToReturnsTheCountMoved() throws Exception {
        for (int sendBuffer : new int[] {4096, 65536}) {
            try (FileChannel file = bigFile()) {
                SocketChannel[] pair = TestSupport.socketPair();
                pair[0].setOption(java.net.StandardSocketOptions.SO_SNDBUF, sendBuffer);
                pair[1].setOption(java.net.StandardSocketOptions.SO_RCVBUF, sendBuffer);
                Thread[] t = new Thread[1];
                Ending ending = start(() -> ZeroCopy.transferTo(file, 0, Long.MAX_VALUE, pair[0]), t);
                awaitBlocked(t[0]);
                long closedAt = closeOrUnstick(pair[0], pair[1], "SO_SNDBUF " + sendBuffer);
                assertEndsWithinASecond(t[0], ending, closedAt);
                assertEquals(null, ending.thrown, "SO_SNDBUF " + sendBuffer);
                assertTrue(ending.result > 0, "SO_SNDBUF " + sendBuffer + ": bytes moved before the close: "
                        + ending.result);
                pair[1].close();
            }
        }
    }

    /** sendfile into a blocking pipe or socket nobody drains: waits for room, and close ends it. */
    @Test
    void closingTheTargetOfABlockedSendfileReturnsTheCountMoved() throws Exception {
        for (boolean socket : new boolean[] {true, false}) {
            try (FileChannel file = bigFile()) {
                Channel[] target = stuckTarget(socket);
                Thread[] t = new Thread[1];
                Ending ending = start(() -> ZeroCopy.sendfile(file, 0, 64 << 20, (WritableByteChannel) target[0]), t);
                awaitBlocked(t[0]);
                long closedAt = closeOrUnstick(target[0], target[1], socket ? "socket" : "pipe");
                assertEndsWithinASecond(t[0], ending, closedAt);
                String label = socket ? "socket" : "pipe";
                assertEquals(null, ending.thrown, label);
                assertTrue(ending.result > 0, label + ": the bytes moved before the close: " + ending.result);
                target[1].close();
            }
        }
    }

    @Test
    void closingEitherChannelOfATransferFromWaitingForDataThrowsAsynchronousClose() throws Exception {
        for (boolean socket : new boolean[] {true, false}) {
            for (boolean closeFile : new boolean[] {false, true}) {
                Channel[] source = silentSource(socket);
                try (FileChannel file = emptyTarget()) {
                    Thread[] t = new Thread[1];
                    Ending ending = start(() -> ZeroCopy.transferFrom((ReadableByteChannel) source[0], file, 0,
                            1000), t);
                    awaitBlocked(t[0]);
                    long closedAt = System.nanoTime();
                    (closeFile ? file : source[0]).close();
                    assertEndsWithinASecond(t[0], ending, closedAt);
                    String label = (socket ? "socket" : "pipe") + (closeFile ? ", file closed" : ", source closed");
                    assertTrue(ending.thrown instanceof AsynchronousCloseException
                            && !(ending.thrown instanceof ClosedByInterruptException), label + ": " + ending.thrown);
                }
                source[0].close();
                source[1].close();
            }
        }
    }

    @Test
    void closingTheSourceAfterSomeBytesArrivedReturnsThoseBytes() throws Exception {
        SocketChannel[] pair = TestSupport.socketPair();
        try (FileChannel file = emptyTarget()) {
            pair[0].write(ByteBuffer.wrap(TestSupport.randomBytes(777, 7)));
            Thread[] t = new Thread[1];
            Ending ending = start(() -> ZeroCopy.transferFrom(pair[1], file, 0, 100_000), t);
            awaitBlocked(t[0]);
            long closedAt = System.nanoTime();
            pair[1].close();
            assertEndsWithinASecond(t[0], ending, closedAt);
            assertEquals(null, ending.thrown);
            assertEquals(777, ending.result);
            assertEquals(777, file.size());
        } finally {
            pair[0].close();
        }
    }

    @Test
    void interruptingABlockedTransferThrowsClosedByInterruptKeepsTheStatusAndClosesBoth() throws Exception {
        for (boolean socket : new boolean[] {true, false}) {
            for (boolean transferTo : new boolean[] {true, false}) {
                String label = (socket ? "socket" : "pipe") + (transferTo ? " transferTo" : " transferFrom");
                FileChannel file = transferTo ? bigFile() : emptyTarget();
                Channel[] other = transferTo ? stuckTarget(socket) : silentSource(socket);
                Thread[] t = new Thread[1];
                Ending ending = start(() -> transferTo
                        ? ZeroCopy.transferTo(file, 0, Long.MAX_VALUE, (WritableByteChannel) other[0])
                        : ZeroCopy.transferFrom((ReadableByteChannel) other[0], file, 0, 1000), t);
                awaitBlocked(t[0]);
                long interruptedAt = System.nanoTime();
                t[0].interrupt();
                assertEndsWithinASecond(t[0], ending, interruptedAt);
                assertTrue(ending.thrown instanceof ClosedByInterruptException, label + ": " + ending.thrown);
                assertTrue(ending.interrupted, label + ": the interrupt status stays set");
                assertFalse(file.isOpen(), label + ": the file channel is closed");
                assertFalse(other[0].isOpen(), label + ": the other channel is closed");
                other[1].close();
            }
        }
    }

    @Test
    void aThreadInterruptedBeforeTheCallGetsClosedByInterrupt() throws Exception {
        FileChannel file = bigFile();
        FileChannel target = emptyTarget();
        CompletableFuture<Object[]> outcome = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                outcome.complete(new Object[] {ZeroCopy.transferTo(file, 0, 10, target), null});
            } catch (IOException e) {
                outcome.complete(new Object[] {Thread.currentThread().isInterrupted(), e});
            }
        });
        t.start();
        Object[] result = outcome.get(10, TimeUnit.SECONDS);
        assertTrue(result[1] instanceof ClosedByInterruptException, String.valueOf(result[1]));
        assertEquals(true, result[0]);
        assertFalse(file.isOpen());
        assertFalse(target.isOpen());
    }

    @Test
    void anErrorAfterSomeBytesMovedReturnsTheCountAndTheNextCallThrows() throws Exception {
        try (FileChannel file = bigFile()) {
            SocketChannel[] pair = TestSupport.socketPair();
            // The peer reads a little, then goes away: the transfer meets EPIPE/ECONNRESET.
            java.util.concurrent.Future<Long> peer = TestSupport.async(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
                long total = 0;
                while (total < 100_000) {
                    total += pair[1].read(buffer.clear());
                }
                pair[1].close();
                return total;
            });
            long n = ZeroCopy.transferTo(file, 0, Long.MAX_VALUE, pair[0]);
            assertTrue(n >= peer.get(10, TimeUnit.SECONDS) && n < file.size(), "returned " + n);
            try {
                ZeroCopy.transferTo(file, n, Long.MAX_VALUE, pair[0]);
                fail("a call on a dead connection with nothing moved must throw");
            } catch (ErrnoException e) {
                assertTrue(e.getMessage().contains("EPIPE") || e.getMessage().contains("ECONNRESET"), e.getMessage());
            }
            pair[0].close();
        }
    }

    /**
     * JDK 21+ puts a socket's descriptor in O_NONBLOCK once a virtual thread blocked on it,
     * while the channel still says "blocking": EAGAIN then means wait and retry, never an
     * error or a short count.
     */
    @Test
    void aBlockingChannelWhoseDescriptorIsNonBlockingStillTransfersEverything() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "needs virtual threads");
        SocketChannel[] pair = TestSupport.socketPair();
        // A virtual thread blocks in read on pair[0] and on pair[1]: both descriptors turn O_NONBLOCK.
        for (SocketChannel channel : pair) {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            Thread reader = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class)
                    .invoke(builder, (Runnable) () -> {
                        try {
                            channel.read(ByteBuffer.allocate(1));
                        } catch (IOException ignored) {
                            // not expected; the assertions below would show it
                        }
                    });
            Thread.sleep(200);
            (channel == pair[0] ? pair[1] : pair[0]).write(ByteBuffer.wrap(new byte[] {1}));
            reader.join(5000);
        }
        for (SocketChannel channel : pair) {
            Endpoint endpoint = Endpoint.resolve(channel);
            assertTrue(channel.isBlocking());
            assertTrue((Native.describe0(endpoint.fd) & Native.NONBLOCKING) != 0, "the descriptor is O_NONBLOCK now");
        }
        Path source = TestSupport.randomFile(tmp, 64 << 20, 2);
        try (FileChannel file = FileChannel.open(source)) {
            java.util.concurrent.Future<TestSupport.Drained> received = TestSupport.drain(pair[1]);
            assertEquals(file.size(), ZeroCopy.transferTo(file, 0, Long.MAX_VALUE, pair[0]));
            pair[0].shutdownOutput();
            TestSupport.Drained got = received.get(30, TimeUnit.SECONDS);
            assertEquals(file.size(), got.bytes);
            assertEquals(TestSupport.sha256(source), got.sha256);
        }
        // And the other way: a slow writer, a blocking transferFrom that must wait, not return short.
        byte[] data = TestSupport.randomBytes(3 << 20, 12);
        java.util.concurrent.Future<Void> fed = TestSupport.async(() -> {
            for (int off = 0; off < data.length; off += 1 << 20) {
                Thread.sleep(50);
                ByteBuffer piece = ByteBuffer.wrap(data, off, 1 << 20);
                while (piece.hasRemaining()) {
                    pair[1].write(piece);
                }
            }
            return null;
        });
        try (FileChannel target = emptyTarget()) {
            assertEquals(data.length, ZeroCopy.transferFrom(pair[0], target, 0, data.length));
            ByteBuffer got = ByteBuffer.allocate(data.length);
            target.read(got, 0);
            assertEquals(ByteBuffer.wrap(data), got.flip());
        }
        fed.get(30, TimeUnit.SECONDS);
        pair[0].close();
        pair[1].close();
    }
}
