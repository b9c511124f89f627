package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 8 threads transfer (file->file both ways, file->socket, socket->file, pipe->file) while one
 * thread closes channels in use (and now and then interrupts a worker) and another keeps
 * opening new files, so closed descriptor numbers are reused at once. Every byte that arrives
 * anywhere is checked against the source; no newly opened file may ever receive a byte; the
 * process's descriptor count returns to its baseline.
 *
 * <p>{@code -Dzerocopy.stress.rounds=N} sets the rounds per worker (default 1250: 10,000 transfers, about 15 s
 * here); pass it with {@code -Ptest.jvmArgs=-Dzerocopy.stress.rounds=12500} for a longer run.
 */
class TransferStressTest {
    static final int THREADS = 8;
    static final int ROUNDS = Integer.getInteger("zerocopy.stress.rounds", 1250);
    static final int DATA = 1 << 20;

    @TempDir
    Path tmp;

    final byte[] data = TestSupport.randomBytes(DATA, 42);
    final ConcurrentHashMap<Channel, Thread> active = new ConcurrentHashMap<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong cut = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();

    @Test
    void transfersSurviveConcurrentClosesAndNeverTouchAReusedDescriptor() throws Exception {
        Path source = tmp.resolve("source");
        Files.write(source, data);
        Path fresh = Files.createDirectory(tmp.resolve("fresh"));
        warmPipePool();
        int baseline = TestSupport.openDescriptors();

        AtomicBoolean done = new AtomicBoolean();
        Thread closer = new Thread(() -> disrupt(done), "closer");
        List<Path> opened = new ArrayList<>();
        Thread opener = new Thread(() -> openFiles(done, fresh, opened), "opener");
        closer.start();
        opener.start();
        List<Thread> workers = new ArrayList<>();
        long started = System.nanoTime();
        for (int w = 0; w < THREADS; w++) {
            int id = w;
            Thread t = new Thread(() -> work(id, source), "worker-" + w);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        done.set(true);
        closer.join();
        opener.join();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.println("stress: " + THREADS * ROUNDS + " transfers in " + millis + " ms, " + completed
                + " completed, " + cut + " cut by close/interrupt, " + bytes + " bytes checked, " + opened.size()
                + " files opened meanwhile");
        assertEquals(List.of(), failures);
        for (Path p : opened) {
            assertEquals(0, Files.size(p), "a file opened during the run received bytes: " + p);
        }
        assertTrue(cut.get() > 0, "the closer never cut a transfer: the test proved nothing");
        int after = TestSupport.openDescriptors();
        for (int i = 0; i < 50 && after > baseline; i++) {
            Thread.sleep(100); // helper threads closing their ends
            after = TestSupport.openDescriptors();
        }
        assertTrue(after <= baseline, "descriptors: " + baseline + " before, " + after + " after");
    }

    /** Fills the library's idle pipe pool, so pooled pipes count in the baseline. */
    static void warmPipePool() throws ErrnoException {
        NativeLibrary.ensureAvailable();
        List<OwnedPipe> pipes = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            pipes.add(OwnedPipe.acquire());
        }
        pipes.forEach(OwnedPipe::release);
    }

