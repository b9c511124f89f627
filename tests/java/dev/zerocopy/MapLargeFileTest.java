package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sparse 6 GiB file mapped whole: windows anywhere, no 2 GiB limit. */
class MapLargeFileTest {
    private static final long SIZE = 6L << 30;
    private static final long[] MARKS = {0, (2L << 30) - 1, (4L << 30) + 7, SIZE - 1};

    @TempDir
    Path tmp;

    @Test
    void sparseSixGigabyteFileMappedWholeReadsBackWindowsEverywhere() throws Exception {
        Path file = tmp.resolve("sparse");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (int i = 0; i < MARKS.length; i++) {
                channel.write(ByteBuffer.wrap(new byte[] {(byte) (0x10 + i)}), MARKS[i]);
            }
            assertEquals(SIZE, channel.size());
            try (MappedRegion region = ZeroCopy.map(channel, MapMode.READ_WRITE, 0, SIZE)) {
                assertEquals(SIZE, region.size());
                UnsupportedOperationException whole = assertThrows(UnsupportedOperationException.class,
                        region::buffer);
                assertTrue(whole.getMessage().contains("buffer(offset, length)"), whole.getMessage());
                for (int i = 0; i < MARKS.length; i++) {
                    ByteBuffer window = region.buffer(MARKS[i], 1);
                    assertEquals(0x10 + i, window.get(0), "byte at " + MARKS[i]);
                }
                // A window straddling 4 GiB, and a write through one that reaches the file.
                ByteBuffer straddle = region.buffer((4L << 30) - 4096, 8192);
                assertEquals(0x12, straddle.get(4096 + 7));
                ByteBuffer far = region.buffer((5L << 30) + 3, 1 << 20);
                far.put(0, (byte) 0x55);
                region.force((5L << 30) + 3, 1);
                ByteBuffer check = ByteBuffer.allocate(1);
                channel.read(check, (5L << 30) + 3);
                assertEquals(0x55, check.get(0));
                MarkCounter counter = new MarkCounter();
                assertEquals(8192, region.transferTo((4L << 30) - 4096, 8192, counter));
                assertEquals(1, counter.nonZero, "the mark at 4 GiB + 7 went through a window");
            }
        }
    }

    /** Counts non-zero bytes it is given: a plain channel, so transferTo goes through windows. */
    private static final class MarkCounter implements java.nio.channels.WritableByteChannel {
        long nonZero;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            while (src.hasRemaining()) {
                if (src.get() != 0) {
                    nonZero++;
                }
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
