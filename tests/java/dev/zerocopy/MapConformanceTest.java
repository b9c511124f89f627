package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every NIO rule of FileChannel.map run through FileChannel.map and ZeroCopy.map on twin
 * files, comparing the exception or the buffer (capacity, position, limit, read-only,
 * bytes) and the file's size afterwards.
 */
class MapConformanceTest {
    private static final int FILE_SIZE = 10_000;
    private static final OpenOption R = StandardOpenOption.READ;
    private static final OpenOption W = StandardOpenOption.WRITE;

    @TempDir
    Path tmp;

    private interface Mapper {
        ByteBuffer map(FileChannel channel, MapMode mode, long position, long size) throws IOException;
    }

    private static final Mapper NIO = FileChannel::map;

    /** Our region, held open until the test ends so its buffer stays valid for comparison. */
    private final List<MappedRegion> regions = new ArrayList<>();

    private final Mapper ours = (channel, mode, position, size) -> {
        MappedRegion region = ZeroCopy.map(channel, mode, position, size);
        regions.add(region);
        assertEquals(size, region.size());
        assertEquals(mode, region.mode());
        return region.buffer();
    };

    /** What one map call did: an exception class, or the buffer's shape and bytes; plus the file size. */
    private String outcome(Mapper mapper, Function<Path, FileChannel> open, MapMode mode, long position,
            long size, boolean closeFirst) throws IOException {
        Path file = tmp.resolve("f" + System.nanoTime());
        Files.write(file, TestSupport.randomBytes(FILE_SIZE, 42));
        String result;
        FileChannel channel = open.apply(file);
        try {
            if (closeFirst) {
                channel.close();
            }
            try {
                ByteBuffer buffer = mapper.map(channel, mode, position, size);
                byte[] bytes = new byte[buffer.remaining()];
                buffer.duplicate().get(bytes);
                result = "buffer cap=" + buffer.capacity() + " pos=" + buffer.position() + " lim="
                        + buffer.limit() + " ro=" + buffer.isReadOnly() + " direct=" + buffer.isDirect()
                        + " sha=" + TestSupport.sha256(bytes);
            } catch (IOException | RuntimeException e) {
                result = e.getClass().getName();
            }
        } finally {
            channel.close();
        }
        return result + " fileSize=" + Files.size(file);
    }

    private void compare(String what, Function<Path, FileChannel> open) throws IOException {
        long[][] cases = {
            {0, 0}, {0, 100}, {0, FILE_SIZE}, {5000, 100}, {4095, 2}, {4096, 4096}, {100, 0},
            {-1, 10}, {0, -1}, {-1, -1}, {Long.MAX_VALUE, 1}, {Long.MAX_VALUE - 5, 10},
            {FILE_SIZE - 10, 1000}, {FILE_SIZE + 5000, 100}, {FILE_SIZE + 10, 0},
        };
        for (MapMode mode : Arrays.asList(MapMode.READ_ONLY, MapMode.READ_WRITE, MapMode.PRIVATE, null)) {
            for (long[] c : cases) {
                for (boolean closed : new boolean[] {false, true}) {
                    String label = what + " " + mode + " position=" + c[0] + " size=" + c[1] + " closed=" + closed;
                    String expected = outcome(NIO, open, mode, c[0], c[1], closed);
                    if (Runtime.version().feature() < 17 && mode == null && closed) {
                        // JDK 11's map checks that the channel is open before the mode; 17 and 25
                        // check the mode first, and zerocopy follows 25 on every JDK.
                        expected = expected.replace(ClosedChannelException.class.getName(),
                                NullPointerException.class.getName());
                    }
                    String actual = outcome(ours, open, mode, c[0], c[1], closed);
                    assertEquals(expected, actual, label);
                }
            }
        }
    }