    void disrupt(AtomicBoolean done) {
        Random random = new Random(1);
        while (!done.get()) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000 + random.nextInt(300_000));
            Channel[] channels = active.keySet().toArray(new Channel[0]);
            if (channels.length == 0) {
                continue;
            }
            Channel victim = channels[random.nextInt(channels.length)];
            if (random.nextInt(8) == 0) {
                Thread worker = active.get(victim);
                boolean[] inTransfer = worker == null ? null : transferring.get(worker);
                if (inTransfer != null) {
                    // Only while the worker is inside a transfer: an interrupt meant for the
                    // transfer must not hit the test's own checking code afterwards.
                    synchronized (inTransfer) {
                        if (inTransfer[0]) {
                            worker.interrupt();
                        }
                    }
                }
            } else {
                try {
                    victim.close();
                } catch (IOException ignored) {
                    // the worker sees it closed either way
                }
            }
        }
    }

    static void openFiles(AtomicBoolean done, Path dir, List<Path> opened) {
        ArrayDeque<FileChannel> open = new ArrayDeque<>();
        int n = 0;
        try {
            while (!done.get()) {
                Path p = dir.resolve("new-" + n++);
                open.add(FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
                opened.add(p);
                if (open.size() > 32) {
                    open.poll().close();
                }
                Thread.sleep(0, 500_000);
            }
            for (FileChannel c : open) {
                c.close();
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    void work(int id, Path source) {
        Random random = new Random(id);
        for (int round = 0; round < ROUNDS; round++) {
            int kind = random.nextInt(5);
            long position = random.nextInt(DATA);
            long count = 1 + random.nextInt(DATA);
            Path target = tmp.resolve("t" + id + "-" + round);
            String label = "worker " + id + " round " + round + " kind " + kind + " (" + position + ", " + count + ")";
            try {
                check(label, kind, source, target, position, count, random.nextBoolean());
            } catch (Throwable e) {
                failures.add(label + ": " + e);
            } finally {
                Thread.interrupted();
                try {
                    Files.deleteIfExists(target);
                } catch (IOException e) {
                    failures.add(label + ": " + e);
                }
            }
        }
    }

    <T extends Channel> T use(T channel) {
        active.put(channel, Thread.currentThread());
        return channel;
    }

    void release(Channel... channels) throws IOException {
        for (Channel c : channels) {
            active.remove(c);
            c.close();
        }
    }

    /** Runs one transfer, then checks every byte that reached the target. */
    void check(String label, int kind, Path source, Path target, long position, long count, boolean slow)
            throws Exception {
        FileChannel src = use(FileChannel.open(source, StandardOpenOption.READ));
        FileChannel dst = use(FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
        long expected = Math.min(count, DATA - position);
        long result = -1;
        Throwable thrown = null;
        Channel[] others = {};
        Future<TestSupport.Drained> received = null;
        Future<Void> fed = null;
        try {
            switch (kind) {
                case 0:
                    result = call(() -> ZeroCopy.transferTo(src, position, count, dst));
                    break;
                case 1:
                    src.position(position);
                    result = call(() -> ZeroCopy.transferFrom(src, dst, 0, count));
                    break;
                case 2: {
                    SocketChannel[] pair = TestSupport.socketPair();
                    others = new Channel[] {pair[0]};
                    use(pair[0]);
                    received = drain(pair[1], slow);
                    result = call(() -> ZeroCopy.transferTo(src, position, count, pair[0]));
                    pair[0].close();
                    break;
                }
                default: {
                    WritableByteChannel writer;
                    ReadableByteChannel reader;
                    if (kind == 3) {
                        SocketChannel[] pair = TestSupport.socketPair();
                        others = pair;
                        writer = pair[0];
                        reader = pair[1];
                    } else {
                        Pipe pipe = Pipe.open();
                        others = new Channel[] {pipe.sink(), pipe.source()};
                        writer = pipe.sink();
                        reader = pipe.source();
                    }
                    use(reader);
                    fed = feed(writer, (int) position, (int) expected, slow);
                    result = call(() -> ZeroCopy.transferFrom(reader, dst, 0, count));
                    break;
                }
            }
        } catch (ClosedChannelException | ErrnoException e) {
            thrown = e;
        } finally {
            release(src, dst);
            release(others);
        }
        if (fed != null) {
            try {
                fed.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException ignored) {
                // the reader was closed under the feeder
            }
        }
        // ClosedChannelException: the closer got there before the call's checks (JDK 25 says
        // the same); AsynchronousCloseException / ClosedByInterruptException: during it.
        if (thrown != null && !(thrown instanceof ClosedChannelException)) {
            throw new AssertionError("unexpected " + thrown, thrown);
        }
        boolean wasCut = thrown != null || result != expected;
        if (wasCut) {
            cut.incrementAndGet();
        } else {
            completed.incrementAndGet();
        }
        if (received != null) {
            TestSupport.Drained got = received.get(30, TimeUnit.SECONDS);
            long n = got.bytes;
            assertTrue(thrown != null || n == result, label + ": received " + n + ", returned " + result);
            assertEquals(TestSupport.sha256(Arrays.copyOfRange(data, (int) position, (int) (position + n))), got.sha256,
                    label);
            bytes.addAndGet(n);
        } else {
            byte[] written = Files.readAllBytes(target);
            assertTrue(thrown != null || written.length == result, label + ": file has " + written.length
                    + " bytes, returned " + result);
            assertTrue(written.length <= expected, label + ": " + written.length + " > " + expected);
            assertTrue(Arrays.equals(written, Arrays.copyOfRange(data, (int) position, (int) position + written.length)),
                    label + ": wrong bytes in the target");
            bytes.addAndGet(written.length);
        }
    }

    interface Call {
        long run() throws IOException;
    }

    final ConcurrentHashMap<Thread, boolean[]> transferring = new ConcurrentHashMap<>();

    /**
     * Runs one transfer during which the closer may interrupt this thread; an interrupt
     * shows as ClosedByInterruptException (an AsynchronousCloseException).
     */
    long call(Call call) throws IOException {
        boolean[] inTransfer = transferring.computeIfAbsent(Thread.currentThread(), t -> new boolean[1]);
        synchronized (inTransfer) {
            inTransfer[0] = true;
        }
        try {
            return call.run();
        } finally {
            synchronized (inTransfer) {
                inTransfer[0] = false;
            }
            Thread.interrupted();
        }
    }

    /** Writes data[from, from + length) and closes; slowly: 64 KiB at a time with pauses. */
    Future<Void> feed(WritableByteChannel out, int from, int length, boolean slow) {
        return TestSupport.async(() -> {
            try (WritableByteChannel channel = out) {
                ByteBuffer buffer = ByteBuffer.wrap(data, from, length);
                while (buffer.hasRemaining()) {
                    if (slow) {
                        Thread.sleep(1);
                        buffer.limit(Math.min(from + length, buffer.position() + (64 << 10)));
                    }
                    channel.write(buffer);
                    buffer.limit(from + length);
                }
            }
            return null;
        });
    }

    /** Reads to end of stream, then closes: [sha256, count]; slowly: pauses between reads. */
    static Future<TestSupport.Drained> drain(ReadableByteChannel in, boolean slow) {
        return TestSupport.async(() -> {
            try (ReadableByteChannel channel = in) {
                java.security.MessageDigest digest = TestSupport.sha256();
                ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
                long total = 0;
                for (int n; (n = channel.read(buffer.clear())) >= 0; ) {
                    digest.update(buffer.array(), 0, n);
                    total += n;
                    if (slow) {
                        Thread.sleep(1);
                    }
                }
                return new TestSupport.Drained(TestSupport.hex(digest.digest()), total);
            }
        });
    }
}
