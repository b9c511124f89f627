package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** transferTo file -> socket end to end: every byte arrives, bad input is refused. */
class TransferToIntegrityTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64 * 1024, (1 << 20) + 1, 100 << 20})
    void fileToBlockingSocketDeliversEveryByte(int size) throws Exception {
        fileToSocket(size, true);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, (1 << 20) + 1, 100 << 20})
    void fileToNonBlockingSocketDeliversEveryByteAcrossCalls(int size) throws Exception {
        fileToSocket(size, false);
    }

    private void fileToSocket(int size, boolean blocking) throws Exception {
        Path file = TestSupport.randomFile(tmp, size, size);
        SocketChannel[] s = TestSupport.socketPair();
        s[0].configureBlocking(blocking);
        Future<TestSupport.Drained> received = TestSupport.drain(s[1]);
        try (FileChannel in = FileChannel.open(file)) {
            long sent = 0;
            while (sent < size) {
                long n = ZeroCopy.transferTo(in, sent, size - sent, s[0]);
                if (n == 0) {
                    Thread.sleep(1);
                }
                sent += n;
            }
            assertEquals(size, sent);
            assertEquals(0, in.position(), "transferTo leaves the source position alone");
        }
        s[0].close();
        TestSupport.Drained result = received.get(60, TimeUnit.SECONDS);
        assertEquals((long) size, result.bytes);
        assertEquals(TestSupport.sha256(file), result.sha256);
    }

    @Test
    void targetWithoutDescriptorGetsTheBytesThroughABuffer() throws Exception {
        Path file = TestSupport.randomFile(tmp, 100_000, 11);
        java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
        WritableByteChannel target = java.nio.channels.Channels.newChannel(sink);
        try (FileChannel in = FileChannel.open(file)) {
            assertEquals(90_000, ZeroCopy.transferTo(in, 10_000, Long.MAX_VALUE, target));
        }
        assertEquals(TestSupport.sha256(file, 10_000, 90_000), TestSupport.sha256(sink.toByteArray()));
    }

    @Test
    void badInputGetsNiosExceptions() throws Exception {
        Path file = TestSupport.randomFile(tmp, 100, 12);
        SocketChannel[] s = TestSupport.socketPair();
        try (FileChannel in = FileChannel.open(file);
                FileChannel writeOnly = FileChannel.open(file, StandardOpenOption.WRITE);
                FileChannel readOnly = FileChannel.open(file)) {
            assertThrows(NullPointerException.class, () -> ZeroCopy.transferTo(null, 0, 1, s[0]));
            assertThrows(NullPointerException.class, () -> ZeroCopy.transferTo(in, 0, 1, null));
            assertThrows(IllegalArgumentException.class, () -> ZeroCopy.transferTo(in, -1, 1, s[0]));
            assertThrows(IllegalArgumentException.class, () -> ZeroCopy.transferTo(in, 0, -1, s[0]));
            assertThrows(NonReadableChannelException.class, () -> ZeroCopy.transferTo(writeOnly, 0, 1, s[0]));
            assertThrows(NonWritableChannelException.class, () -> ZeroCopy.transferTo(in, 0, 1, readOnly));
            // The same cases through NIO, for the record: same exception types.
            assertThrows(NonReadableChannelException.class, () -> writeOnly.transferTo(0, 1, s[0]));
            assertThrows(NonWritableChannelException.class, () -> in.transferTo(0, 1, readOnly));
            assertThrows(IllegalArgumentException.class, () -> in.transferTo(-1, 1, s[0]));
        }
        FileChannel closed = FileChannel.open(file);
        closed.close();
        assertThrows(ClosedChannelException.class, () -> ZeroCopy.transferTo(closed, 0, 1, s[0]));
        try (FileChannel in = FileChannel.open(file)) {
            s[0].close();
            assertThrows(ClosedChannelException.class, () -> ZeroCopy.transferTo(in, 0, 1, s[0]));
        }
        assertEquals(0, s[1].read(ByteBuffer.allocate(10)) > 0 ? 1 : 0, "nothing was written");
    }

    @Test
    void positionAtOrPastEndOfFileTransfersNothing() throws IOException {
        Path file = TestSupport.randomFile(tmp, 100, 13);
        SocketChannel[] s = TestSupport.socketPair();
        try (FileChannel in = FileChannel.open(file)) {
            assertEquals(0, ZeroCopy.transferTo(in, 100, 10, s[0]));
            assertEquals(0, ZeroCopy.transferTo(in, 1000, 10, s[0]));
            assertEquals(in.transferTo(100, 10, s[0]), ZeroCopy.transferTo(in, 100, 10, s[0]));
        }
    }
}
