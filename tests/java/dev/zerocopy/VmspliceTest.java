package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.spi.SelectorProvider;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
     * The rule in ZeroCopy.vmsplice's javadoc: a buffer may be modified once the reader has
     * consumed the bytes taken from it. Sends "A"s, waits for the reader to have them, overwrites
     * the same buffer with "B"s, sends again: the reader sees exactly the A's then the B's.
     * Also records (prints) what this kernel does when the rule is broken.
     */
    @Test
    void bufferMayBeReusedOnceTheReaderConsumedItsBytes() throws Exception {
        int size = 64 * 1024;
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        try (KernelPipe pipe = ZeroCopy.pipe(1 << 20)) {
            for (byte round : new byte[] {'A', 'B', 'C'}) {
                fill(buffer, round);
                assertEquals(size, ZeroCopy.vmsplice(pipe.sink(), buffer));
                byte[] got = readExactly(pipe.source(), size).get(10, TimeUnit.SECONDS);
                byte[] want = new byte[size];
                Arrays.fill(want, round);
                assertArrayEquals(want, got, "round " + (char) round);
                assertEquals(0, pipe.available());
            }
            // Breaking the rule: modify before the reader reads. What the reader then sees depends
            // on the kernel (references to the pages, or copies); that is why the rule exists.
            fill(buffer, 'X');
            assertEquals(size, ZeroCopy.vmsplice(pipe.sink(), buffer));
            fill(buffer, 'Y');
            byte[] got = readExactly(pipe.source(), size).get(10, TimeUnit.SECONDS);
            System.out.println("vmsplice on this kernel: a change made before the reader read was "
                    + (got[0] == 'Y' ? "visible to the reader (pages are referenced)" : "not visible (pages were copied)"));
        }
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
