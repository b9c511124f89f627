package dev.zerocopy.bench;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/** Data files, loopback sockets, and the threads that feed and drain them for real. */
final class Io {
    private Io() {}

    /** Where data files go: -Dzerocopy.bench.dir (gradle -Pbench.dir), else java.io.tmpdir. */
    static Path dataDir() {
        return Paths.get(System.getProperty("zerocopy.bench.dir", System.getProperty("java.io.tmpdir")));
    }

    /** A new file of {@code size} random bytes, written through the page cache (so cached). */
    static Path randomFile(String name, long size) throws IOException {
        Path file = Files.createTempFile(dataDir(), "zerocopy-bench-" + name + "-", ".bin");
        file.toFile().deleteOnExit();
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        SplittableRandom random = new SplittableRandom(size);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (long done = 0; done < size; ) {
                chunk.clear();
                while (chunk.remaining() >= 8) {
                    chunk.putLong(random.nextLong());
                }
                chunk.flip().limit((int) Math.min(chunk.limit(), size - done));
                done += writeFully(out, chunk);
            }
        }
        return file;
    }

    static long writeFully(WritableByteChannel out, ByteBuffer buffer) throws IOException {
        long n = 0;
        while (buffer.hasRemaining()) {
            n += out.write(buffer);
        }
        return n;
    }

    /** A connected loopback TCP pair {client, server}, both blocking. */
    static SocketChannel[] socketPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            return new SocketChannel[] {client, accepted};
        }
    }

    static void closeAll(Closeable... closeables) throws IOException {
        IOException first = null;
        for (Closeable c : closeables) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * A reader thread that drains a channel into a direct buffer until end of stream, the
     * way a real receiver would: every byte crosses the kernel into user memory.
     */
    static final class Drain implements Closeable {
        private final ReadableByteChannel in;
        private final Thread thread;
        private final AtomicLong received = new AtomicLong();
        private volatile IOException failure;
        private volatile Thread waiter;
        private volatile long target = Long.MAX_VALUE;

        Drain(String name, ReadableByteChannel in) {
            this.in = in;
            this.thread = new Thread(this::run, "drain-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            try {
                for (int n; (n = in.read(buffer.clear())) >= 0; ) {
                    if (received.addAndGet(n) >= target) {
                        LockSupport.unpark(waiter);
                    }
                }
            } catch (IOException e) {
                failure = e;
            }
        }

        long received() {
            return received.get();
        }

        /**
         * Parks the calling thread until at least {@code bytes} have arrived in total (the
         * reader unparks it), for relays that run on their own threads.
         */
        void awaitReceived(long bytes) throws IOException {
            waiter = Thread.currentThread();
            target = bytes;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.get() < bytes) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException(thread.getName() + ": nothing arrived for 30 s (relay stalled?) after "
                            + received.get() + " bytes");
                }
                if (!thread.isAlive()) {
                    throw new IOException(thread.getName() + " ended after " + received.get() + " bytes",
                            failure);
                }
                LockSupport.parkNanos(this, 10_000_000);
            }
            target = Long.MAX_VALUE;
        }

        /**
         * Waits for end of stream (the writer shut its side) and checks that every byte sent
         * arrived, so a benchmark cannot pass by moving nothing.
         */
        void finish(long sent) throws IOException {
            try {
                thread.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the drain", e);
            }
            if (thread.isAlive()) {
                throw new IOException(thread.getName() + " still running 60 s after end of stream");
            }
            if (failure != null) {
                throw failure;
            }
            if (received.get() != sent) {
                throw new IOException(thread.getName() + " received " + received.get() + " bytes, sent " + sent);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** A writer thread that keeps a channel full of bytes until it is closed. */
    static final class Feed implements Closeable {
        private final WritableByteChannel out;
        private final Thread thread;

        Feed(String name, WritableByteChannel out) {
            this.out = out;
            this.thread = new Thread(this::run, "feed-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            SplittableRandom random = new SplittableRandom(1);
            while (buffer.remaining() >= 8) {
                buffer.putLong(random.nextLong());
            }
            try {
                while (true) {
                    if (!buffer.hasRemaining()) {
                        buffer.clear();
                    }
                    out.write(buffer);
                }
            } catch (IOException e) {
                // closed at teardown: the end of the feed
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
