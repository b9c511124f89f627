package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ZeroCopy.vmsplice from direct buffers into pipes read by another thread. */
class VmspliceTest {
    @AfterEach
    void noThreadLeftInNative() throws InterruptedException {
        ProxySupport.assertNoThreadInNative();
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return buffer;
    }

    /** Reads exactly {@code n} bytes on another thread. */
    private static Future<byte[]> readExactly(Pipe.SourceChannel in, int n) {
        return TestSupport.async(() -> {
            ByteBuffer got = ByteBuffer.allocate(n);
            while (got.hasRemaining()) {
                if (in.read(got) < 0) {
                    break;
                }
            }
            return Arrays.copyOf(got.array(), got.position());
        });
    }

    @Test
    void gathersPositionToLimitOfEachBufferAndAdvancesPositions() throws Exception {
        byte[] a = TestSupport.randomBytes(5_000_000, 1);
        byte[] b = TestSupport.randomBytes(3_000_000, 2);
        byte[] c = TestSupport.randomBytes(1000, 3);
        ByteBuffer first = direct(a);
        first.position(100).limit(4_000_000);
        ByteBuffer empty = ByteBuffer.allocateDirect(10).limit(0);
        ByteBuffer second = direct(b);
        ByteBuffer third = direct(c).asReadOnlyBuffer();
        third.position(999);
        Pipe pipe = Pipe.open();
        long expected = (4_000_000 - 100) + 3_000_000 + 1;
        Future<byte[]> reader = readExactly(pipe.source(), (int) expected);
        // Blocking: waits for the reader to make room until every byte was taken.
        assertEquals(expected, ZeroCopy.vmsplice(pipe.sink(), first, empty, second, third));
        assertEquals(4_000_000, first.position());
        assertEquals(3_000_000, second.position());
        assertEquals(1000, third.position());
        ByteBuffer want = ByteBuffer.allocate((int) expected);
        want.put(a, 100, 4_000_000 - 100).put(b).put(c, 999, 1);
        assertArrayEquals(want.array(), reader.get(30, TimeUnit.SECONDS));
    }

    @Test
    void nonBlockingTakesWhatFitsAndAdvancesPositionsByExactlyThat() throws Exception {
        try (KernelPipe pipe = ZeroCopy.pipe(65536)) {
            pipe.sink().configureBlocking(false);
            byte[] a = TestSupport.randomBytes(50_000, 4);
            byte[] b = TestSupport.randomBytes(50_000, 5);
            ByteBuffer first = direct(a);
            ByteBuffer second = direct(b);
            long n = ZeroCopy.vmsplice(pipe.sink(), first, second);
            assertTrue(n > 0 && n < 100_000, "took " + n);
            assertEquals(n, first.position() + second.position());
            assertEquals(n, pipe.available());
            assertEquals(0, ZeroCopy.vmsplice(pipe.sink(), first, second), "full pipe: 0, not an error");
            assertEquals(n, first.position() + second.position(), "positions unchanged by a call that took nothing");
            byte[] got = readExactly(pipe.source(), (int) n).get(10, TimeUnit.SECONDS);
            ByteBuffer want = ByteBuffer.allocate(100_000).put(a).put(b);
            assertArrayEquals(Arrays.copyOf(want.array(), (int) n), got);
        }
    }

    /**
     * The rule in ZeroCopy.vmsplice's javadoc: a buffer may be modified as soon as the call
     * returned. Sends "X"s, overwrites the buffer with "Y"s before the reader has read a byte:
     * the reader sees only X's (before issue 16 it saw the Y's: the pipe held the pages).
     */
    @Test
    void aBufferModifiedRightAfterTheCallChangesNothingTheReaderSees() throws Exception {
        int size = 64 * 1024;
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        try (KernelPipe pipe = ZeroCopy.pipe(1 << 20)) {
            for (byte round : new byte[] {'A', 'B', 'C'}) {
                fill(buffer, round);
                assertEquals(size, ZeroCopy.vmsplice(pipe.sink(), buffer));
                fill(buffer, 'Y');
                assertArrayEquals(filled(size, round), readExactly(pipe.source(), size).get(10, TimeUnit.SECONDS),
                        "round " + (char) round);
            }
        }
    }

