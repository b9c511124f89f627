package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 point 4: source first everywhere, -1 for end of file or stream and 0 only for
 * would-block, wrap() usable as source and target with a close() that marks it closed,
 * relay between pipe ends.
 */
class ApiConsistencyTest {
    @TempDir
    Path dir;

    @Test
    void sendfileTakesTheSourceFirstAndSaysEndOfFileWithMinusOne() throws Exception {
        byte[] data = TestSupport.randomBytes(10_000, 16);
        Path file = dir.resolve("data");
        Files.write(file, data);
        try (FileChannel in = FileChannel.open(file); KernelPipe pipe = ZeroCopy.pipe(1 << 16)) {
            assertEquals(10_000, ZeroCopy.sendfile(in, 0, 1 << 20, pipe.sink()));
            assertEquals(-1, ZeroCopy.sendfile(in, 10_000, 10, pipe.sink()), "at end of file");
            assertEquals(0, ZeroCopy.sendfile(in, 0, 0, pipe.sink()), "count 0");
            pipe.sink().configureBlocking(false);
            long more = 0;
            while (ZeroCopy.sendfile(in, 0, 10_000, pipe.sink()) > 0) {
                more++;
            }
            assertEquals(0, ZeroCopy.sendfile(in, 0, 10_000, pipe.sink()), "a full non-blocking pipe: 0");
            assertTrue(more > 0);
        }
    }

    @Test
    void aRelayThatReachedEndOfStreamReturnsMinusOneAndWorksBetweenPipeEnds() throws Exception {
        Pipe from = Pipe.open();
        SocketChannel[] to = TestSupport.socketPair();
        try (Relay relay = ZeroCopy.relay(from.source(), to[0])) {
            byte[] data = TestSupport.randomBytes(100_000, 17);
            Future<Void> fed = TestSupport.feed(from.sink(), data); // closes the sink at the end
            Future<TestSupport.Drained> drained = TestSupport.drain(to[1]);
            long moved = 0;
            for (long n; (n = relay.transfer()) != -1; ) {
                assertTrue(n > 0, "blocking: never 0");
                moved += n;
            }
            fed.get(10, TimeUnit.SECONDS);
            assertEquals(100_000, moved);
            assertTrue(relay.isDone());
            assertEquals(-1, relay.transfer(), "still -1");
            assertEquals(TestSupport.sha256(data), drained.get(10, TimeUnit.SECONDS).sha256);
        } finally {
            from.source().close();
            to[0].close();
            to[1].close();
        }
    }

    @Test
    void aWrappedDescriptorIsSourceAndTargetAndCloseLeavesTheDescriptorOpen() throws Exception {
        byte[] data = TestSupport.randomBytes(50_000, 18);
        Path src = dir.resolve("src");
        Files.write(src, data);
        Path dst = dir.resolve("dst");
        try (FileInputStream in = new FileInputStream(src.toFile());
                FileOutputStream out = new FileOutputStream(dst.toFile());
                FileChannel file = FileChannel.open(src)) {
            ByteChannel source = ZeroCopy.wrap(in.getFD());
            ByteChannel target = ZeroCopy.wrap(out.getFD());
            assertEquals(20_000, ZeroCopy.transferTo(file, 0, 20_000, target), "as a transferTo target");
            try (FileChannel copy = FileChannel.open(dst, java.nio.file.StandardOpenOption.WRITE)) {
                assertEquals(10_000, ZeroCopy.transferFrom(source, copy, 20_000, 10_000), "as a transferFrom source");
            }
            ByteBuffer rest = ByteBuffer.allocate(20_000);
            while (rest.hasRemaining() && source.read(rest) > 0) {
                // read directly: the descriptor's position moved by 10,000 above
            }
            rest.flip();
            assertEquals(20_000, rest.remaining());
            while (rest.hasRemaining()) {
                target.write(rest); // written directly, after the 20,000 of transferTo
            }
            target.close();
            assertFalse(target.isOpen());
            assertThrows(ClosedChannelException.class, () -> ZeroCopy.transferTo(file, 0, 1, target));
            assertThrows(ClosedChannelException.class, () -> target.write(ByteBuffer.allocate(1)));
            assertTrue(out.getFD().valid(), "close() of the wrapper leaves the caller's descriptor open");
            out.write(new byte[] {42}); // still the caller's to use
            source.close();
            try (KernelPipe pipe = ZeroCopy.pipe(4096)) {
                assertThrows(ClosedChannelException.class, () -> ZeroCopy.splice(source, pipe.sink(), 1));
            }
        }
        // transferTo wrote data[0, 20000) at 0; the direct write went on at 20,000 with what the
        // direct read got after transferFrom had taken 10,000 bytes: data[10000, 30000).
        ByteBuffer want = ByteBuffer.allocate(40_001);
        want.put(data, 0, 20_000).put(data, 10_000, 20_000).put((byte) 42);
        assertArrayEquals(want.array(), Files.readAllBytes(dst));
    }
}
