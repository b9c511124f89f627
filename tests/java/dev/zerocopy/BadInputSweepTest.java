package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every public method of ZeroCopy, MappedRegion, KernelPipe and Relay with each bad input that
 * applies: null, negative, Long.MAX_VALUE where illegal, closed channel, wrong-mode channel,
 * a channel without a descriptor, a heap buffer where a direct one is needed, a read-only
 * buffer as a target. Each case must throw the exception the method's javadoc names (for
 * nulls: NullPointerException, the JDK's convention) and nothing may reach the target file,
 * the pipe or the socket. Mismatches are collected so one run lists them all.
 */
class BadInputSweepTest {
    private static final int SIZE = 4096;

    @TempDir
    Path dir;

    private Path source;
    private Path target;
    private byte[] sourceBytes;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> mismatches = new ArrayList<>();
    /** Bytes a case put in {@link #pipe} on purpose before the bad call. */
    private int inPipe;

    private FileChannel src;          // READ on source
    private FileChannel srcWriteOnly; // WRITE on source
    private FileChannel dst;          // WRITE on target
    private FileChannel dstReadOnly;  // READ on target
    private FileChannel closedFile;
    private SocketChannel client;     // we write here
    private SocketChannel server;     // checked for bytes
    private SocketChannel closedSocket;
    private KernelPipe pipe;          // sink is a target; available() is checked
    private KernelPipe closedPipe;

    interface Call {
        Object run() throws Throwable;
    }