    /**
     * The second experiment: the pipe is "drained" (spliced on to a socket and teed
     * into another pipe, available() == 0), then the buffer changes; neither the socket's
     * peer nor the tee's reader may see the change (they got 65,536 of 65,536 changed bytes).
     */
    @Test
    void aBufferModifiedAfterItsPipeWasTeedAndSplicedToASocketChangesNothingDownstream() throws Exception {
        int size = 64 * 1024;
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        fill(buffer, 'A');
        SocketChannel[] sockets = TestSupport.socketPair();
        try (KernelPipe pipe = ZeroCopy.pipe(1 << 20); KernelPipe copy = ZeroCopy.pipe(1 << 20)) {
            assertEquals(size, ZeroCopy.vmsplice(pipe.sink(), buffer));
            assertEquals(size, ZeroCopy.tee(pipe.source(), copy.sink(), size));
            sockets[0].configureBlocking(false);
            long moved = 0;
            for (int round = 0; moved < size && round < 1000; round++) {
                long n = ZeroCopy.splice(pipe.source(), sockets[0], size - moved);
                moved += Math.max(n, 0);
                if (n == 0) {
                    Thread.sleep(1);
                }
            }
            assertEquals(size, moved, "the socket's buffers take 64 KiB without the peer reading");
            assertEquals(0, pipe.available(), "drained");
            fill(buffer, 'Z');
            assertArrayEquals(filled(size, 'A'), readExactly(copy.source(), size).get(10, TimeUnit.SECONDS), "tee");
            ByteBuffer got = ByteBuffer.allocate(size);
            while (got.hasRemaining() && sockets[1].read(got) >= 0) {
                // blocking reads until every byte arrived
            }
            assertArrayEquals(filled(size, 'A'), got.array(), "socket peer");
        } finally {
            sockets[0].close();
            sockets[1].close();
        }
    }

    /**
     * The first experiment: a buffer is vmspliced, dropped and freed by its Cleaner;
     * then a FileInputStream read (whose temporary native buffer malloc may place in the freed
     * memory) fills memory with a file's bytes. The pipe's reader must still get the buffer's
     * bytes, in every trial (before issue 16 it got the file's bytes in 17-20 of 20).
     */
    @Test
    void aFreedBufferWhoseMemoryIsReusedByAFileReadNeverLeaksIntoThePipe(@TempDir Path dir) throws Exception {
        int size = 64 * 1024;
        Path file = dir.resolve("secret");
        Files.write(file, filled(size, 'F'));
        int leaks = 0;
        for (int trial = 0; trial < 20; trial++) {
            try (KernelPipe pipe = ZeroCopy.pipe(1 << 20)) {
                WeakReference<ByteBuffer> dropped = vmspliceAndDrop(pipe, size);
                for (int i = 0; dropped.get() != null && i < 100; i++) {
                    System.gc();
                    Thread.sleep(10);
                }
                Thread.sleep(20); // the Cleaner thread frees the memory once the buffer is gone
                byte[] read = new byte[size];
                try (FileInputStream in = new FileInputStream(file.toFile())) {
                    assertEquals(size, in.readNBytes(read, 0, size));
                }
                byte[] got = readExactly(pipe.source(), size).get(10, TimeUnit.SECONDS);
                if (!Arrays.equals(filled(size, 'a'), got)) {
                    leaks++;
                }
            }
        }
        assertEquals(0, leaks, "trials in which the pipe delivered bytes that were not the buffer's");
    }

    private static WeakReference<ByteBuffer> vmspliceAndDrop(KernelPipe pipe, int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        fill(buffer, 'a');
        assertEquals(size, ZeroCopy.vmsplice(pipe.sink(), buffer));
        return new WeakReference<>(buffer);
    }

