package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call that waits parks a virtual thread instead of holding its carrier: with more
 * virtual threads blocked in the call than there are carriers, a probe virtual thread
 * still runs at once; then the waits are released and every call's bytes are checked.
 * (Before the library had a poller, two such waits stopped every other virtual thread on a
 * 2-core machine.)
 */
class VirtualThreadWaitTest {
    /** More blocked callers than carrier threads (the default scheduler has one per core). */
    private static final int BLOCKERS = 2 * Runtime.getRuntime().availableProcessors() + 2;
    private static final long PROBE_LIMIT_MILLIS = 50;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void needsVirtualThreads() {
        VirtualThreads.assumeAvailable();
    }

    @org.junit.jupiter.api.AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private SocketChannel[] pair() throws IOException {
        SocketChannel[] pair = TestSupport.socketPair();
        open.add(pair[0]);
        open.add(pair[1]);
        return pair;
    }

    private KernelPipe pipe() throws IOException {
        KernelPipe pipe = ZeroCopy.pipe(1 << 16);
        open.add(pipe);
        return pipe;
    }

    /** Starts the calls on virtual threads, checks they parked and that a probe runs. */
    private <T> List<CompletableFuture<T>> startBlocked(String what, List<Callable<T>> calls) throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<CompletableFuture<T>> results = VirtualThreads.callAll(calls, threads);
        boolean parked = VirtualThreads.awaitParked(threads);
        VirtualThreads.assertCarriersFree(BLOCKERS + " virtual threads wait in " + what, PROBE_LIMIT_MILLIS);
        assertTrue(parked, what + ": the waiting virtual threads are not parked");
        for (CompletableFuture<T> result : results) {
            assertTrue(!result.isDone(), what + " returned before it was released: " + result);
        }
        return results;
    }

    private static <T> T get(CompletableFuture<T> result) throws Exception {
        return result.get(30, TimeUnit.SECONDS);
    }

    private static byte[] readFully(SocketChannel in, int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        while (buffer.hasRemaining() && in.read(buffer) >= 0) {
            // keep reading
        }
        return buffer.array();
    }

    private static void writeFully(java.nio.channels.WritableByteChannel out, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    @Test
    void spliceBetweenIdleSocketsParks() throws Exception {
        List<SocketChannel[]> ins = new ArrayList<>();
        List<SocketChannel[]> outs = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        for (int i = 0; i < BLOCKERS; i++) {
            SocketChannel[] in = pair();
            SocketChannel[] out = pair();
            ins.add(in);
            outs.add(out);
            calls.add(() -> ZeroCopy.splice(in[1], out[0], 1 << 20));
        }
        List<CompletableFuture<Long>> results = startBlocked("splice(socket -> socket)", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            byte[] data = TestSupport.randomBytes(10_000 + i, i);
            writeFully(ins.get(i)[0], data);
            ins.get(i)[0].shutdownOutput();
            assertEquals(data.length, (long) get(results.get(i)));
            assertArrayEquals(data, readFully(outs.get(i)[1], data.length));
        }
    }

    @Test
    void relayTransferOnIdleConnectionParks() throws Exception {
        List<SocketChannel[]> ins = new ArrayList<>();
        List<SocketChannel[]> outs = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        for (int i = 0; i < BLOCKERS; i++) {
            SocketChannel[] in = pair();
            SocketChannel[] out = pair();
            ins.add(in);
            outs.add(out);
            Relay relay = ZeroCopy.relay(in[1], out[0]);
            open.add(relay);
            calls.add(() -> {
                long moved = 0;
                while (!relay.isDone()) {
                    long n = relay.transfer();  // -1 once the source ended
                    moved += Math.max(0, n);
                }
                return moved;
            });
        }
        List<CompletableFuture<Long>> results = startBlocked("Relay.transfer()", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            byte[] data = TestSupport.randomBytes(300_000 + i, i);
            writeFully(ins.get(i)[0], data);
            ins.get(i)[0].shutdownOutput();
            assertArrayEquals(data, readFully(outs.get(i)[1], data.length));
            assertEquals(data.length, (long) get(results.get(i)));
        }
    }

    @Test
    void transferToSocketWhoseReaderIsSlowParks() throws Exception {
        int size = 16 << 20;  // far more than a loopback socket buffers
        Path file = TestSupport.randomFile(dir, size, 7);
        String expected = TestSupport.sha256(file);
        List<SocketChannel[]> pairs = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        for (int i = 0; i < BLOCKERS; i++) {
            SocketChannel[] pair = pair();
            pairs.add(pair);
            calls.add(() -> {
                try (FileChannel src = FileChannel.open(file, StandardOpenOption.READ)) {
                    return ZeroCopy.transferTo(src, 0, size, pair[0]);
                }
            });
        }
        List<CompletableFuture<Long>> results = startBlocked("transferTo(file -> socket nobody reads)", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            byte[] got = readFully(pairs.get(i)[1], size);
            assertEquals(size, (long) get(results.get(i)));
            assertEquals(expected, TestSupport.sha256(got));
        }
    }

    @Test
    void transferFromSocketWhoseWriterIsSlowParks() throws Exception {
        List<SocketChannel[]> pairs = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        int size = 200_000;
        for (int i = 0; i < BLOCKERS; i++) {
            SocketChannel[] pair = pair();
            Path target = dir.resolve("from-" + i);
            pairs.add(pair);
            files.add(target);
            calls.add(() -> {
                try (FileChannel dst = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    return ZeroCopy.transferFrom(pair[1], dst, 0, size);
                }
            });
        }
        List<CompletableFuture<Long>> results = startBlocked("transferFrom(socket nobody writes -> file)", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            byte[] data = TestSupport.randomBytes(size, 100 + i);
            writeFully(pairs.get(i)[0], data);
            assertEquals(size, (long) get(results.get(i)));
            assertArrayEquals(data, Files.readAllBytes(files.get(i)));
        }
    }

    @Test
    void teeFromEmptyPipeParks() throws Exception {
        List<KernelPipe> sources = new ArrayList<>();
        List<KernelPipe> copies = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        for (int i = 0; i < BLOCKERS; i++) {
            KernelPipe source = pipe();
            KernelPipe copy = pipe();
            sources.add(source);
            copies.add(copy);
            calls.add(() -> ZeroCopy.tee(source.source(), copy.sink(), 4096));
        }
        List<CompletableFuture<Long>> results = startBlocked("tee(empty pipe -> pipe)", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            byte[] data = TestSupport.randomBytes(4096, 200 + i);
            writeFully(sources.get(i).sink(), data);
            assertEquals(4096, (long) get(results.get(i)));
            ByteBuffer teed = ByteBuffer.allocate(4096);
            while (teed.hasRemaining()) {
                copies.get(i).source().read(teed);
            }
            assertArrayEquals(data, teed.array());
        }
    }

    @Test
    void vmspliceIntoFullPipeParks() throws Exception {
        List<KernelPipe> pipes = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        int fill = 0;
        for (int i = 0; i < BLOCKERS; i++) {
            KernelPipe pipe = pipe();
            pipe.sink().configureBlocking(false);
            ByteBuffer filler = ByteBuffer.allocate(1 << 16);
            int filled = 0;
            for (int n; (n = pipe.sink().write(filler)) > 0; filler.clear()) {
                filled += n;
            }
            pipe.sink().configureBlocking(true);
            fill = filled;
            pipes.add(pipe);
            ByteBuffer data = ByteBuffer.allocateDirect(8192);
            data.put(TestSupport.randomBytes(8192, 300 + i)).flip();
            calls.add(() -> ZeroCopy.vmsplice(pipe.sink(), data));
        }
        List<CompletableFuture<Long>> results = startBlocked("vmsplice(into a full pipe)", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            ByteBuffer drained = ByteBuffer.allocate(fill + 8192);
            while (drained.hasRemaining()) {
                pipes.get(i).source().read(drained);
            }
            assertEquals(8192, (long) get(results.get(i)));
            byte[] tail = new byte[8192];
            System.arraycopy(drained.array(), fill, tail, 0, 8192);
            assertArrayEquals(TestSupport.randomBytes(8192, 300 + i), tail);
        }
    }

    @Test
    void mappedRegionTransferToSlowSocketParks() throws Exception {
        int size = 16 << 20;
        Path file = TestSupport.randomFile(dir, size, 11);
        String expected = TestSupport.sha256(file);
        List<SocketChannel[]> pairs = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        for (int i = 0; i < BLOCKERS; i++) {
            SocketChannel[] pair = pair();
            pairs.add(pair);
            calls.add(() -> {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                        MappedRegion region = ZeroCopy.map(ch, FileChannel.MapMode.READ_ONLY, 0, size)) {
                    return region.transferTo(0, size, pair[0]);
                }
            });
        }
        List<CompletableFuture<Long>> results = startBlocked("MappedRegion.transferTo(slow socket)", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            byte[] got = readFully(pairs.get(i)[1], size);
            assertEquals(size, (long) get(results.get(i)));
            assertEquals(expected, TestSupport.sha256(got));
        }
    }

    @Test
    void spliceFromEmptyKernelPipeToSocketParks() throws Exception {
        List<KernelPipe> pipes = new ArrayList<>();
        List<SocketChannel[]> pairs = new ArrayList<>();
        List<Callable<Long>> calls = new ArrayList<>();
        for (int i = 0; i < BLOCKERS; i++) {
            KernelPipe pipe = pipe();
            SocketChannel[] pair = pair();
            pipes.add(pipe);
            pairs.add(pair);
            calls.add(() -> ZeroCopy.splice(pipe.source(), pair[0], 1000));
        }
        List<CompletableFuture<Long>> results = startBlocked("splice(empty KernelPipe -> socket)", calls);
        for (int i = 0; i < BLOCKERS; i++) {
            byte[] data = TestSupport.randomBytes(1000, 400 + i);
            writeFully(pipes.get(i).sink(), data);
            assertEquals(1000, (long) get(results.get(i)));
            assertArrayEquals(data, readFully(pairs.get(i)[1], 1000));
        }
    }
}