    private static Function<Path, FileChannel> options(OpenOption... options) {
        return path -> {
            try {
                return FileChannel.open(path, options);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        };
    }

    @Test
    void readOnlyChannelBehavesAsNio() throws IOException {
        compare("READ", options(R));
    }

    @Test
    void readWriteChannelBehavesAsNio() throws IOException {
        compare("READ,WRITE", options(R, W));
    }

    /**
     * NIO's quirk, kept on purpose: a write-only channel is NonReadableChannelException for
     * every mode, READ_WRITE included, because mmap needs a descriptor open for reading.
     */
    @Test
    void writeOnlyChannelIsNonReadableForEveryModeAsNio() throws IOException {
        compare("WRITE", options(W));
        Path file = TestSupport.randomFile(tmp, 100, 1);
        try (FileChannel channel = FileChannel.open(file, W)) {
            assertThrows(java.nio.channels.NonReadableChannelException.class,
                    () -> ZeroCopy.map(channel, MapMode.READ_WRITE, 0, 10));
        }
    }

    @Test
    void streamAndRandomAccessFileChannelsBehaveAsNio() throws IOException {
        compare("FileInputStream", path -> {
            try {
                return new FileInputStream(path.toFile()).getChannel();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        compare("FileOutputStream", path -> {
            try {
                return new FileOutputStream(path.toFile(), true).getChannel();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        compare("RandomAccessFile rw", path -> {
            try {
                return new RandomAccessFile(path.toFile(), "rw").getChannel();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** The one deliberate difference: NIO refuses sizes over Integer.MAX_VALUE, we map them. */
    @Test
    void sizesOverTwoGigabytesAreAcceptedUnlikeNio() throws IOException {
        Path file = tmp.resolve("sparse");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, R, W)) {
            long size = (long) Integer.MAX_VALUE + 1;
            assertThrows(IllegalArgumentException.class, () -> channel.map(MapMode.READ_ONLY, 0, size));
            try (MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, size)) {
                assertEquals(size, region.size());
                assertEquals(size, channel.size(), "a writable file grows to position + size");
            }
        }
    }

    @Test
    void readOnlyBuffersRejectWritesAsNio() throws IOException {
        Path file = TestSupport.randomFile(tmp, 8192, 3);
        try (FileChannel channel = FileChannel.open(file, R, W);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 8192)) {
            ByteBuffer nio = channel.map(MapMode.READ_ONLY, 0, 8192);
            assertThrows(ReadOnlyBufferException.class, () -> nio.put(0, (byte) 1));
            assertThrows(ReadOnlyBufferException.class, () -> region.buffer().put(0, (byte) 1));
            assertThrows(ReadOnlyBufferException.class, () -> region.buffer(100, 10).put((byte) 1));
        }
    }

    @Test
    void privateIsCopyOnWriteAndNeverReachesTheFile() throws IOException {
        byte[] data = TestSupport.randomBytes(3 * 4096, 5);
        Path file = tmp.resolve("private");
        Files.write(file, data);
        try (FileChannel channel = FileChannel.open(file, R, W);
                MappedRegion region = ZeroCopy.map(channel, MapMode.PRIVATE, 100, 8000)) {
            java.nio.MappedByteBuffer nio = channel.map(MapMode.PRIVATE, 100, 8000);
            ByteBuffer ours = region.buffer();
            for (int i = 0; i < 8000; i += 7) {
                nio.put(i, (byte) ~nio.get(i));
                ours.put(i, (byte) ~ours.get(i));
            }
            assertEquals(nio.rewind(), ours.rewind(), "both private copies changed alike");
            region.force();
            nio.force();
            assertArrayEquals(data, Files.readAllBytes(file), "the file never sees private writes");
            // The private copy keeps its own change.
            assertEquals((byte) ~data[100], ours.get(0));
        }
    }

    @Test
    void readWriteChangesReachTheFileAfterForce() throws IOException {
        Path file = TestSupport.randomFile(tmp, 20_000, 6);
        try (FileChannel channel = FileChannel.open(file, R, W);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_WRITE, 12_345, 5000)) {
            ByteBuffer buffer = region.buffer();
            buffer.put(0, (byte) 0x5a).put(4999, (byte) 0xa5);
            region.force(0, 1);
            region.force();
            ByteBuffer check = ByteBuffer.allocate(1);
            channel.read(check, 12_345);
            assertEquals(0x5a, check.get(0));
            channel.read(check.clear(), 12_345 + 4999);
            assertEquals((byte) 0xa5, check.get(0));
        }
    }

    @Test
    void unalignedPositionIsRoundedDownInternallyAndAddressPointsAtPosition() throws IOException {
        byte[] data = TestSupport.randomBytes(20_000, 7);
        Path file = tmp.resolve("unaligned");
        Files.write(file, data);
        try (FileChannel channel = FileChannel.open(file, R);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 4097, 10_000)) {
            assertEquals(4097 % MappedRegion.pageSize(), region.address() % MappedRegion.pageSize());
            ByteBuffer window = region.buffer(3, 5);
            assertEquals(0, window.position());
            assertEquals(5, window.limit());
            assertEquals(5, window.capacity());
            for (int i = 0; i < 5; i++) {
                assertEquals(data[4097 + 3 + i], window.get(i));
            }
        }
    }

    @Test
    void sizeZeroMapsNothingAndGivesAnEmptyRegion() throws IOException {
        Path file = TestSupport.randomFile(tmp, 100, 8);
        try (FileChannel channel = FileChannel.open(file, R)) {
            MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 50, 0);
            assertEquals(0, region.size());
            assertEquals(0, region.buffer().capacity());
            assertTrue(region.buffer().isDirect());
            region.load();
            region.force();
            assertEquals(0, region.transferTo(0, 10, java.nio.channels.Channels.newChannel(
                    new java.io.ByteArrayOutputStream())));
            region.close();
            region.close();
            assertFalse(region.isOpen());
        }
    }

    @Test
    void windowsAndRangesOutsideTheRegionAreIndexOutOfBounds() throws IOException {
        Path file = TestSupport.randomFile(tmp, 10_000, 9);
        try (FileChannel channel = FileChannel.open(file, R);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 10_000)) {
            assertThrows(IndexOutOfBoundsException.class, () -> region.buffer(-1, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> region.buffer(0, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> region.buffer(9_999, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> region.buffer(Long.MAX_VALUE, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> region.force(5000, 5001));
            assertThrows(IndexOutOfBoundsException.class, () -> region.advise(Advice.WILLNEED, 10_000, 1));
            assertEquals(0, region.buffer(10_000, 0).capacity());
            for (Advice advice : Advice.values()) {
                if (advice != Advice.HUGEPAGE) {
                    region.advise(advice, 1, 9000);
                }
            }
        }
    }

    @Test
    void optionsPopulateHugePagesAndLockedMapTheSameBytes() throws IOException {
        byte[] data = TestSupport.randomBytes(1 << 20, 10);
        Path file = tmp.resolve("options");
        Files.write(file, data);
        try (FileChannel channel = FileChannel.open(file, R)) {
            for (MapOption option : MapOption.values()) {
                try (MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, data.length, option)) {
                    byte[] read = new byte[data.length];
                    region.buffer().get(read);
                    assertArrayEquals(data, read, option.name());
                    region.load();
                    region.lock();
                    region.unlock();
                }
            }
        }
    }

    @Test
    void loadAndTransferToReportAShrunkFileInsteadOfCrashing() throws IOException {
        Path file = TestSupport.randomFile(tmp, 1 << 20, 11);
        try (FileChannel channel = FileChannel.open(file, R, W);
                MappedRegion region = ZeroCopy.map(channel, MapMode.READ_ONLY, 0, 1 << 20)) {
            region.load();
            channel.truncate(4096);
            IOException load = assertThrows(IOException.class, region::load);
            assertTrue(load.getMessage().contains("shrank"), load.getMessage());
            Path out = tmp.resolve("out");
            try (FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE, W)) {
                assertThrows(IOException.class, () -> region.transferTo(0, 1 << 20, target));
                // The part that the file still holds transfers.
                assertEquals(4096, region.transferTo(0, 4096, target));
            }
        }
    }
}