    /**
     * Another thread moves the buffer's position to and fro during the calls: no call may
     * take more than the buffer's 4,096 bytes nor send a byte from outside it (the buffer is
     * a slice of a larger one whose other bytes are 'O').
     */
    @Test
    void aPositionMovedByAnotherThreadNeverSendsBytesFromOutsideTheBuffer() throws Exception {
        ByteBuffer outside = ByteBuffer.allocateDirect(3 * 4096);
        fill(outside, 'O');
        ByteBuffer buffer = outside.position(4096).limit(8192).slice();
        fill(buffer, 'b');
        AtomicBoolean stop = new AtomicBoolean();
        Future<?> mover = TestSupport.async(() -> {
            while (!stop.get()) {
                buffer.position(4096);
                buffer.position(0);
                buffer.position(2048);
            }
            return null;
        });
        long calls = 0;
        try (KernelPipe pipe = ZeroCopy.pipe(1 << 16)) {
            pipe.sink().configureBlocking(false);
            pipe.source().configureBlocking(false);
            ByteBuffer drained = ByteBuffer.allocate(1 << 16);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < end) {
                long n = ZeroCopy.vmsplice(pipe.sink(), buffer);
                calls++;
                assertTrue(n >= 0 && n <= 4096, "took " + n + " bytes from a 4096-byte buffer");
                drained.clear();
                while (pipe.source().read(drained) > 0 && drained.hasRemaining()) {
                    // non-blocking: everything queued
                }
                for (int i = 0; i < drained.position(); i++) {
                    assertEquals('b', drained.get(i), "byte " + i + " of call " + calls + " came from outside the buffer");
                }
            }
        } finally {
            stop.set(true);
            mover.get(10, TimeUnit.SECONDS);
        }
        assertTrue(calls > 0);
    }

    private static byte[] filled(int size, int value) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    private static void fill(ByteBuffer buffer, int value) {
        buffer.clear();
        while (buffer.hasRemaining()) {
            buffer.put((byte) value);
        }
        buffer.flip();
    }

    @Test
    void badInputsThrowClearlyAndWriteNothing() throws Exception {
        try (KernelPipe pipe = ZeroCopy.pipe(65536)) {
            ByteBuffer good = direct(new byte[] {1, 2, 3});
            ByteBuffer heap = ByteBuffer.wrap(new byte[] {4, 5, 6});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ZeroCopy.vmsplice(pipe.sink(), good, heap));
            assertTrue(e.getMessage().contains("srcs[1] is a heap buffer"), e.getMessage());
            assertTrue(e.getMessage().contains("allocateDirect"), e.getMessage());
            assertEquals(0, good.position(), "the direct buffer before it was not taken either");
            assertThrows(NullPointerException.class, () -> ZeroCopy.vmsplice(null, good));
            assertThrows(NullPointerException.class, () -> ZeroCopy.vmsplice(pipe.sink(), (ByteBuffer[]) null));
            assertThrows(NullPointerException.class, () -> ZeroCopy.vmsplice(pipe.sink(), good, null));
            IllegalArgumentException fake = assertThrows(IllegalArgumentException.class,
                    () -> ZeroCopy.vmsplice(new FakeSink(), good));
            assertTrue(fake.getMessage().contains(FakeSink.class.getName()), fake.getMessage());
            assertEquals(0, ZeroCopy.vmsplice(pipe.sink()), "no buffers, nothing to do");
            assertEquals(0, pipe.available(), "nothing written");
            assertEquals(0, good.position());
        }
        Pipe closed = Pipe.open();
        closed.sink().close();
        assertThrows(ClosedChannelException.class, () -> ZeroCopy.vmsplice(closed.sink(), direct(new byte[1])));
        closed.source().close();
    }

    @Test
    void closeAndInterruptEndAVmspliceBlockedOnAFullPipeWithinASecond() throws Exception {
        for (boolean interrupt : new boolean[] {false, true}) {
            KernelPipe pipe = ZeroCopy.pipe(4096);
            ByteBuffer big = ByteBuffer.allocateDirect(1 << 20);
            Thread[] worker = new Thread[1];
            Future<Object[]> outcome = TestSupport.async(() -> {
                worker[0] = Thread.currentThread();
                try {
                    return new Object[] {ZeroCopy.vmsplice(pipe.sink(), big), false};
                } catch (IOException e) {
                    return new Object[] {e, Thread.interrupted()};
                }
            });
            Thread.sleep(300);
            assertFalse(outcome.isDone(), "vmsplice waits for room");
            long start = System.nanoTime();
            if (interrupt) {
                worker[0].interrupt();
            } else {
                pipe.sink().close();
            }
            Object[] result = outcome.get(5, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 1000, "woke after " + millis + " ms");
            if (interrupt) {
                assertEquals(ClosedByInterruptException.class, result[0].getClass());
                assertEquals(true, result[1], "interrupt status kept");
                assertFalse(pipe.sink().isOpen());
            } else {
                // Some bytes went in before it blocked: NIO's rule returns that count.
                assertTrue(result[0] instanceof Long || result[0] instanceof AsynchronousCloseException,
                        String.valueOf(result[0]));
                assertEquals(result[0] instanceof Long ? (long) (Long) result[0] : 0L, (long) big.position());
            }
            pipe.close();
        }
    }

    /** A SinkChannel subclass with no descriptor behind it. */
    static final class FakeSink extends Pipe.SinkChannel {
        FakeSink() {
            super(SelectorProvider.provider());
        }

        @Override
        public int write(ByteBuffer src) {
            return 0;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            return 0;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return 0;
        }

        @Override
        protected void implCloseSelectableChannel() {}

        @Override
        protected void implConfigureBlocking(boolean block) {}
    }
}