    @BeforeEach
    void open() throws IOException {
        sourceBytes = TestSupport.randomBytes(SIZE, 8);
        source = dir.resolve("source");
        Files.write(source, sourceBytes);
        target = dir.resolve("target");
        Files.createFile(target);
        src = keep(FileChannel.open(source, StandardOpenOption.READ));
        srcWriteOnly = keep(FileChannel.open(source, StandardOpenOption.WRITE));
        dst = keep(FileChannel.open(target, StandardOpenOption.WRITE));
        dstReadOnly = keep(FileChannel.open(target, StandardOpenOption.READ));
        closedFile = FileChannel.open(source, StandardOpenOption.READ);
        closedFile.close();
        SocketChannel[] pair = TestSupport.socketPair();
        client = keep(pair[0]);
        server = keep(pair[1]);
        server.configureBlocking(false);
        closedSocket = SocketChannel.open();
        closedSocket.close();
        pipe = keep(ZeroCopy.pipe(65536));
        closedPipe = ZeroCopy.pipe(65536);
        closedPipe.close();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    /** Runs {@code call}, expecting one of {@code expected}, then checks nothing was written. */
    @SafeVarargs
    @SuppressWarnings("varargs")
    private void expect(String name, Call call, Class<? extends Throwable>... expected) {
        String outcome;
        try {
            Object result = call.run();
            outcome = "returned " + result;
        } catch (Throwable t) {
            boolean ok = false;
            for (Class<? extends Throwable> type : expected) {
                ok |= type.isInstance(t);
            }
            if (ok) {
                outcome = null;
            } else {
                outcome = "threw " + t;
            }
        }
        if (outcome != null) {
            mismatches.add(name + ": expected " + Arrays.toString(Arrays.stream(expected)
                    .map(Class::getSimpleName).toArray()) + " but " + outcome);
        }
        checkNothingWritten(name);
    }

    /** A legal boundary call: it must return {@code expectedResult} and write nothing. */
    private void returns(String name, long expectedResult, Call call) {
        try {
            Object result = call.run();
            if (!(result instanceof Number) || ((Number) result).longValue() != expectedResult) {
                mismatches.add(name + ": expected " + expectedResult + " but returned " + result);
            }
        } catch (Throwable t) {
            mismatches.add(name + ": expected " + expectedResult + " but threw " + t);
        }
        checkNothingWritten(name);
    }

    private void checkNothingWritten(String name) {
        try {
            if (Files.size(target) != 0) {
                mismatches.add(name + ": target file now has " + Files.size(target) + " bytes");
                Files.newByteChannel(target, StandardOpenOption.WRITE).truncate(0).close();
            }
            if (!Arrays.equals(sourceBytes, Files.readAllBytes(source))) {
                mismatches.add(name + ": source file changed");
                Files.write(source, sourceBytes);
            }
            if (pipe.isOpen() && pipe.available() != inPipe) {
                mismatches.add(name + ": pipe holds " + pipe.available() + " bytes");
                pipe.source().configureBlocking(false);
                pipe.source().read(ByteBuffer.allocate(1 << 20));
            }
            int n = server.isOpen() ? server.read(ByteBuffer.allocate(1 << 20)) : 0;
            if (n != 0) {
                mismatches.add(name + ": socket received " + n);
            }
        } catch (IOException e) {
            mismatches.add(name + ": checking the targets failed: " + e);
        }
    }

    private void assertNoMismatches() {
        assertTrue(mismatches.isEmpty(), "contradictions with the javadoc:\n  " + String.join("\n  ", mismatches));
    }

    @Test
    void transferToRejectsEachBadInputWithTheDocumentedExceptionAndWritesNothing() throws IOException {
        expect("transferTo null src", () -> ZeroCopy.transferTo(null, 0, 10, dst), NullPointerException.class);
        expect("transferTo null target", () -> ZeroCopy.transferTo(src, 0, 10, null), NullPointerException.class);
        expect("transferTo position -1", () -> ZeroCopy.transferTo(src, -1, 10, dst), IllegalArgumentException.class);
        expect("transferTo count -1", () -> ZeroCopy.transferTo(src, 0, -1, dst), IllegalArgumentException.class);
        expect("transferTo position Long.MIN_VALUE", () -> ZeroCopy.transferTo(src, Long.MIN_VALUE, 10, client),
                IllegalArgumentException.class);
        expect("transferTo closed src", () -> ZeroCopy.transferTo(closedFile, 0, 10, dst), ClosedChannelException.class);
        expect("transferTo closed file target", () -> ZeroCopy.transferTo(src, 0, 10, closeAfterOpen()),
                ClosedChannelException.class);
        expect("transferTo closed socket target", () -> ZeroCopy.transferTo(src, 0, 10, closedSocket),
                ClosedChannelException.class);
        expect("transferTo closed pipe target", () -> ZeroCopy.transferTo(src, 0, 10, closedPipe.sink()),
                ClosedChannelException.class);
        expect("transferTo write-only src", () -> ZeroCopy.transferTo(srcWriteOnly, 0, 10, dst),
                NonReadableChannelException.class);
        expect("transferTo write-only src to socket", () -> ZeroCopy.transferTo(srcWriteOnly, 0, 10, client),
                NonReadableChannelException.class);
        expect("transferTo read-only target", () -> ZeroCopy.transferTo(src, 0, 10, dstReadOnly),
                NonWritableChannelException.class);
        // Legal boundaries as in NIO: a position past the end moves nothing.
        returns("transferTo position Long.MAX_VALUE to socket", 0, () -> ZeroCopy.transferTo(src, Long.MAX_VALUE, 10, client));
        returns("transferTo position Long.MAX_VALUE to pipe", 0,
                () -> ZeroCopy.transferTo(src, Long.MAX_VALUE, 10, pipe.sink()));
        returns("transferTo count 0", 0, () -> ZeroCopy.transferTo(src, 0, 0, client));
        assertNoMismatches();
    }

    @Test
    void transferFromRejectsEachBadInputWithTheDocumentedExceptionAndWritesNothing() throws IOException {
        FileChannel srcAgain = keep(FileChannel.open(source, StandardOpenOption.READ));
        expect("transferFrom null src", () -> ZeroCopy.transferFrom(null, dst, 0, 10), NullPointerException.class);
        expect("transferFrom null dst", () -> ZeroCopy.transferFrom(src, null, 0, 10), NullPointerException.class);
        expect("transferFrom position -1", () -> ZeroCopy.transferFrom(src, dst, -1, 10), IllegalArgumentException.class);
        expect("transferFrom count -1", () -> ZeroCopy.transferFrom(src, dst, 0, -1), IllegalArgumentException.class);
        expect("transferFrom count Long.MIN_VALUE", () -> ZeroCopy.transferFrom(client, dst, 0, Long.MIN_VALUE),
                IllegalArgumentException.class);
        expect("transferFrom closed src file", () -> ZeroCopy.transferFrom(closedFile, dst, 0, 10),
                ClosedChannelException.class);
        expect("transferFrom closed src socket", () -> ZeroCopy.transferFrom(closedSocket, dst, 0, 10),
                ClosedChannelException.class);
        expect("transferFrom closed src pipe", () -> ZeroCopy.transferFrom(closedPipe.source(), dst, 0, 10),
                ClosedChannelException.class);
        expect("transferFrom closed dst", () -> ZeroCopy.transferFrom(srcAgain, closeAfterOpen(), 0, 10),
                ClosedChannelException.class);
        expect("transferFrom write-only src", () -> ZeroCopy.transferFrom(srcWriteOnly, dst, 0, 10),
                NonReadableChannelException.class);
        expect("transferFrom read-only dst", () -> ZeroCopy.transferFrom(srcAgain, dstReadOnly, 0, 10),
                NonWritableChannelException.class);
        expect("transferFrom read-only dst, socket src", () -> ZeroCopy.transferFrom(server, dstReadOnly, 0, 10),
                NonWritableChannelException.class);
        assertEquals(0, srcAgain.position(), "a refused transferFrom must not advance src");
        assertNoMismatches();
    }

    @Test
    void sendfileAndCopyFileRangeRejectEachBadInputAndWriteNothing() throws IOException {
        expect("sendfile null target", () -> ZeroCopy.sendfile(src, 0, 10, null), NullPointerException.class);
        expect("sendfile null src", () -> ZeroCopy.sendfile(null, 0, 10, client), NullPointerException.class);
        expect("sendfile position -1", () -> ZeroCopy.sendfile(src, -1, 10, client), IllegalArgumentException.class);
        expect("sendfile count -1", () -> ZeroCopy.sendfile(src, 0, -1, client), IllegalArgumentException.class);
        expect("sendfile closed src", () -> ZeroCopy.sendfile(closedFile, 0, 10, client), ClosedChannelException.class);
        expect("sendfile closed target", () -> ZeroCopy.sendfile(src, 0, 10, closedSocket), ClosedChannelException.class);
        expect("sendfile write-only src", () -> ZeroCopy.sendfile(srcWriteOnly, 0, 10, client),
                NonReadableChannelException.class);
        expect("sendfile read-only target", () -> ZeroCopy.sendfile(src, 0, 10, dstReadOnly),
                NonWritableChannelException.class);
        expect("sendfile target without descriptor", () -> ZeroCopy.sendfile(src, 0, 10, new NoDescriptor()),
                IllegalArgumentException.class);
        expect("sendfile src without descriptor", () -> ZeroCopy.sendfile(new NoDescriptorFile(), 0, 10, client),
                IllegalArgumentException.class);
        returns("sendfile position past the end: end of file", -1, () -> ZeroCopy.sendfile(src, SIZE + 100, 10, client));
        returns("sendfile position past the end, pipe target: end of file", -1,
                () -> ZeroCopy.sendfile(src, SIZE + 100, 10, pipe.sink()));

        expect("copyFileRange null src", () -> ZeroCopy.copyFileRange(null, 0, dst, 0, 10), NullPointerException.class);
        expect("copyFileRange null dst", () -> ZeroCopy.copyFileRange(src, 0, null, 0, 10), NullPointerException.class);
        expect("copyFileRange count -1", () -> ZeroCopy.copyFileRange(src, 0, dst, 0, -1), IllegalArgumentException.class);
        expect("copyFileRange srcPosition -2", () -> ZeroCopy.copyFileRange(src, -2, dst, 0, 10),
                IllegalArgumentException.class);
        expect("copyFileRange dstPosition Long.MIN_VALUE", () -> ZeroCopy.copyFileRange(src, 0, dst, Long.MIN_VALUE, 10),
                IllegalArgumentException.class);
        expect("copyFileRange APPEND dst", () -> ZeroCopy.copyFileRange(src, 0,
                keep(FileChannel.open(target, StandardOpenOption.APPEND)), -1, 10), IllegalArgumentException.class);
        expect("copyFileRange closed src", () -> ZeroCopy.copyFileRange(closedFile, 0, dst, 0, 10),
                ClosedChannelException.class);
        expect("copyFileRange closed dst", () -> ZeroCopy.copyFileRange(src, 0, closeAfterOpen(), 0, 10),
                ClosedChannelException.class);
        expect("copyFileRange write-only src", () -> ZeroCopy.copyFileRange(srcWriteOnly, 0, dst, 0, 10),
                NonReadableChannelException.class);
        expect("copyFileRange read-only dst", () -> ZeroCopy.copyFileRange(src, 0, dstReadOnly, 0, 10),
                NonWritableChannelException.class);
        expect("copyFileRange src without descriptor", () -> ZeroCopy.copyFileRange(new NoDescriptorFile(), 0, dst, 0, 10),
                IllegalArgumentException.class);
        returns("copyFileRange srcPosition Long.MAX_VALUE", 0, () -> ZeroCopy.copyFileRange(src, Long.MAX_VALUE, dst, 0, 10));
        assertNoMismatches();
    }

    @Test
    void spliceRejectsEachBadInputWithTheDocumentedExceptionAndWritesNothing() throws IOException {
        NoDescriptor user = new NoDescriptor();
        expect("splice null in", () -> ZeroCopy.splice(null, client, 10), NullPointerException.class);
        expect("splice null out", () -> ZeroCopy.splice(src, null, 10), NullPointerException.class);
        expect("splice null flags", () -> ZeroCopy.splice(src, client, 10, (SpliceFlag[]) null),
                NullPointerException.class);
        expect("splice count -1", () -> ZeroCopy.splice(src, client, -1), IllegalArgumentException.class);
        expect("splice count Long.MIN_VALUE", () -> ZeroCopy.splice(src, pipe.sink(), Long.MIN_VALUE),
                IllegalArgumentException.class);
        expect("splice inPosition -2", () -> ZeroCopy.splice(src, -2, client, -1, 10), IllegalArgumentException.class);
        expect("splice outPosition -2", () -> ZeroCopy.splice(src, 0, dst, -2, 10), IllegalArgumentException.class);
        expect("splice outPosition on a socket", () -> ZeroCopy.splice(src, 0, client, 0, 10),
                IllegalArgumentException.class);
        expect("splice inPosition on a pipe", () -> ZeroCopy.splice(pipe.source(), 0, dst, 0, 10),
                IllegalArgumentException.class);
        expect("splice in without descriptor", () -> ZeroCopy.splice(user, client, 10), IllegalArgumentException.class);
        expect("splice out without descriptor", () -> ZeroCopy.splice(src, user, 10), IllegalArgumentException.class);
        expect("splice closed in", () -> ZeroCopy.splice(closedFile, client, 10), ClosedChannelException.class);
        expect("splice closed out socket", () -> ZeroCopy.splice(src, 0, closedSocket, -1, 10),
                ClosedChannelException.class);
        expect("splice closed out pipe", () -> ZeroCopy.splice(src, 0, closedPipe.sink(), -1, 10),
                ClosedChannelException.class);
        // Wrong mode: the javadoc names no exception; require an IOException (EBADF), not an Error.
        expect("splice write-only in", () -> ZeroCopy.splice(srcWriteOnly, 0, pipe.sink(), -1, 10),
                IOException.class, NonReadableChannelException.class);
        expect("splice read-only out", () -> ZeroCopy.splice(src, 0, dstReadOnly, 0, 10),
                IOException.class, NonWritableChannelException.class);
        expect("splice pipe read end as out", () -> ZeroCopy.splice(src, 0, pipe.source(), -1, 10),
                IOException.class, NonWritableChannelException.class);
        returns("splice inPosition past the end", -1, () -> ZeroCopy.splice(src, SIZE + 100, client, -1, 10));
        assertEquals(0, user.calls, "a channel without a descriptor must not be read or written");
        assertNoMismatches();
    }

    /**
     * Contradiction found by this sweep: at a file position whose sum with {@code count}
     * overflows, splice's kernel call refuses with EINVAL and the library throws
     * ErrnoException, where splice's javadoc promises -1 ("in was at end of stream") and
     * sendfile's promises 0 ("at end of file"); transferTo and copyFileRange return 0 there.
     */
    @Test
    void spliceAndSendfileAtPositionLongMaxValueReportEndOfFile() {
        returns("splice inPosition Long.MAX_VALUE", -1, () -> ZeroCopy.splice(src, Long.MAX_VALUE, client, -1, 10));
        returns("sendfile position Long.MAX_VALUE: end of file", -1, () -> ZeroCopy.sendfile(src, Long.MAX_VALUE, 10, client));
        assertNoMismatches();
    }

    @Test
    void teeAndVmspliceRejectEachBadInputWithTheDocumentedExceptionAndWriteNothing() throws IOException {
        KernelPipe other = keep(ZeroCopy.pipe(65536));
        FakeSource fakeSource = new FakeSource();
        FakeSink fakeSink = new FakeSink();
        expect("tee null in", () -> ZeroCopy.tee(null, pipe.sink(), 10), NullPointerException.class);
        expect("tee null out", () -> ZeroCopy.tee(other.source(), null, 10), NullPointerException.class);
        expect("tee count -1", () -> ZeroCopy.tee(other.source(), pipe.sink(), -1), IllegalArgumentException.class);
        expect("tee in not a kernel pipe", () -> ZeroCopy.tee(fakeSource, pipe.sink(), 10),
                IllegalArgumentException.class);
        expect("tee out not a kernel pipe", () -> ZeroCopy.tee(other.source(), fakeSink, 10),
                IllegalArgumentException.class);
        expect("tee closed in", () -> ZeroCopy.tee(closedPipe.source(), pipe.sink(), 10), ClosedChannelException.class);
        expect("tee closed out", () -> ZeroCopy.tee(other.source(), closedPipe.sink(), 10),
                ClosedChannelException.class);
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        inPipe = 3;
        expect("tee same pipe", () -> ZeroCopy.tee(pipe.source(), pipe.sink(), 10, SpliceFlag.NONBLOCK),
                ErrnoException.class);
        assertEquals(3, pipe.available(), "tee into itself must not add bytes");
        pipe.source().read(ByteBuffer.allocate(3));
        inPipe = 0;

        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        expect("vmsplice null out", () -> ZeroCopy.vmsplice(null, direct), NullPointerException.class);
        expect("vmsplice null srcs", () -> ZeroCopy.vmsplice(pipe.sink(), (ByteBuffer[]) null),
                NullPointerException.class);
        expect("vmsplice null element", () -> ZeroCopy.vmsplice(pipe.sink(), direct, null), NullPointerException.class);
        expect("vmsplice heap buffer", () -> ZeroCopy.vmsplice(pipe.sink(), ByteBuffer.allocate(16)),
                IllegalArgumentException.class);
        expect("vmsplice direct then heap buffer", () -> ZeroCopy.vmsplice(pipe.sink(), direct, ByteBuffer.allocate(16)),
                IllegalArgumentException.class);
        expect("vmsplice out not a kernel pipe", () -> ZeroCopy.vmsplice(fakeSink, direct),
                IllegalArgumentException.class);
        expect("vmsplice closed out", () -> ZeroCopy.vmsplice(closedPipe.sink(), direct), ClosedChannelException.class);
        assertEquals(0, direct.position(), "a refused vmsplice must not advance the buffer");
        assertEquals(0, fakeSink.calls + fakeSource.calls, "a foreign pipe end must not be read or written");
        assertNoMismatches();
    }

    @Test
    void kernelPipeAndRelayRejectEachBadInputWithTheDocumentedException() throws IOException {
        expect("pipe(0)", () -> ZeroCopy.pipe(0), IllegalArgumentException.class);
        expect("pipe(-1)", () -> ZeroCopy.pipe(-1), IllegalArgumentException.class);
        expect("pipe(Integer.MAX_VALUE)", () -> ZeroCopy.pipe(Integer.MAX_VALUE), IllegalArgumentException.class);
        expect("pipe(null)", () -> ZeroCopy.pipe((Pipe) null), NullPointerException.class);
        expect("setCapacity(0)", () -> pipe.setCapacity(0), IllegalArgumentException.class);
        expect("setCapacity(-1)", () -> pipe.setCapacity(-1), IllegalArgumentException.class);
        expect("setCapacity(Integer.MAX_VALUE)", () -> pipe.setCapacity(Integer.MAX_VALUE),
                IllegalArgumentException.class);
        expect("setCapacity on closed pipe", () -> closedPipe.setCapacity(65536), ClosedChannelException.class);
        expect("capacity on closed pipe", () -> closedPipe.capacity(), ClosedChannelException.class);
        expect("available on closed pipe", () -> closedPipe.available(), ClosedChannelException.class);
        pipe.sink().write(ByteBuffer.allocate(8192));
        inPipe = 8192;
        expect("setCapacity below the bytes held", () -> pipe.setCapacity(4096), IOException.class);
        assertEquals(8192, pipe.available(), "a refused setCapacity must keep the bytes");
        pipe.source().read(ByteBuffer.allocate(8192));
        inPipe = 0;

        expect("relay null from", () -> ZeroCopy.relay(null, client), NullPointerException.class);
        expect("relay null to", () -> ZeroCopy.relay(server, null), NullPointerException.class);
        expect("relay closed from", () -> ZeroCopy.relay(closedSocket, client), ClosedChannelException.class);
        expect("relay closed to", () -> ZeroCopy.relay(server, closedSocket), ClosedChannelException.class);
        Relay relay = keep(ZeroCopy.relay(server, client));
        expect("relay transfer(-1)", () -> relay.transfer(-1), IllegalArgumentException.class);
        expect("relay transfer(Long.MIN_VALUE)", () -> relay.transfer(Long.MIN_VALUE), IllegalArgumentException.class);
        relay.close();
        expect("transfer on a closed relay", relay::transfer, ClosedChannelException.class);
        SocketChannel[] pair = TestSupport.socketPair();
        Relay orphan = keep(ZeroCopy.relay(pair[0], client));
        pair[0].close();
        pair[1].close();
        expect("transfer with a closed source", orphan::transfer, ClosedChannelException.class);
        assertNoMismatches();
    }

    @Test
    void mapAndMappedRegionRejectEachBadInputWithTheDocumentedException() throws IOException {
        FileChannel rw = keep(FileChannel.open(source, StandardOpenOption.READ, StandardOpenOption.WRITE));
        FileChannel.MapMode rwMode = FileChannel.MapMode.READ_WRITE;
        expect("map null channel", () -> ZeroCopy.map(null, rwMode, 0, 10), NullPointerException.class);
        expect("map null mode", () -> ZeroCopy.map(rw, null, 0, 10), NullPointerException.class);
        expect("map closed channel", () -> ZeroCopy.map(closedFile, FileChannel.MapMode.READ_ONLY, 0, 10),
                ClosedChannelException.class);
        expect("map position -1", () -> ZeroCopy.map(rw, rwMode, -1, 10), IllegalArgumentException.class);
        expect("map size -1", () -> ZeroCopy.map(rw, rwMode, 0, -1), IllegalArgumentException.class);
        expect("map position + size overflows", () -> ZeroCopy.map(rw, rwMode, Long.MAX_VALUE, 10),
                IllegalArgumentException.class);
        expect("map READ_WRITE on read-only channel", () -> ZeroCopy.map(src, rwMode, 0, 10),
                NonWritableChannelException.class);
        expect("map PRIVATE on read-only channel", () -> ZeroCopy.map(src, FileChannel.MapMode.PRIVATE, 0, 10),
                NonWritableChannelException.class);
        expect("map READ_ONLY on write-only channel", () -> ZeroCopy.map(srcWriteOnly, FileChannel.MapMode.READ_ONLY,
                0, 10), NonReadableChannelException.class);
        expect("map READ_ONLY past the end of a read-only channel", () -> ZeroCopy.map(src, FileChannel.MapMode.READ_ONLY,
                0, SIZE + 1), IOException.class);
        expect("map channel without descriptor", () -> ZeroCopy.map(new NoDescriptorFile(), rwMode, 0, 10),
                IllegalArgumentException.class);
        assertEquals(SIZE, Files.size(source), "a refused map must not grow the file");

        try (MappedRegion region = ZeroCopy.map(rw, rwMode, 0, SIZE);
                MappedRegion readOnly = ZeroCopy.map(src, FileChannel.MapMode.READ_ONLY, 0, SIZE)) {
            expect("buffer(-1, 1)", () -> region.buffer(-1, 1), IndexOutOfBoundsException.class);
            expect("buffer(0, size + 1)", () -> region.buffer(0, SIZE + 1), IndexOutOfBoundsException.class);
            expect("buffer(size, 1)", () -> region.buffer(SIZE, 1), IndexOutOfBoundsException.class);
            expect("buffer(0, -1)", () -> region.buffer(0, -1), IndexOutOfBoundsException.class);
            expect("buffer(Long.MAX_VALUE, 1)", () -> region.buffer(Long.MAX_VALUE, 1), IndexOutOfBoundsException.class);
            expect("force(0, size + 1)", () -> { region.force(0, SIZE + 1); return null; },
                    IndexOutOfBoundsException.class);
            expect("force(Long.MAX_VALUE, 1)", () -> { region.force(Long.MAX_VALUE, 1); return null; },
                    IndexOutOfBoundsException.class);
            expect("force(1, Long.MAX_VALUE)", () -> { region.force(1, Long.MAX_VALUE); return null; },
                    IndexOutOfBoundsException.class);
            expect("force(0, -1)", () -> { region.force(0, -1); return null; }, IndexOutOfBoundsException.class);
            expect("advise(null)", () -> { region.advise(null, 0, 1); return null; }, NullPointerException.class);
            expect("advise(-1, 1)", () -> { region.advise(Advice.WILLNEED, -1, 1); return null; },
                    IndexOutOfBoundsException.class);
            expect("advise(0, Long.MAX_VALUE)", () -> { region.advise(Advice.WILLNEED, 0, Long.MAX_VALUE); return null; },
                    IndexOutOfBoundsException.class);
            expect("region transferTo null", () -> region.transferTo(0, 10, null), NullPointerException.class);
            expect("region transferTo offset -1", () -> region.transferTo(-1, 10, dst), IllegalArgumentException.class);
            expect("region transferTo count -1", () -> region.transferTo(0, -1, dst), IllegalArgumentException.class);
            expect("region transferTo closed file", () -> region.transferTo(0, 10, closeAfterOpen()),
                    ClosedChannelException.class);
            expect("region transferTo closed socket", () -> region.transferTo(0, 10, closedSocket),
                    ClosedChannelException.class);
            expect("region transferTo read-only target", () -> region.transferTo(0, 10, dstReadOnly),
                    NonWritableChannelException.class);
            returns("region transferTo offset Long.MAX_VALUE", 0, () -> region.transferTo(Long.MAX_VALUE, 10, client));
            // A read-only buffer as a target: the READ_ONLY region's buffer refuses writes.
            ByteBuffer view = readOnly.buffer();
            expect("put into a READ_ONLY region's buffer", () -> view.put(0, (byte) 1), ReadOnlyBufferException.class);
        }
        assertTrue(Arrays.equals(sourceBytes, Files.readAllBytes(source)), "the mapped file must be unchanged");

        MappedRegion closed = ZeroCopy.map(rw, rwMode, 0, SIZE);
        closed.close();
        expect("buffer() after close", closed::buffer, IllegalStateException.class);
        expect("force() after close", () -> { closed.force(); return null; }, IllegalStateException.class);
        expect("load() after close", () -> { closed.load(); return null; }, IllegalStateException.class);
        expect("lock() after close", () -> { closed.lock(); return null; }, IllegalStateException.class);
        expect("address() after close", closed::address, IllegalStateException.class);
        expect("transferTo after close", () -> closed.transferTo(0, 10, client), IllegalStateException.class);
        assertNoMismatches();
    }

    private FileChannel closeAfterOpen() throws IOException {
        FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE);
        channel.close();
        return channel;
    }

