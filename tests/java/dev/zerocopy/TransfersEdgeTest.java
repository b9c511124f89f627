package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every offset/length pair around the edges of the JDK's buffer and mapping sizes (0..16386,
 * as the JDK's Transfers test walks them), for each kind of target (socket, pipe, a channel
 * without a descriptor) and each kind of source: FileChannel and ZeroCopy must return the same
 * count and deliver the same bytes, leaving the same bytes unread.
 */
class TransfersEdgeTest {
    static final int[] SIZES = {0, 1, 4095, 8191, 8192, 8193, 16383, 16384, 16385, 16386};

    @TempDir
    Path tmp;

    enum Kind { SOCKET, PIPE, USER }

    interface Transfer {
        long run(FileChannel file, WritableByteChannel target) throws IOException;
    }

    interface TransferIn {
        long run(ReadableByteChannel source, FileChannel file) throws IOException;
    }

    static long[] positions(int size) {
        return java.util.stream.LongStream.of(0, 1, 2, size / 2, size - 2, size - 1, size, size + 1, 8191, 8192,
                8193).filter(p -> p >= 0 && p <= size + 1).distinct().toArray();
    }

    static long[] lengths(long remaining) {
        return java.util.stream.LongStream.of(0, 1, 2, remaining - 1, remaining, remaining + 1, 8191, 8192, 8193,
                16386, Long.MAX_VALUE).filter(c -> c >= 0).distinct().toArray();
    }

    /** [count returned, sha256 of the bytes the target received]. */
    static String sendThrough(Kind kind, FileChannel file, Transfer transfer) throws Exception {
        WritableByteChannel target;
        ReadableByteChannel reader;
        if (kind == Kind.SOCKET) {
            SocketChannel[] pair = TestSupport.socketPair();
            target = pair[0];
            reader = pair[1];
        } else {
            Pipe pipe = Pipe.open();
            target = pipe.sink();
            reader = pipe.source();
        }
        Future<TestSupport.Drained> received = TestSupport.drain(reader);
        long n;
        try {
            n = transfer.run(file, kind == Kind.USER ? new TransferConformanceTest.Forwarding(target) : target);
        } finally {
            target.close();
        }
        TestSupport.Drained got = received.get(30, TimeUnit.SECONDS);
        reader.close();
        return "returned " + n + ", received " + got.bytes + " bytes " + got.sha256;
    }

