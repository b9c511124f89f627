package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ZeroCopy.tee on JDK pipes and KernelPipes. Size: -Dzerocopy.test.teeBytes (default 256 MiB). */
class TeeTest {
    private static final long BYTES = ProxySupport.size("zerocopy.test.teeBytes", 256L << 20);

    @TempDir
    Path tmp;

    @AfterEach
    void noThreadLeftInNative() throws InterruptedException {
        ProxySupport.assertNoThreadInNative();
    }

    @Test
    void streamIsDuplicatedIntoALogFileWhileForwardedAndBothCopiesAreIdentical() throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        Path log = tmp.resolve("log.bin");
        Future<Long> sent = ProxySupport.feed(from[0], BYTES, 11, true);
        Future<long[]> received = ProxySupport.drain(to[1], 20);
        long teed = 0;
        try (KernelPipe a = ZeroCopy.pipe(1 << 20); KernelPipe b = ZeroCopy.pipe(1 << 20);
                FileChannel file = FileChannel.open(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long n; (n = ZeroCopy.splice(from[1], a.sink(), 256 * 1024)) > 0; ) {
                for (long left = n; left > 0; ) {
                    long t = ZeroCopy.tee(a.source(), b.sink(), left);
                    assertTrue(t > 0 && t <= left, "tee duplicated " + t + " of " + left);
                    assertEquals(t, ZeroCopy.splice(b.source(), file, t));
                    assertEquals(t, ZeroCopy.splice(a.source(), to[0], t));
                    left -= t;
                    teed += t;
                }
            }
            assertEquals(0, a.available());
        }
        to[0].close();
        long[] got = received.get(120, TimeUnit.SECONDS);
        assertEquals(BYTES, teed);
        assertEquals(BYTES, got[1]);
        assertEquals(sent.get(), got[0], "forwarded copy");
        assertEquals(BYTES, Files.size(log));
        assertEquals(sent.get(), crc(log), "logged copy");
        from[1].close();
    }

    private static long crc(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel in = FileChannel.open(file)) {
            while (in.read(buffer.clear()) > 0) {
                crc.update(buffer.flip());
            }
        }
        return crc.getValue();
    }

    @Test
    void teeLeavesTheBytesInTheInputAndWorksOnJdkPipes() throws Exception {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        in.sink().write(ByteBuffer.wrap("hello tee".getBytes("UTF-8")));
        assertEquals(9, ZeroCopy.tee(in.source(), out.sink(), 100));
        assertEquals(5, ZeroCopy.tee(in.source(), out.sink(), 5), "count limits it");
        ByteBuffer original = ByteBuffer.allocate(9);
        in.source().read(original);
        ByteBuffer copy = ByteBuffer.allocate(14);
        out.source().read(copy);
        assertEquals("hello tee", new String(original.array(), "UTF-8"));
        assertEquals("hello teehello", new String(copy.array(), "UTF-8"));
    }

    @Test
    void endOfStreamIsMinusOneAndWouldBlockIsZero() throws Exception {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        assertEquals(0, ZeroCopy.tee(in.source(), out.sink(), 10, SpliceFlag.NONBLOCK), "empty, writer open");
        in.source().configureBlocking(false);
        assertEquals(0, ZeroCopy.tee(in.source(), out.sink(), 10), "non-blocking channel");
        in.source().configureBlocking(true);
        in.sink().close();
        assertEquals(-1, ZeroCopy.tee(in.source(), out.sink(), 10), "empty, writer closed");
        assertEquals(0, ZeroCopy.tee(in.source(), out.sink(), 0));
    }

    @Test
    void fullOutputInNonBlockingModeIsZero() throws Exception {
        try (KernelPipe in = ZeroCopy.pipe(4096); KernelPipe out = ZeroCopy.pipe(4096)) {
            in.sink().write(ByteBuffer.wrap(new byte[100]));
            out.sink().write(ByteBuffer.wrap(new byte[4096]));
            assertEquals(0, ZeroCopy.tee(in.source(), out.sink(), 100, SpliceFlag.NONBLOCK));
        }
    }

    @Test
    void badInputsThrowClearlyAndWriteNothing() throws Exception {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        in.sink().write(ByteBuffer.wrap(new byte[10]));
        assertThrows(NullPointerException.class, () -> ZeroCopy.tee(null, out.sink(), 1));
        assertThrows(NullPointerException.class, () -> ZeroCopy.tee(in.source(), null, 1));
        assertThrows(NullPointerException.class, () -> ZeroCopy.tee(in.source(), out.sink(), 1, (SpliceFlag[]) null));
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> ZeroCopy.tee(in.source(), out.sink(), -1));
        assertTrue(negative.getMessage().contains("negative"), negative.getMessage());
        Pipe.SourceChannel fake = new FakeSource();
        IllegalArgumentException notPipe = assertThrows(IllegalArgumentException.class,
                () -> ZeroCopy.tee(fake, out.sink(), 1));
        assertTrue(notPipe.getMessage().contains(FakeSource.class.getName()), notPipe.getMessage());
        ErrnoException same = assertThrows(ErrnoException.class, () -> ZeroCopy.tee(in.source(), in.sink(), 1));
        assertTrue(same.getMessage().startsWith("tee(fd "), same.getMessage());
        Pipe closed = Pipe.open();
        closed.sink().close();
        assertThrows(ClosedChannelException.class, () -> ZeroCopy.tee(in.source(), closed.sink(), 1));
        closed.source().close();
        assertThrows(ClosedChannelException.class, () -> ZeroCopy.tee(closed.source(), out.sink(), 1));
        try (KernelPipe probe = ZeroCopy.pipe(out)) {
            assertEquals(0, probe.available(), "nothing written to the output");
        }
    }

    @Test
    void closeWhileBlockedEndsTeeWithinASecond() throws Exception {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        Object result = blockThenWake(in, out, null, () -> in.source().close());
        assertEquals(AsynchronousCloseException.class, result.getClass());
        assertTrue(out.sink().isOpen());
    }

    @Test
    void closingTheFullOutputEndsTeeWithinASecond() throws Exception {
        try (KernelPipe in = ZeroCopy.pipe(4096); KernelPipe out = ZeroCopy.pipe(4096)) {
            in.sink().write(ByteBuffer.wrap(new byte[100]));
            out.sink().write(ByteBuffer.wrap(new byte[4096]));
            Object result = blockThenWake(in, out, null, () -> out.sink().close());
            assertEquals(AsynchronousCloseException.class, result.getClass());
        }
    }

    @Test
    void interruptWhileBlockedEndsTeeClosesBothAndKeepsTheStatus() throws Exception {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        Thread[] worker = new Thread[1];
        Object result = blockThenWake(in, out, worker, () -> worker[0].interrupt());
        assertEquals(ClosedByInterruptException.class, result.getClass());
        assertFalse(in.source().isOpen());
        assertFalse(out.sink().isOpen());
    }

    interface Action {
        void run() throws Exception;
    }

    private static Object blockThenWake(Object in, Object out, Thread[] worker, Action wake) throws Exception {
        Pipe.SourceChannel source = in instanceof KernelPipe ? ((KernelPipe) in).source() : ((Pipe) in).source();
        Pipe.SinkChannel sink = out instanceof KernelPipe ? ((KernelPipe) out).sink() : ((Pipe) out).sink();
        Future<Object> outcome = TestSupport.async(() -> {
            if (worker != null) {
                worker[0] = Thread.currentThread();
            }
            try {
                return ZeroCopy.tee(source, sink, 100);
            } catch (IOException e) {
                return worker != null && Thread.interrupted() ? e : worker == null ? e : "status lost: " + e;
            }
        });
        Thread.sleep(300);
        assertFalse(outcome.isDone(), "tee returned instead of waiting");
        long start = System.nanoTime();
        wake.run();
        Object result = outcome.get(5, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 1000, "woke after " + millis + " ms");
        return result;
    }

    /** A SourceChannel subclass with no descriptor behind it. */
    static final class FakeSource extends Pipe.SourceChannel {
        FakeSource() {
            super(SelectorProvider.provider());
        }

        @Override
        public int read(ByteBuffer dst) {
            return -1;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            return -1;
        }

        @Override
        public long read(ByteBuffer[] dsts) {
            return -1;
        }

        @Override
        protected void implCloseSelectableChannel() {}

        @Override
        protected void implConfigureBlocking(boolean block) {}
    }
}
