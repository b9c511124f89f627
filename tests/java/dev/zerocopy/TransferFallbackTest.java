package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals by the kernel (EXDEV across file systems, EINVAL for overlapping ranges or an
 * O_APPEND output) make the raw calls throw a refused ErrnoException and make the NIO
 * mirrors fall back for that call only: the next call tries the fast path again.
 */
class TransferFallbackTest {
    static final int EINVAL = 22;
    static final int EXDEV = 18;

    @TempDir
    Path tmp;

    /** A directory on another file system than {@link #tmp}, if this machine has one. */
    Path otherFileSystem() throws IOException {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
                && !Files.getFileStore(shm).equals(Files.getFileStore(tmp)), "no second file system");
        return Files.createTempDirectory(shm, "zerocopy-fallback");
    }

    @Test
    void crossFileSystemCopyFileRangeIsRefusedButTransfersStillCopy() throws IOException {
        Path other = otherFileSystem();
        byte[] data = TestSupport.randomBytes(300_000, 4);
        Path a = tmp.resolve("a");
        Path b = other.resolve("b");
        Path c = tmp.resolve("c");
        Files.write(a, data);
        try (FileChannel in = FileChannel.open(a);
                FileChannel out = FileChannel.open(b, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                FileChannel same = FileChannel.open(c, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            try {
                ZeroCopy.copyFileRange(in, 0, out, 0, 1000);
                Assumptions.assumeTrue(false, "this kernel copies across these file systems");
            } catch (ErrnoException e) {
                assertEquals(EXDEV, e.errno(), e.getMessage());
                assertTrue(e.refused());
                assertTrue(e.getMessage().startsWith("copy_file_range(fd "), e.getMessage());
            }
            assertEquals(0, out.size(), "a refused call wrote nothing");
            assertEquals(200_000, ZeroCopy.transferTo(in, 100_000, Long.MAX_VALUE, out));
            assertEquals(200_000, out.position());
            in.position(7);
            assertEquals(250_000, ZeroCopy.transferFrom(in, out, 200_000, 250_000));
            assertEquals(250_007, in.position());
            // The next pair on one file system gets copy_file_range again (strace shows it).
            assertEquals(data.length, ZeroCopy.copyFileRange(in, 0, same, 0, Long.MAX_VALUE));
        } finally {
            Files.deleteIfExists(b);
            Files.deleteIfExists(other);
        }
        assertArrayEquals(data, Files.readAllBytes(c));
    }

    @Test
    void crossFileSystemTransfersCopyTheRightBytes() throws IOException {
        Path other = otherFileSystem();
        byte[] data = TestSupport.randomBytes(300_000, 5);
        Path a = tmp.resolve("a");
        Path b = other.resolve("b");
        Files.write(a, data);
        try {
            try (FileChannel in = FileChannel.open(a);
                    FileChannel out = FileChannel.open(b, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                assertEquals(200_000, ZeroCopy.transferTo(in, 100_000, Long.MAX_VALUE, out));
                in.position(7);
                assertEquals(250_000, ZeroCopy.transferFrom(in, out, 200_000, 250_000));
            }
            byte[] expected = new byte[450_000];
            System.arraycopy(data, 100_000, expected, 0, 200_000);
            System.arraycopy(data, 7, expected, 200_000, 250_000);
            assertArrayEquals(expected, Files.readAllBytes(b));
        } finally {
            Files.deleteIfExists(b);
            Files.deleteIfExists(other);
        }
    }

    @Test
    void overlappingRangesInOneFileAreRefusedByTheRawCallOnly() throws IOException {
        Path a = tmp.resolve("a");
        Files.write(a, TestSupport.randomBytes(100_000, 6));
        try (FileChannel ch = FileChannel.open(a, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> ZeroCopy.copyFileRange(ch, 0, ch, 10, 50_000));
            assertEquals(EINVAL, e.errno());
            assertTrue(e.refused());
            ch.position(10);
            assertEquals(50_000, ZeroCopy.transferFrom(ch, ch, 100, 50_000), "falls back and copies");
            assertEquals(40_000, ZeroCopy.copyFileRange(ch, 0, ch, 60_000, 40_000), "no overlap: the raw call works");
        }
    }

    @Test
    void rawSendfileToAnAppendingFileIsRefusedWhileTransferToAppends() throws IOException {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        byte[] data = TestSupport.randomBytes(20_000, 8);
        Files.write(a, data);
        Files.write(b, new byte[] {1, 2, 3});
        try (FileChannel in = FileChannel.open(a);
                FileChannel out = FileChannel.open(b, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> ZeroCopy.sendfile(in, 0, 100, out));
            assertEquals(EINVAL, e.errno());
            assertTrue(e.refused());
            assertThrows(IllegalArgumentException.class, () -> ZeroCopy.copyFileRange(in, 0, out, -1, 100));
            assertEquals(20_000, ZeroCopy.transferTo(in, 0, 20_000, out));
        }
        ByteBuffer expected = ByteBuffer.allocate(20_003).put(new byte[] {1, 2, 3}).put(data);
        assertArrayEquals(expected.array(), Files.readAllBytes(b));
    }

    @Test
    void rawCallsCheckTheirArguments() throws IOException {
        Path a = tmp.resolve("a");
        Files.write(a, new byte[10]);
        try (FileChannel ch = FileChannel.open(a, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileChannel readOnly = FileChannel.open(a)) {
            assertThrows(IllegalArgumentException.class, () -> ZeroCopy.copyFileRange(ch, -2, ch, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> ZeroCopy.copyFileRange(ch, 0, ch, 0, -1));
            assertThrows(IllegalArgumentException.class, () -> ZeroCopy.sendfile(ch, -1, 1, ch));
            assertThrows(java.nio.channels.NonWritableChannelException.class,
                    () -> ZeroCopy.copyFileRange(ch, 0, readOnly, 0, 1));
            assertEquals(0, ZeroCopy.copyFileRange(ch, 10, ch, 20, 5), "at end of file: 0");
        }
    }
}