    @Test
    void transferToEverySizePositionAndLengthToSocketsPipesAndUserChannels() throws Exception {
        for (int size : SIZES) {
            Path path = tmp.resolve("src-" + size);
            Files.write(path, TestSupport.randomBytes(size, size));
            try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ)) {
                for (Kind kind : Kind.values()) {
                    for (long position : positions(size)) {
                        for (long count : lengths(size - position)) {
                            String label = kind + " size " + size + " transferTo(" + position + ", " + count + ")";
                            String nio = sendThrough(kind, file, (f, t) -> f.transferTo(position, count, t));
                            String ours = sendThrough(kind, file, (f, t) -> ZeroCopy.transferTo(f, position, count, t));
                            assertEquals(nio, ours, label);
                            assertEquals(0, file.position(), label + ": source position unchanged");
                        }
                    }
                }
            }
        }
    }

    /** Result, the file's size and bytes, and [count, sha256] of what was left in the source. */
    String receiveFrom(Kind kind, byte[] data, long position, long count, TransferIn transfer) throws Exception {
        ReadableByteChannel source;
        WritableByteChannel writer;
        if (kind == Kind.SOCKET) {
            SocketChannel[] pair = TestSupport.socketPair();
            writer = pair[0];
            source = pair[1];
        } else {
            Pipe pipe = Pipe.open();
            writer = pipe.sink();
            source = pipe.source();
        }
        Future<Void> fed = TestSupport.feed(writer, data);
        Path path = Files.createTempFile(tmp, "dst-", ".bin");
        Files.write(path, TestSupport.randomBytes(100, 5));
        long n;
        try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            n = transfer.run(kind == Kind.USER ? new TransferConformanceTest.Counting(source) : source, file);
            assertEquals(0, file.position(), "the target's position does not change");
        }
        TestSupport.Drained rest = TestSupport.drain(source).get(30, TimeUnit.SECONDS);
        fed.get(30, TimeUnit.SECONDS);
        source.close();
        String result = "returned " + n + ", file " + Files.size(path) + " bytes " + TestSupport.sha256(path)
                + ", left in source " + rest.bytes + " bytes " + rest.sha256;
        Files.delete(path);
        return result;
    }

    @Test
    void transferFromEveryLengthAndPositionOutOfSocketsPipesAndUserChannels() throws Exception {
        for (int size : SIZES) {
            byte[] data = TestSupport.randomBytes(size, size + 1);
            for (Kind kind : Kind.values()) {
                for (long position : new long[] {0, 1, 99, 100}) {
                    for (long count : lengths(size)) {
                        String label = kind + " size " + size + " transferFrom(" + position + ", " + count + ")";
                        String nio = receiveFrom(kind, data, position, count, (s, f) -> f.transferFrom(s, position, count));
                        String ours = receiveFrom(kind, data, position, count,
                                (s, f) -> ZeroCopy.transferFrom(s, f, position, count));
                        assertEquals(nio, ours, label);
                    }
                }
            }
        }
    }

    @Test
    void transferToANonBlockingSocketMovesWhatFitsUntilItReturnsZero() throws Exception {
        int size = 16 << 20;
        Path path = TestSupport.randomFile(tmp, size, 77);
        SocketChannel[] pair = TestSupport.socketPair();
        pair[0].configureBlocking(false);
        try (FileChannel file = FileChannel.open(path)) {
            long moved = 0;
            long n;
            int calls = 0;
            while ((n = ZeroCopy.transferTo(file, moved, size - moved, pair[0])) > 0) {
                moved += n;
                calls++;
            }
            assertEquals(0, n, "a full non-blocking socket gives 0, not an exception");
            org.junit.jupiter.api.Assertions.assertTrue(moved > 0 && moved < size, "moved " + moved);
            // NIO on the same full socket also says 0.
            assertEquals(0, file.transferTo(moved, size - moved, pair[0]));
            // Read exactly what was accepted and check it, then the socket takes more again.
            ByteBuffer got = ByteBuffer.allocate((int) moved);
            while (got.hasRemaining()) {
                pair[1].read(got);
            }
            ByteBuffer expected = ByteBuffer.allocate((int) moved);
            file.read(expected, 0);
            assertEquals(expected.flip(), got.flip(), "after " + calls + " calls");
            long more = 0;
            for (int i = 0; i < 1000 && more == 0; i++) {
                more = ZeroCopy.transferTo(file, moved, size - moved, pair[0]);
            }
            org.junit.jupiter.api.Assertions.assertTrue(more > 0, "the drained socket accepts bytes again");
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    @Test
    void transferFromANonBlockingSocketTakesWhatIsThereAndReturnsZeroWhenNothingIs() throws Exception {
        SocketChannel[] pair = TestSupport.socketPair();
        pair[1].configureBlocking(false);
        Path path = tmp.resolve("nb");
        try (FileChannel file = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            assertEquals(0, ZeroCopy.transferFrom(pair[1], file, 0, 1000));
            assertEquals(0, file.transferFrom(pair[1], 0, 1000), "NIO agrees");
            byte[] data = TestSupport.randomBytes(5000, 3);
            pair[0].write(ByteBuffer.wrap(data));
            long got = 0;
            for (int i = 0; i < 10_000 && got < 5000; i++) {
                got += ZeroCopy.transferFrom(pair[1], file, got, 1_000_000);
            }
            assertEquals(5000, got);
            assertEquals(TestSupport.sha256(data), TestSupport.sha256(path));
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }
}
