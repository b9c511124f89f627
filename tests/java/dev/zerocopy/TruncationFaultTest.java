package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's fault "file truncated while a transfer reads it". The receiver truncates the
 * source after it has read {@link #READ_BEFORE} bytes, while the sender is at most a few
 * socket or pipe buffers ahead: the call then meets end of file at the new size and returns
 * the count that moved (or, where the bytes already sent pass the new size, the count that
 * moved up to the truncation). Never an Error, never a hang; the receiver's bytes are the
 * source's prefix; the library keeps working.
 */
class TruncationFaultTest {
    private static final int SIZE = 64 << 20;
    private static final int READ_BEFORE = 1 << 20;
    private static final int NEW_SIZE = 32 << 20;
    private static final int SMALL_BUFFER = 64 << 10;

    @TempDir
    Path dir;

    private Path source;

    @BeforeEach
    void writeSource() throws IOException {
        source = dir.resolve("source");
        try (FileChannel out = FileChannel.open(source, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < SIZE; at += chunk.capacity()) {
                chunk.clear();
                for (long word = at; chunk.hasRemaining(); word += 8) {
                    chunk.putLong(pattern(word));
                }
                chunk.flip();
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
            }
        }
        ZeroCopy.pipe(4096).close();
        Relay.closeIdlePipes();
    }

    @AfterEach
    void noThreadLeftInNative() throws InterruptedException {
        ProxySupport.assertNoThreadInNative();
    }

    /** The long at file offset {@code offset} (a multiple of 8): unique per offset, cheap to check. */
    private static long pattern(long offset) {
        return offset * 0x9E3779B97F4A7C15L ^ 0x5DEECE66DL;
    }

    /**
     * Reads {@code in} to end of stream, checking every byte against the source pattern;
     * truncates the source to {@code newSize} (unless negative) once {@link #READ_BEFORE} bytes arrived.
     * Returns the byte count, or throws AssertionError at the first wrong byte.
     */
    private Future<Long> checkAndTruncate(ReadableByteChannel in, long newSize) {
        return TestSupport.async(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            ByteBuffer expected = ByteBuffer.allocate(8);
            long total = 0;
            boolean truncated = false;
            for (int n; (n = in.read(buffer.clear())) >= 0; ) {
                for (int i = 0; i < n; i++) {
                    long at = total + i;
                    byte want = expected.putLong(0, pattern(at & ~7L)).get((int) (at & 7));
                    if (buffer.get(i) != want) {
                        throw new AssertionError("byte " + at + " is not the source's");
                    }
                }
                total += n;
                if (!truncated && newSize >= 0 && total >= READ_BEFORE) {
                    try (FileChannel ch = FileChannel.open(source, StandardOpenOption.WRITE)) {
                        ch.truncate(newSize);
                    }
                    truncated = true;
                }
            }
            return total;
        });
    }

    private static SocketChannel[] smallBufferedPair() throws IOException {
        SocketChannel[] pair = TestSupport.socketPair();
        // Small fixed buffers (no autotuning up to 32 MiB): the sender stays close to the reader.
        pair[0].setOption(StandardSocketOptions.SO_SNDBUF, SMALL_BUFFER);
        pair[1].setOption(StandardSocketOptions.SO_RCVBUF, SMALL_BUFFER);
        return pair;
    }

    interface Sender {
        long send(FileChannel src, WritableByteChannel out) throws IOException;
    }

    /** Runs {@code sender} into a socket whose reader truncates the source; returns [sent, received]. */
    private long[] sendWhileTruncating(Sender sender, long newSize) throws Exception {
        SocketChannel[] pair = smallBufferedPair();
        try (FileChannel src = FileChannel.open(source); SocketChannel out = pair[0]; SocketChannel in = pair[1]) {
            Future<Long> received = checkAndTruncate(in, newSize);
            long sent = sender.send(src, out);
            out.shutdownOutput();
            return new long[] {sent, received.get(60, TimeUnit.SECONDS)};
        }
    }

    @Test
    void transferToASocketEndsAtTheNewEndOfFileAsNioDoes() throws Exception {
        long[] nio = sendWhileTruncating((src, out) -> src.transferTo(0, SIZE, out), NEW_SIZE);
        Files.delete(source);
        writeSource();
        TestSupport.Snapshot fdsBefore = TestSupport.Snapshot.take();
        long[] zc = sendWhileTruncating((src, out) -> ZeroCopy.transferTo(src, 0, SIZE, out), NEW_SIZE);
        System.out.println("truncated to " + NEW_SIZE + " during transferTo(socket): returned " + zc[0]
                + ", NIO " + nio[0]);
        assertEquals(NEW_SIZE, zc[0], "transferTo stops at the new end of file");
        assertEquals(zc[0], zc[1], "the receiver got exactly the bytes reported");
        assertEquals(nio[0], zc[0], "the same count as FileChannel.transferTo");
        assertEquals(nio[0], nio[1]);
        provesTheProcessStillWorks();
        Relay.closeIdlePipes();
        fdsBefore.assertNoNewDescriptors("descriptors after the truncated transfer");
    }

    @Test
    void transferToASocketWhenTheFileShrinksBelowWhatWasSentReturnsWhatWasSent() throws Exception {
        long[] nio = sendWhileTruncating((src, out) -> src.transferTo(0, SIZE, out), 0);
        Files.delete(source);
        writeSource();
        long[] zc = sendWhileTruncating((src, out) -> ZeroCopy.transferTo(src, 0, SIZE, out), 0);
        System.out.println("truncated to 0 during transferTo(socket): returned " + zc[0] + ", NIO " + nio[0]);
        assertTrue(zc[0] >= READ_BEFORE && zc[0] < NEW_SIZE, "a partial count: " + zc[0]);
        assertEquals(zc[0], zc[1], "the receiver got exactly the bytes reported");
        assertEquals(nio[0], nio[1]);
        Files.delete(source);
        writeSource();
        provesTheProcessStillWorks();
    }

    @Test
    void spliceFromAFileIntoAPipeEndsAtTheNewEndOfFile() throws Exception {
        try (FileChannel src = FileChannel.open(source); KernelPipe pipe = ZeroCopy.pipe(SMALL_BUFFER)) {
            Future<Long> received = checkAndTruncate(pipe.source(), NEW_SIZE);
            long moved = ZeroCopy.splice(src, 0, pipe.sink(), -1, SIZE);
            pipe.sink().close();
            assertEquals(NEW_SIZE, moved, "splice stops at the new end of file");
            assertEquals(moved, received.get(60, TimeUnit.SECONDS));
        }
        try (FileChannel src = FileChannel.open(source); KernelPipe pipe = ZeroCopy.pipe(4096)) {
            assertEquals(-1, ZeroCopy.splice(src, NEW_SIZE, pipe.sink(), -1, 1), "at the new end of file");
        }
        provesTheProcessStillWorks();
    }

    @Test
    void mappedRegionTransferToASocketEndsWithTheBytesBeforeTheMissingPages() throws Exception {
        long[] result;
        try (FileChannel ch = FileChannel.open(source);
                MappedRegion region = ZeroCopy.map(ch, FileChannel.MapMode.READ_ONLY, 0, SIZE)) {
            // The region's buffers are never touched here: a page past the new end would raise SIGBUS.
            result = sendWhileTruncating((src, out) -> region.transferTo(0, SIZE, out), NEW_SIZE);
        }
        System.out.println("truncated to " + NEW_SIZE + " during MappedRegion.transferTo(socket): returned "
                + result[0]);
        assertTrue(result[0] > READ_BEFORE && result[0] <= NEW_SIZE, "a partial count: " + result[0]);
        assertEquals(result[0], result[1], "the receiver got exactly the bytes reported");
        // A new call on the now shorter file is refused before any page is touched.
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.READ, StandardOpenOption.WRITE);
                MappedRegion region = ZeroCopy.map(ch, FileChannel.MapMode.READ_ONLY, 0, NEW_SIZE)) {
            ch.truncate(NEW_SIZE / 2);
            SocketChannel[] pair = TestSupport.socketPair();
            try (SocketChannel out = pair[0]) {
                IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                        () -> region.transferTo(0, NEW_SIZE, out));
                assertTrue(e.getMessage().contains("shrank"), e.getMessage());
            } finally {
                pair[1].close();
            }
        }
        provesTheProcessStillWorks();
    }

    @Test
    void transferToAFileRacingATruncationReturnsACountThatMatchesTheCopy() throws Exception {
        for (int round = 0; round < 4; round++) {
            Path target = dir.resolve("copy-" + round);
            long moved;
            try (FileChannel src = FileChannel.open(source);
                    FileChannel dst = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                Future<Void> truncation = TestSupport.async(() -> {
                    // Truncate once the copy has begun (or finished: then the count is the full size).
                    while (Files.size(target) == 0 && dst.isOpen()) {
                        Thread.onSpinWait();
                    }
                    try (FileChannel ch = FileChannel.open(source, StandardOpenOption.WRITE)) {
                        ch.truncate(NEW_SIZE);
                    }
                    return null;
                });
                moved = ZeroCopy.transferTo(src, 0, SIZE, dst);
                assertEquals(moved, dst.position());
                truncation.get(30, TimeUnit.SECONDS);
            }
            System.out.println("round " + round + ": transferTo(file) racing a truncation to " + NEW_SIZE
                    + " returned " + moved);
            assertTrue(moved > 0 && moved <= SIZE, "count " + moved);
            assertEquals(moved, Files.size(target), "the target holds exactly the bytes reported");
            try (FileChannel copy = FileChannel.open(target)) {
                assertEquals(moved, checkAndTruncate(copy, -1).get(60, TimeUnit.SECONDS));
            }
            Files.delete(target);
            Files.delete(source);
            writeSource();
        }
        provesTheProcessStillWorks();
    }

    /** A fresh transferTo of the (shortened or rewritten) source to a socket moves it all. */
    private void provesTheProcessStillWorks() throws Exception {
        long size = Files.size(source);
        long n = Math.min(size, 4 << 20);
        SocketChannel[] pair = TestSupport.socketPair();
        try (FileChannel src = FileChannel.open(source); SocketChannel out = pair[0]; SocketChannel in = pair[1]) {
            Future<TestSupport.Drained> drained = TestSupport.drain(in);
            assertEquals(n, ZeroCopy.transferTo(src, 0, n, out));
            out.shutdownOutput();
            assertEquals(TestSupport.sha256(source, 0, n), drained.get(30, TimeUnit.SECONDS).sha256);
        }
        assertEquals(0, Relay.pipesInUse(), "library pipes in use after the fault");
    }
}