    /** A user's own channel: no descriptor anywhere. Counts calls so a sweep can see it untouched. */
    static final class NoDescriptor implements ByteChannel {
        int calls;

        @Override
        public int read(ByteBuffer dst) {
            calls++;
            return -1;
        }

        @Override
        public int write(ByteBuffer src) {
            calls++;
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    /** A user's own FileChannel subclass, without a descriptor. */
    static final class NoDescriptorFile extends FileChannel {
        @Override
        public int read(ByteBuffer dst) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int write(ByteBuffer src) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long position() {
            return 0;
        }

        @Override
        public FileChannel position(long newPosition) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long size() {
            return SIZE;
        }

        @Override
        public FileChannel truncate(long size) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void force(boolean metaData) {}

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(ByteBuffer dst, long position) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int write(ByteBuffer src, long position) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) {
            throw new UnsupportedOperationException();
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException();
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void implCloseChannel() {}
    }

    /** A Pipe end that is not a kernel pipe. */
    static final class FakeSource extends Pipe.SourceChannel {
        int calls;

        FakeSource() {
            super(SelectorProvider.provider());
        }

        @Override
        public int read(ByteBuffer dst) {
            calls++;
            return -1;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            calls++;
            return -1;
        }

        @Override
        public long read(ByteBuffer[] dsts) {
            calls++;
            return -1;
        }

        @Override
        protected void implCloseSelectableChannel() {}

        @Override
        protected void implConfigureBlocking(boolean block) {}
    }

    /** A Pipe end that is not a kernel pipe. */
    static final class FakeSink extends Pipe.SinkChannel {
        int calls;

        FakeSink() {
            super(SelectorProvider.provider());
        }

        @Override
        public int write(ByteBuffer src) {
            calls++;
            return 0;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            calls++;
            return 0;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            calls++;
            return 0;
        }

        @Override
        protected void implCloseSelectableChannel() {}

        @Override
        protected void implConfigureBlocking(boolean block) {}
    }
}
