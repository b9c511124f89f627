package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ZeroCopy.splice between real sockets, pipes and files. */
class SpliceTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64 * 1024, (1 << 20) + 1, 100 << 20})
    void socketToSocketDeliversEveryByte(int size) throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        byte[] data = TestSupport.randomBytes(size, size);
        Future<Void> feeder = TestSupport.feed(from[0], data);
        Future<TestSupport.Drained> received = TestSupport.drain(to[1]);
        long moved = 0;
        for (long n; (n = ZeroCopy.splice(from[1], to[0], Long.MAX_VALUE)) > 0; ) {
            moved += n;
        }
        to[0].close();
        feeder.get(30, TimeUnit.SECONDS);
        assertEquals(size, moved);
        TestSupport.Drained result = received.get(30, TimeUnit.SECONDS);
        assertEquals((long) size, result.bytes);
        assertEquals(TestSupport.sha256(data), result.sha256);
        from[1].close();
    }

    @Test
    void blockingSpliceReturnsWhenCountMovedOrAtEndOfStream() throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        Future<Void> feeder = TestSupport.feed(from[0], TestSupport.randomBytes(300_000, 1));
        Future<TestSupport.Drained> received = TestSupport.drain(to[1]);
        assertEquals(200_000, ZeroCopy.splice(from[1], to[0], 200_000));
        assertEquals(100_000, ZeroCopy.splice(from[1], to[0], 200_000), "the rest, then end of stream");
        assertEquals(-1, ZeroCopy.splice(from[1], to[0], 200_000), "end of stream is -1, not 0");
        to[0].close();
        feeder.get();
        assertEquals(300_000L, received.get().bytes);
    }

    @Test
    void nonBlockingSpliceWithNothingToReadReturnsZero() throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        from[1].configureBlocking(false);
        assertEquals(0, ZeroCopy.splice(from[1], to[0], 1000));
        from[0].write(ByteBuffer.wrap(new byte[] {42}));
        long n = 0;
        for (int i = 0; i < 1000 && n == 0; i++) {
            n = ZeroCopy.splice(from[1], to[0], 1000);
            Thread.sleep(1);
        }
        assertEquals(1, n);
        from[0].close();
        long end = 0;
        for (int i = 0; i < 1000 && end == 0; i++) {
            end = ZeroCopy.splice(from[1], to[0], 1000);
            Thread.sleep(1);
        }
        assertEquals(-1, end);
    }

    @Test
    void nonblockingFlagOnBlockingChannelsDoesNotWait() throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        from[0].write(ByteBuffer.wrap(new byte[] {1, 2}));
        Thread.sleep(50);
        // With data ready it moves it; with none it returns 0 instead of blocking.
        assertEquals(2, ZeroCopy.splice(from[1], to[0], 10, SpliceFlag.NONBLOCK));
        assertEquals(0, ZeroCopy.splice(from[1], to[0], 10, SpliceFlag.NONBLOCK));
    }

    @Test
    void pipeToSocketAndSocketToPipeGoDirect() throws Exception {
        Pipe pipe = Pipe.open();
        SocketChannel[] sockets = TestSupport.socketPair();
        byte[] data = TestSupport.randomBytes(10_000, 7);
        pipe.sink().write(ByteBuffer.wrap(data));
        assertEquals(10_000, ZeroCopy.splice(pipe.source(), sockets[0], 10_000));
        ByteBuffer got = ByteBuffer.allocate(10_000);
        while (got.hasRemaining()) {
            sockets[1].read(got);
        }
        assertArrayEquals(data, got.array());
        sockets[1].write(ByteBuffer.wrap(data, 0, 500));
        assertEquals(500, ZeroCopy.splice(sockets[0], pipe.sink(), 500));
        ByteBuffer back = ByteBuffer.allocate(500);
        pipe.source().read(back);
        assertEquals(500, back.position());
    }

    @Test
    void fileToFileUsesAndAdvancesBothPositions() throws Exception {
        Path source = TestSupport.randomFile(tmp, 3 << 20, 3);
        Path target = tmp.resolve("target.bin");
        try (FileChannel in = FileChannel.open(source);
                FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            in.position(1000);
            out.position(10);
            assertEquals(2 << 20, ZeroCopy.splice(in, out, 2 << 20));
            assertEquals(1000 + (2 << 20), in.position());
            assertEquals(10 + (2 << 20), out.position());
        }
        assertEquals(TestSupport.sha256(source, 1000, 2 << 20), TestSupport.sha256(target, 10, 2 << 20));
    }

    @Test
    void explicitPositionsLeaveChannelPositionsAlone() throws Exception {
        Path source = TestSupport.randomFile(tmp, 100_000, 4);
        Path target = tmp.resolve("target.bin");
        try (FileChannel in = FileChannel.open(source);
                FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            assertEquals(50_000, ZeroCopy.splice(in, 30_000, out, 5, 50_000));
            assertEquals(0, in.position());
            assertEquals(0, out.position());
            assertEquals(-1, ZeroCopy.splice(in, 100_000, out, 0, 10), "at end of file");
        }
        assertEquals(TestSupport.sha256(source, 30_000, 50_000), TestSupport.sha256(target, 5, 50_000));
    }

    @Test
    void everyWayToGetAFileChannelAndRawDescriptorsWork() throws Exception {
        Path source = TestSupport.randomFile(tmp, 4096, 5);
        byte[] expected = Files.readAllBytes(source);
        try (FileInputStream stream = new FileInputStream(source.toFile());
                RandomAccessFile raf = new RandomAccessFile(source.toFile(), "r")) {
            for (Object in : new Object[] {stream.getChannel(), raf.getChannel(),
                    FileChannel.open(source), new RandomAccessFile(source.toFile(), "rw").getChannel()}) {
                Pipe pipe = Pipe.open();
                assertEquals(4096, ZeroCopy.splice((Channel) in, 0, pipe.sink(), -1, 4096));
                ByteBuffer got = ByteBuffer.allocate(4096);
                while (got.hasRemaining()) {
                    pipe.source().read(got);
                }
                assertArrayEquals(expected, got.array());
            }
        }
    }

    @Test
    void fileOutputStreamChannelsAreWritableTargets() throws Exception {
        Path target = tmp.resolve("out.bin");
        Pipe pipe = Pipe.open();
        pipe.sink().write(ByteBuffer.wrap(new byte[] {5, 6, 7}));
        try (java.io.FileOutputStream out = new java.io.FileOutputStream(target.toFile())) {
            assertEquals(3, ZeroCopy.splice(pipe.source(), out.getChannel(), 3));
        }
        assertArrayEquals(new byte[] {5, 6, 7}, Files.readAllBytes(target));
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingMoves() throws Exception {
        SocketChannel[] s = TestSupport.socketPair();
        assertThrows(NullPointerException.class, () -> ZeroCopy.splice(null, s[0], 1));
        assertThrows(NullPointerException.class, () -> ZeroCopy.splice(s[1], null, 1));
        assertThrows(NullPointerException.class, () -> ZeroCopy.splice(s[1], s[0], 1, (SpliceFlag[]) null));
        assertThrows(IllegalArgumentException.class, () -> ZeroCopy.splice(s[1], s[0], -1));
        assertThrows(IllegalArgumentException.class, () -> ZeroCopy.splice(s[1], -2, s[0], -1, 1));
        IllegalArgumentException position = assertThrows(IllegalArgumentException.class,
                () -> ZeroCopy.splice(s[1], 0, s[0], -1, 1));
        assertTrue(position.getMessage().contains("files only"), position.getMessage());
        Channel own = new Channel() {
            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
        IllegalArgumentException noFd = assertThrows(IllegalArgumentException.class,
                () -> ZeroCopy.splice(own, s[0], 1));
        assertTrue(noFd.getMessage().contains(own.getClass().getName()), noFd.getMessage());
        s[1].close();
        assertThrows(ClosedChannelException.class, () -> ZeroCopy.splice(s[1], s[0], 1));
        assertThrows(ClosedChannelException.class, () -> ZeroCopy.splice(s[0], s[1], 1));
        assertEquals(0, s[0].socket().getInputStream().available());
    }

    @Test
    void rawDescriptorsWork() throws Exception {
        Path file = TestSupport.randomFile(tmp, 1000, 8);
        Pipe pipe = Pipe.open();
        try (FileInputStream stream = new FileInputStream(file.toFile())) {
            assertEquals(1000, ZeroCopy.splice(ZeroCopy.wrap(stream.getFD()), pipe.sink(), 1000));
        }
        ByteBuffer got = ByteBuffer.allocate(1000);
        while (got.hasRemaining()) {
            pipe.source().read(got);
        }
        assertArrayEquals(Files.readAllBytes(file), got.array());
    }

    @Test
    void closedRawDescriptorIsAClosedChannel() throws Exception {
        Path file = TestSupport.randomFile(tmp, 10, 6);
        FileInputStream stream = new FileInputStream(file.toFile());
        FileDescriptor fd = stream.getFD();
        stream.close();
        Pipe pipe = Pipe.open();
        assertThrows(ClosedChannelException.class, () -> ZeroCopy.splice(ZeroCopy.wrap(fd), pipe.sink(), 10));
    }

    @Test
    void closeFromAnotherThreadEndsABlockedSpliceWithinASecond() throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        Future<Long> blocked = TestSupport.async(() -> ZeroCopy.splice(from[1], to[0], 10));
        Thread.sleep(200);
        assertFalse(blocked.isDone(), "splice returned with no data");
        long start = System.nanoTime();
        from[1].close();
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> blocked.get(5, TimeUnit.SECONDS));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(AsynchronousCloseException.class, e.getCause().getClass());
        assertTrue(millis < 1000, "woke after " + millis + " ms");
        assertTrue(to[0].isOpen(), "the other channel stays open");
    }

    @Test
    void closeAfterSomeBytesReturnsTheCountMoved() throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        from[0].write(ByteBuffer.wrap(new byte[100]));
        Future<Long> blocked = TestSupport.async(() -> ZeroCopy.splice(from[1], to[0], 1000));
        Thread.sleep(200);
        to[0].close();
        assertEquals(100, blocked.get(5, TimeUnit.SECONDS));
    }

    @Test
    void interruptClosesBothChannelsAndKeepsTheStatus() throws Exception {
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        Thread[] worker = new Thread[1];
        Future<Object[]> outcome = TestSupport.async(() -> {
            worker[0] = Thread.currentThread();
            try {
                ZeroCopy.splice(from[1], to[0], 10);
                return new Object[] {"returned", false};
            } catch (IOException e) {
                return new Object[] {e, Thread.interrupted()};
            }
        });
        Thread.sleep(200);
        long start = System.nanoTime();
        worker[0].interrupt();
        Object[] result = outcome.get(5, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(ClosedByInterruptException.class, result[0].getClass());
        assertEquals(true, result[1], "interrupt status kept");
        assertFalse(from[1].isOpen());
        assertFalse(to[0].isOpen());
        assertTrue(millis < 1000, "woke after " + millis + " ms");
    }
}
