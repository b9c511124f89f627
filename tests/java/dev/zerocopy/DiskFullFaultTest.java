package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's fault "disk full": a 1 MiB tmpfs mounted by the test, three quarters taken by a
 * filler file, and a transfer of more than fits. Each call writes what fits and returns that
 * count (NIO's rule once bytes moved); the next call fails with ENOSPC; the target holds the
 * source's prefix; once the filler is deleted the same channels finish the job. NIO's own
 * transferTo/transferFrom run in the same situation and must give the same counts.
 */
class DiskFullFaultTest {
    private static final int EFAULT = 14;
    private static final int ENOSPC = 28;
    private static final int FS_SIZE = 1 << 20;
    private static final int FILLER = 768 << 10;
    private static final int DATA = 512 << 10;

    @TempDir
    Path dir;

    private Path mount;
    private byte[] data;
    private Path source;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        mount = Files.createDirectory(dir.resolve("tmpfs"));
        String[] result = run("mount", "-t", "tmpfs", "-o", "size=" + FS_SIZE + ",mode=0700", "zerocopy-full", mount.toString());
        Assumptions.assumeTrue("0".equals(result[0]), "cannot mount a tmpfs (the test needs root): " + result[1]);
        data = TestSupport.randomBytes(DATA, 28);
        source = dir.resolve("source");
        Files.write(source, data);
        ZeroCopy.pipe(4096).close(); // the library is loaded (its jar stays open) before any baseline
        Relay.closeIdlePipes();
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount == null) {
            return;
        }
        String[] result = run("umount", mount.toString());
        for (int i = 0; i < 20 && !"0".equals(result[0]); i++) {
            // NIO's MappedByteBuffer keeps the file system busy until the GC unmaps it.
            System.gc();
            Thread.sleep(100);
            result = run("umount", mount.toString());
        }
        if (!"0".equals(result[0])) {
            run("umount", "-l", mount.toString());
        }
        assertEquals("0", result[0], "umount: a descriptor on the tmpfs is still open: " + result[1]);
    }

    private static String[] run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return new String[] {
            String.valueOf(process.exitValue()),
            new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    /** Takes {@link #FILLER} bytes of the tmpfs; returns the bytes left, which is what a transfer can write. */
    private long fill() throws IOException {
        Files.write(mount.resolve("filler"), new byte[FILLER]);
        long free = Files.getFileStore(mount).getUsableSpace();
        assertTrue(free > 0 && free < DATA, "free space after the filler: " + free);
        return free;
    }

    private void unfill() throws IOException {
        Files.delete(mount.resolve("filler"));
    }

    private static FileChannel openTarget(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private void assertHoldsPrefix(Path file, long n) throws IOException {
        byte[] got = Files.readAllBytes(file);
        assertEquals(n, got.length, "the target holds exactly the bytes reported");
        assertArrayEquals(Arrays.copyOf(data, (int) n), got, "the target holds the source's prefix");
    }

    private static void assertEnospc(IOException e) {
        assertTrue(e instanceof ErrnoException, "a kernel error is an ErrnoException: " + e);
        assertEquals(ENOSPC, ((ErrnoException) e).errno(), e.toString());
        assertTrue(e.getMessage().contains("ENOSPC"), "the message names the error: " + e.getMessage());
    }

    @Test
    void transferToAFullFileSystemReturnsWhatFitThenThrowsEnospcAndFinishesOnceSpaceIsFreed() throws Exception {
        TestSupport.Snapshot fdsBefore = TestSupport.Snapshot.take();
        // NIO first, in the same situation, for the counts to compare with.
        long nioFirst;
        String nioFailure;
        long free = fill();
        try (FileChannel src = FileChannel.open(source); FileChannel dst = openTarget(mount.resolve("nio"))) {
            nioFirst = src.transferTo(0, DATA, dst);
            IOException e = assertThrows(IOException.class, () -> src.transferTo(nioFirst, DATA - nioFirst, dst));
            nioFailure = e.toString();
        }
        assertHoldsPrefix(mount.resolve("nio"), nioFirst);
        Files.delete(mount.resolve("nio"));
        assertEquals(free, Files.getFileStore(mount).getUsableSpace());

        try (FileChannel src = FileChannel.open(source); FileChannel dst = openTarget(mount.resolve("zc"))) {
            long first = ZeroCopy.transferTo(src, 0, DATA, dst);
            assertEquals(free, first, "transferTo writes what fits and returns its count");
            assertEquals(nioFirst, first, "the same count as FileChannel.transferTo");
            assertEquals(first, dst.position(), "the target's position advanced by the count");
            assertEquals(0, src.position(), "the source's position is unchanged");
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> ZeroCopy.transferTo(src, first, DATA - first, dst));
            assertEnospc(e);
            assertEquals(first, dst.position(), "a failed call moves nothing");
            assertHoldsPrefix(mount.resolve("zc"), first);
            System.out.println("disk full, transferTo: " + first + " bytes, then " + e + "; NIO: " + nioFirst
                    + " bytes, then " + nioFailure);

            unfill();
            assertEquals(DATA - first, ZeroCopy.transferTo(src, first, DATA - first, dst));
            assertHoldsPrefix(mount.resolve("zc"), DATA);
        }
        assertEquals(0, Relay.pipesInUse());
        Relay.closeIdlePipes();
        fdsBefore.assertNoNewDescriptors("descriptors after the disk-full transfers");
    }

    @Test
    void transferFromASocketIntoAFullFileSystemReturnsWhatFitThenThrowsEnospcAndWorksOnceSpaceIsFreed()
            throws Exception {
        // A stream longer than a pipe: the failing call reads up to one pipe of it.
        byte[] stream = TestSupport.randomBytes(4 << 20, 29);
        TestSupport.Snapshot fdsBefore = TestSupport.Snapshot.take();
        long free = fill();
        long[] nio = transferFromUntilFull(stream, mount.resolve("nio"), free, false);
        Files.delete(mount.resolve("nio"));
        fill();
        long[] zc = transferFromUntilFull(stream, mount.resolve("zc"), free, true);
        assertEquals(nio[0], zc[0], "the same count as FileChannel.transferFrom");
        System.out.println("disk full, transferFrom(socket): " + zc[0] + " bytes, then ENOSPC; stream bytes read"
                + " and lost with the failure: " + zc[1] + " (NIO: " + nio[0] + " bytes, lost " + nio[1] + ")");
        // A fresh stream into the same file system works in full.
        Files.delete(mount.resolve("zc"));
        SocketChannel[] pair = TestSupport.socketPair();
        try (SocketChannel in = pair[1]; FileChannel dst = openTarget(mount.resolve("again"))) {
            Future<Void> fed = TestSupport.feed(pair[0], data);
            assertEquals(DATA, ZeroCopy.transferFrom(in, dst, 0, DATA));
            assertHoldsPrefix(mount.resolve("again"), DATA);
            // The feeder closes its end after its last write, which may come after the
            // transfer has read everything: wait, or that end looks like a leak.
            fed.get(30, TimeUnit.SECONDS);
        }
        assertEquals(0, Relay.pipesInUse());
        Relay.closeIdlePipes();
        fdsBefore.assertNoNewDescriptors("descriptors after the disk-full transfers");
    }

    /**
     * transferFrom of {@code stream} into {@code file} on the filled tmpfs, through zerocopy
     * or NIO: the first call returns what fit, the next throws ENOSPC; once the filler is gone
     * the same channels go on with the rest of the stream. Returns [first count, bytes of the
     * stream read by the failing call and lost with it].
     */
    private long[] transferFromUntilFull(byte[] stream, Path file, long free, boolean zeroCopy) throws Exception {
        SocketChannel[] pair = TestSupport.socketPair();
        try (SocketChannel in = pair[1]; FileChannel dst = openTarget(file)) {
            Future<Void> fed = TestSupport.feed(pair[0], stream);
            long first = zeroCopy ? ZeroCopy.transferFrom(in, dst, 0, stream.length)
                    : dst.transferFrom(in, 0, stream.length);
            assertEquals(free, first, "transferFrom writes what fits and returns its count");
            assertEquals(0, dst.position(), "the target's position is unchanged");
            IOException e = assertThrows(IOException.class, () -> {
                if (zeroCopy) {
                    ZeroCopy.transferFrom(in, dst, first, stream.length);
                } else {
                    dst.transferFrom(in, first, stream.length);
                }
            });
            if (zeroCopy) {
                assertEnospc(e);
            } else {
                assertEquals("No space left on device", e.getMessage());
            }
            byte[] got = Files.readAllBytes(file);
            assertArrayEquals(Arrays.copyOf(stream, (int) first), got, "the target holds the stream's prefix");
            unfill();
            long more = zeroCopy ? ZeroCopy.transferFrom(in, dst, first, DATA) : dst.transferFrom(in, first, DATA);
            assertEquals(DATA, more, "the same channels work once there is room");
            byte[] next = Arrays.copyOfRange(Files.readAllBytes(file), (int) first, (int) first + DATA);
            // The bytes the failing call read from the socket are gone (NIO loses its buffer's
            // worth too); what follows is the stream, in order, from where that call stopped.
            int at = indexOf(stream, Arrays.copyOf(next, 64));
            assertTrue(at >= first, "the next bytes come from later in the stream: " + at);
            assertArrayEquals(Arrays.copyOfRange(stream, at, at + DATA), next, "the stream continues in order");
            pair[1].shutdownInput();
            fed.cancel(true);
            return new long[] {first, at - first};
        } finally {
            pair[0].close();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void spliceFromAPipeIntoAFullFileSystemLeavesTheRestInThePipeAndFinishesOnceSpaceIsFreed() throws Exception {
        TestSupport.Snapshot fdsBefore = TestSupport.Snapshot.take();
        long free = fill();
        try (KernelPipe pipe = ZeroCopy.pipe(DATA); FileChannel dst = openTarget(mount.resolve("zc"))) {
            assertEquals(DATA, pipe.sink().write(ByteBuffer.wrap(data)), "the pipe takes all the data at once");
            long first = ZeroCopy.splice(pipe.source(), dst, DATA);
            assertEquals(free, first, "splice writes what fits and returns its count");
            assertEquals(first, dst.position());
            assertEquals(DATA - first, pipe.available(), "bytes not written stay in the pipe");
            ErrnoException e = assertThrows(ErrnoException.class, () -> ZeroCopy.splice(pipe.source(), dst, DATA));
            assertEnospc(e);
            assertEquals(DATA - first, pipe.available(), "a failed splice consumes nothing");
            assertHoldsPrefix(mount.resolve("zc"), first);
            System.out.println("disk full, splice(pipe -> file): " + first + " bytes, then " + e);

            unfill();
            pipe.sink().close();
            assertEquals(DATA - first, ZeroCopy.splice(pipe.source(), dst, DATA));
            assertEquals(-1, ZeroCopy.splice(pipe.source(), dst, DATA));
            assertHoldsPrefix(mount.resolve("zc"), DATA);
        }
        fdsBefore.assertNoNewDescriptors("descriptors after the disk-full splices");
    }

    @Test
    void mapPastTheFreeSpaceGrowsTheFileAsNioDoesAndKernelSideAccessReportsEfaultInsteadOfSigbus()
            throws Exception {
        long free = fill();
        long size = 2 * free;
        // NIO grows the file with ftruncate (JDK-8202261 dropped the fallocate): the map
        // succeeds over holes that cannot all be backed. Its buffer is not touched here.
        try (FileChannel ch = openTarget(mount.resolve("nio"))) {
            ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            assertEquals(size, ch.size(), "NIO grew the file");
        }
        Files.delete(mount.resolve("nio"));
        TestSupport.Snapshot fdsBefore = TestSupport.Snapshot.take();
        Path copy = dir.resolve("copy");
        try (FileChannel ch = openTarget(mount.resolve("zc"));
                MappedRegion region = ZeroCopy.map(ch, FileChannel.MapMode.READ_WRITE, 0, size);
                FileChannel out = openTarget(copy)) {
            assertEquals(size, ch.size(), "map grew the file as NIO does");
            // transferTo reads the pages from the kernel (write(2) from the mapping): each read
            // of a hole allocates a page, and the first that does not fit is EFAULT, never SIGBUS.
            long sent = region.transferTo(0, size, out);
            assertEquals(free, sent, "transferTo wrote the pages that could be backed and returned their count");
            assertArrayEquals(new byte[(int) sent], Files.readAllBytes(copy), "holes read as zeros");
            ErrnoException failed = assertThrows(ErrnoException.class, () -> region.transferTo(sent, size, out));
            assertEquals(EFAULT, failed.errno(), failed.toString());
            IOException e = assertThrows(IOException.class, region::load);
            assertTrue(e instanceof ErrnoException && ((ErrnoException) e).errno() == EFAULT, e.toString());
            System.out.println("disk full, MappedRegion over holes: transferTo wrote " + sent + ", then " + failed
                    + "; load() threw " + e);

            unfill();
            region.load(); // every page is backed now: buffers are safe to use
            region.buffer().put(Arrays.copyOf(data, (int) Math.min(DATA, size)));
            region.force();
        }
        byte[] file = Files.readAllBytes(mount.resolve("zc"));
        assertArrayEquals(Arrays.copyOf(data, (int) Math.min(DATA, size)), Arrays.copyOf(file, (int) Math.min(DATA, size)));
        fdsBefore.assertNoNewDescriptors("descriptors after the disk-full map");
    }
}
