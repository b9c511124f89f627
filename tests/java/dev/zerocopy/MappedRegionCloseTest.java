package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * close() releases the file now; buffers used afterwards, in this same JVM, neither crash
 * it nor touch the file. Every test here that survives proves the JVM did.
 */
class MappedRegionCloseTest {
    private static final StandardOpenOption R = StandardOpenOption.READ;
    private static final StandardOpenOption W = StandardOpenOption.WRITE;

    @TempDir
    Path tmp;

    static List<String> maps() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps"));
    }

    static boolean mapped(Path file) throws IOException {
        String name = file.toRealPath().toString();
        return maps().stream().anyMatch(line -> line.contains(name));
    }

    /** GCs until the condition holds, for at most 10 s. */
    static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) {
            System.gc();
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    @Test
    void buffersUsedAfterCloseFailFastOrSeeZerosAndNeverTouchTheFile() throws Exception {
        byte[] data = TestSupport.randomBytes(1 << 20, 1);
        Path file = tmp.resolve("data");
        Files.write(file, data);
        try (FileChannel channel = FileChannel.open(file, R, W)) {
            MappedRegion region = ZeroCopy.map(channel, MapMode.READ_WRITE, 0, data.length);
            ByteBuffer whole = region.buffer();
            ByteBuffer window = region.buffer(4096, 8192);
            ByteBuffer copy = whole.duplicate();
            ByteBuffer slice = window.slice();
            assertEquals(data[5], whole.get(5));
            region.close();
            assertFalse(mapped(file), "the file is no longer mapped after close");

            // Handed-out buffers fail fast: their limit is 0.
            assertEquals(0, whole.limit());
            assertEquals(0, window.limit());
            assertThrows(IndexOutOfBoundsException.class, () -> whole.get(5));
            assertThrows(IndexOutOfBoundsException.class, () -> window.put(0, (byte) 1));
            assertThrows(java.nio.BufferUnderflowException.class, () -> whole.get());

            // Derived buffers keep their limit: they read zeros and write to the placeholder only.
            for (int i = 0; i < data.length; i += 4093) {
                assertEquals(0, copy.get(i));
            }
            for (int i = 0; i < data.length; i += 4096) {
                copy.put(i, (byte) 0x77);
            }
            slice.put(0, (byte) 0x66);
            assertEquals(0x77, copy.get(0));
            assertEquals(0x66, slice.get(0));
            channel.force(true);
            assertArrayEquals(data, Files.readAllBytes(file), "writes after close never reach the file");

            // The file can now be truncated: touching the old range must still not fault.
            channel.truncate(0);
            assertEquals(0x77, copy.get(4096 * 3));
            assertEquals(0, copy.get(data.length - 1));
        }
    }

    @Test
    void readOnlyRegionAfterCloseReadsZerosThroughDerivedBuffers() throws Exception {
        Path file = TestSupport.randomFile(tmp, 100_000, 2);
        try (FileChannel channel = FileChannel.open(file, R)) {
            MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 10, 90_000);
            ByteBuffer derived = region.buffer().duplicate();
            region.close();
            for (int i = 0; i < 90_000; i += 1000) {
                assertEquals(0, derived.get(i));
            }
            assertTrue(derived.isReadOnly());
        }
    }

    @Test
    void regionMethodsAfterCloseThrowIllegalStateException() throws Exception {
        Path file = TestSupport.randomFile(tmp, 10_000, 3);
        try (FileChannel channel = FileChannel.open(file, R)) {
            MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 10_000);
            region.close();
            assertFalse(region.isOpen());
            assertEquals(10_000, region.size());
            assertEquals(MapMode.READ_ONLY, region.mode());
            assertThrows(IllegalStateException.class, region::address);
            assertThrows(IllegalStateException.class, region::buffer);
            assertThrows(IllegalStateException.class, () -> region.buffer(0, 1));
            assertThrows(IllegalStateException.class, region::force);
            assertThrows(IllegalStateException.class, region::load);
            assertThrows(IllegalStateException.class, region::lock);
            assertThrows(IllegalStateException.class, () -> region.advise(Advice.WILLNEED, 0, 10));
            assertThrows(IllegalStateException.class, () -> region.transferTo(0, 10,
                    java.nio.channels.Channels.newChannel(new java.io.ByteArrayOutputStream())));
        }
    }

    @Test
    void aRegionWithoutViewsUnmapsCompletelyAtClose() throws Exception {
        Path file = TestSupport.randomFile(tmp, 1 << 20, 4);
        int placeholders = PlaceholderBudget.count();
        try (FileChannel channel = FileChannel.open(file, R)) {
            MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 1 << 20);
            long address = region.address();
            assertTrue(mapped(file));
            region.close();
            assertFalse(mapped(file));
            // Earlier tests' placeholders may be released meanwhile; none may be added.
            assertTrue(PlaceholderBudget.count() <= placeholders, "no placeholder without views");
            String start = Long.toHexString(address) + "-";
            assertFalse(maps().stream().anyMatch(line -> line.startsWith(start)), "the range is free");
        }
    }

    @Test
    void thePlaceholderIsReleasedOnceEveryViewIsUnreachable() throws Exception {
        Path file = TestSupport.randomFile(tmp, 1 << 20, 5);
        try (FileChannel channel = FileChannel.open(file, R)) {
            MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 1 << 20);
            String start = Long.toHexString(region.address()) + "-";
            ByteBuffer view = region.buffer();
            ByteBuffer slice = view.duplicate().position(10).limit(20).slice();
            WeakReference<ByteBuffer> viewRef = new WeakReference<>(view);
            view = null;
            region.close();
            assertTrue(maps().stream().anyMatch(line -> line.startsWith(start)), "placeholder in place");
            // The slice alone keeps the placeholder: its memory is still reachable. (From JDK 17 a
            // derived buffer references the root's attachment, so the view itself can go; JDK 11's
            // slice references its parent, which keeps the view reachable as long as the slice.)
            if (Runtime.version().feature() >= 17) {
                assertTrue(eventually(() -> viewRef.get() == null));
            }
            assertTrue(maps().stream().anyMatch(line -> line.startsWith(start)), "slice keeps placeholder");
            assertEquals(0, slice.get(0));
            slice = null;
            assertTrue(eventually(() -> {
                try {
                    return maps().stream().noneMatch(line -> line.startsWith(start));
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }), "placeholder unmapped once no buffer can reach it");
        }
    }

    @Test
    void closeIsIdempotentAndThreadSafe() throws Exception {
        Path file = TestSupport.randomFile(tmp, 1 << 20, 6);
        try (FileChannel channel = FileChannel.open(file, R)) {
            for (int round = 0; round < 50; round++) {
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 1 << 20);
                ByteBuffer view = round % 2 == 0 ? region.buffer() : null;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Object>> closers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    closers.add(TestSupport.async(() -> {
                        go.await();
                        region.close();
                        assertFalse(region.isOpen());
                        return null;
                    }));
                }
                go.countDown();
                for (Future<Object> closer : closers) {
                    closer.get(10, TimeUnit.SECONDS);
                }
                region.close();
                assertFalse(mapped(file));
                if (view != null) {
                    assertEquals(0, view.limit());
                }
            }
        }
    }

    @Test
    void readersRacingCloseNeverCrash() throws Exception {
        Path file = TestSupport.randomFile(tmp, 4 << 20, 7);
        try (FileChannel channel = FileChannel.open(file, R)) {
            for (int round = 0; round < 20; round++) {
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 4 << 20);
                ByteBuffer shared = region.buffer().duplicate();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong reads = new AtomicLong();
                List<Future<Object>> readers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    ByteBuffer mine = shared.duplicate();
                    readers.add(TestSupport.async(() -> {
                        long sum = 0;
                        while (!stop.get()) {
                            for (int i = 0; i < mine.capacity(); i += 4096) {
                                sum += mine.get(i);
                            }
                            reads.incrementAndGet();
                        }
                        return sum;
                    }));
                }
                Thread.sleep(5);
                region.close();
                Thread.sleep(5);
                stop.set(true);
                for (Future<Object> reader : readers) {
                    reader.get(10, TimeUnit.SECONDS);
                }
                assertTrue(reads.get() > 0);
            }
        }
    }

    @Test
    void fileDeletedAfterCloseHasItsBlocksFreed() throws Exception {
        long size = 128L << 20;
        Path file = TestSupport.randomFile(tmp, size, 8);
        java.nio.file.FileStore store = Files.getFileStore(tmp);
        ByteBuffer keptAfterClose;
        try (FileChannel channel = FileChannel.open(file, R)) {
            MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, size);
            keptAfterClose = region.buffer();
            assertEquals(TestSupport.sha256(file), sha256Of(region.buffer()));
            region.close();
        }
        String name = file.toRealPath().toString();
        long freeBefore = store.getUnallocatedSpace();
        Files.delete(file);
        // Nothing refers to the inode any more, although a view of the region is reachable:
        // no mapping (the placeholder is anonymous) and no descriptor (a region holds none).
        // So the kernel frees the blocks; df shows it once
        // the file system committed the deletion.
        assertTrue(maps().stream().noneMatch(line -> line.contains(name)), "no mapping of the deleted file");
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            assertTrue(fds.noneMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(name);
                } catch (IOException e) {
                    return false;
                }
            }), "no descriptor of the deleted file");
        }
        // fsync of any file commits the file system's journal, which releases the freed
        // blocks at once (ext4 frees them at commit); measuring right away keeps other
        // processes' writes on this shared disk from hiding them.
        try (FileChannel sync = FileChannel.open(tmp.resolve("sync"), StandardOpenOption.CREATE, W)) {
            sync.write(ByteBuffer.wrap(new byte[1]));
            sync.force(true);
        }
        long freed = store.getUnallocatedSpace() - freeBefore;
        for (int i = 0; i < 150 && freed < size / 2; i++) {
            Thread.sleep(100);
            freed = Math.max(freed, store.getUnallocatedSpace() - freeBefore);
        }
        assertTrue(freed >= size / 2, "df shows " + freed + " bytes freed of " + size);
        assertEquals(0, keptAfterClose.limit());
    }

    private static String sha256Of(ByteBuffer buffer) {
        java.security.MessageDigest digest = TestSupport.sha256();
        digest.update(buffer.duplicate());
        return TestSupport.hex(digest.digest());
    }

    @Test
    void transferToASocketDeliversTheFilesBytes() throws Exception {
        Path file = TestSupport.randomFile(tmp, (8 << 20) + 123, 9);
        SocketChannel[] pair = TestSupport.socketPair();
        try (FileChannel channel = FileChannel.open(file, R);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 77, (8 << 20) + 46)) {
            Future<TestSupport.Drained> received = TestSupport.drain(pair[1]);
            long sent = region.transferTo(0, Long.MAX_VALUE, pair[0]);
            pair[0].close();
            assertEquals((8 << 20) + 46, sent);
            TestSupport.Drained result = received.get(30, TimeUnit.SECONDS);
            assertEquals(sent, result.bytes);
            assertEquals(TestSupport.sha256(file, 77, sent), result.sha256);
        } finally {
            pair[1].close();
        }
    }

    @Test
    void transferToFilesPipesAndPlainChannelsAsTransferToDoes() throws Exception {
        Path file = TestSupport.randomFile(tmp, 300_000, 10);
        try (FileChannel channel = FileChannel.open(file, R);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 1000, 200_000)) {
            Path out = tmp.resolve("out");
            try (FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE, W)) {
                target.position(5);
                assertEquals(100_000, region.transferTo(100_000, 500_000, target));
                assertEquals(100_005, target.position(), "a FileChannel target's position advances");
                assertEquals(0, region.transferTo(200_000, 10, target));
                assertThrows(IllegalArgumentException.class, () -> region.transferTo(-1, 10, target));
            }
            assertEquals(TestSupport.sha256(file, 101_000, 100_000), TestSupport.sha256(out, 5, 100_000));
            try (FileChannel readOnly = FileChannel.open(out, R)) {
                assertThrows(java.nio.channels.NonWritableChannelException.class,
                        () -> region.transferTo(0, 10, readOnly));
            }
            Pipe pipe = Pipe.open();
            Future<TestSupport.Drained> fromPipe = TestSupport.drain(pipe.source());
            assertEquals(200_000, region.transferTo(0, 200_000, pipe.sink()));
            pipe.sink().close();
            assertEquals(TestSupport.sha256(file, 1000, 200_000), fromPipe.get(30, TimeUnit.SECONDS).sha256);
            pipe.source().close();

            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            WritableByteChannel plain = java.nio.channels.Channels.newChannel(bytes);
            assertEquals(150_000, region.transferTo(50_000, 150_000, plain));
            assertEquals(TestSupport.sha256(file, 51_000, 150_000), TestSupport.sha256(bytes.toByteArray()));
            plain.close();
            assertThrows(java.nio.channels.ClosedChannelException.class, () -> region.transferTo(0, 1, plain));
        }
    }

    @Test
    void transferToANonBlockingSocketTakesWhatFitsWithoutWaiting() throws Exception {
        Path file = TestSupport.randomFile(tmp, 64 << 20, 12);
        SocketChannel[] pair = TestSupport.socketPair();
        try (FileChannel channel = FileChannel.open(file, R);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 64 << 20)) {
            pair[0].configureBlocking(false);
            long first = region.transferTo(0, 64 << 20, pair[0]);
            assertTrue(first > 0 && first < (64 << 20), "first " + first);
            long more = 0;
            for (int i = 0; i < 10; i++) {
                more += region.transferTo(first + more, (64 << 20) - first - more, pair[0]);
            }
            assertTrue(first + more < (64 << 20), "nobody reads: the socket fills up");
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    @Test
    void interruptEndsABlockedTransferToAndClosesTheTarget() throws Exception {
        Path file = TestSupport.randomFile(tmp, 64 << 20, 13);
        SocketChannel[] pair = TestSupport.socketPair();
        try (FileChannel channel = FileChannel.open(file, R);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 64 << 20)) {
            Thread[] worker = new Thread[1];
            CountDownLatch started = new CountDownLatch(1);
            Future<Throwable> result = TestSupport.async(() -> {
                worker[0] = Thread.currentThread();
                started.countDown();
                try {
                    region.transferTo(0, 64 << 20, pair[0]);
                    return null;
                } catch (Throwable t) {
                    return t;
                } finally {
                    Thread.interrupted();
                }
            });
            started.await();
            Thread.sleep(200);
            worker[0].interrupt();
            Throwable thrown = result.get(1, TimeUnit.SECONDS);
            assertTrue(thrown instanceof java.nio.channels.ClosedByInterruptException, String.valueOf(thrown));
            assertFalse(pair[0].isOpen());
            assertTrue(region.isOpen(), "the region is not a channel: it stays open");
        } finally {
            pair[1].close();
        }
    }

    @Test
    void openRegionsHoldNoDescriptors() throws Exception {
        Path file = TestSupport.randomFile(tmp, 1 << 16, 14);
        List<MappedRegion> regions = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, R)) {
            int before = TestSupport.openDescriptors();
            for (int i = 0; i < 200; i++) {
                regions.add(ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 1 << 16));
            }
            assertEquals(before, TestSupport.openDescriptors());
        } finally {
            regions.forEach(MappedRegion::close);
        }
    }

    @Test
    void loadAndTransferToAfterTheChannelClosedAndTheFileShrankReportIoExceptionNotSigbus() throws Exception {
        Path file = TestSupport.randomFile(tmp, 1 << 20, 15);
        MappedRegion region;
        try (FileChannel channel = FileChannel.open(file, R)) {
            region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 1 << 20);
        }
        try (FileChannel shrink = FileChannel.open(file, W)) {
            shrink.truncate(8192);
        }
        try {
            // Without the channel the size cannot be checked first: the kernel touches the
            // pages and answers EFAULT.
            ErrnoException load = assertThrows(ErrnoException.class, region::load);
            assertEquals(14, load.errno(), load.getMessage());
            SocketChannel[] pair = TestSupport.socketPair();
            try {
                Future<TestSupport.Drained> received = TestSupport.drain(pair[1]);
                assertEquals(8192, region.transferTo(0, 8192, pair[0]), "the part still in the file");
                assertThrows(IOException.class, () -> region.transferTo(8192, 4096, pair[0]));
                pair[0].close();
                assertEquals(TestSupport.sha256(file, 0, 8192), received.get(10, TimeUnit.SECONDS).sha256);
            } finally {
                pair[0].close();
                pair[1].close();
            }
        } finally {
            region.close();
        }
    }

    @Test
    void windowsTakenWhileAnotherThreadClosesNeverCrashAndEveryPlaceholderIsReleased() throws Exception {
        Path file = TestSupport.randomFile(tmp, 1 << 20, 16);
        try (FileChannel channel = FileChannel.open(file, R)) {
            for (int round = 0; round < 200; round++) {
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 1 << 20);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Long>> takers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    takers.add(TestSupport.async(() -> {
                        go.await();
                        long sum = 0;
                        try {
                            for (int i = 0; ; i++) {
                                ByteBuffer window = region.buffer((i * 4096L) % (1 << 20), 4096).duplicate();
                                sum += window.get(0) + window.get(4095);
                            }
                        } catch (IllegalStateException closed) {
                            return sum;
                        } catch (IndexOutOfBoundsException failedFast) {
                            // A window taken just before close had its limit set to 0.
                            assertFalse(region.isOpen());
                            return sum;
                        }
                    }));
                }
                go.countDown();
                Thread.sleep(1);
                region.close();
                for (Future<Long> taker : takers) {
                    taker.get(10, TimeUnit.SECONDS);
                }
            }
        }
        assertTrue(eventually(() -> PlaceholderBudget.count() == 0), "placeholders " + PlaceholderBudget.count());
    }

    @Test
    void transferToAPipeSwitchedBackToBlockingWaitsWithoutHoldingItsCloseLock() throws Exception {
        Path file = TestSupport.randomFile(tmp, 4 << 20, 17);
        Pipe pipe = Pipe.open();
        try (FileChannel channel = FileChannel.open(file, R);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 4 << 20)) {
            // One thread resolves the sink while non-blocking (O_NONBLOCK set, and cached per
            // thread), switches it back to blocking, and transfers again into the full pipe.
            CountDownLatch blocking = new CountDownLatch(1);
            Future<Long> blocked = TestSupport.async(() -> {
                pipe.sink().configureBlocking(false);
                long first = region.transferTo(0, 4 << 20, pipe.sink());
                assertTrue(first > 0 && first < (4 << 20), "first " + first);
                pipe.sink().configureBlocking(true);
                blocking.countDown();
                return region.transferTo(first, (4 << 20) - first, pipe.sink());
            });
            assertTrue(blocking.await(5, TimeUnit.SECONDS));
            Thread.sleep(200);
            // Closed from a helper thread, so a close held up by a sleeping write fails the
            // test instead of hanging it.
            Future<Object> closer = TestSupport.async(() -> {
                pipe.sink().close();
                return null;
            });
            try {
                closer.get(1, TimeUnit.SECONDS);
            } finally {
                // Frees a write that slept holding the locks, so a failure here cannot hang the run.
                pipe.source().close();
            }
            long rest = blocked.get(1, TimeUnit.SECONDS);
            assertTrue(rest >= 0 && rest < (4 << 20), "rest " + rest);
        } catch (java.util.concurrent.ExecutionException e) {
            assertTrue(e.getCause() instanceof java.nio.channels.AsynchronousCloseException, String.valueOf(e.getCause()));
        } finally {
            pipe.source().close();
        }
    }
}
