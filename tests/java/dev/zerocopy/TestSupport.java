package dev.zerocopy;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Real sockets, files and checksums for the tests; nothing here imitates the kernel. */
final class TestSupport {
    static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-helper");
        t.setDaemon(true);
        return t;
    });

    private TestSupport() {}

    /** A connected loopback TCP pair: [0] is the client, [1] the accepted server side. */
    static SocketChannel[] socketPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            return new SocketChannel[] {client, accepted};
        }
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** A temp file of {@code size} pseudo-random bytes, written in 1 MiB pieces. */
    static Path randomFile(Path dir, long size, long seed) throws IOException {
        Path file = Files.createTempFile(dir, "data-", ".bin");
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (long left = size; left > 0; ) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                ByteBuffer buffer = ByteBuffer.wrap(chunk, 0, n);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                left -= n;
            }
        }
        return file;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String hex(byte[] digest) {
        StringBuilder s = new StringBuilder();
        for (byte b : digest) {
            s.append(String.format("%02x", b));
        }
        return s.toString();
    }

    static String sha256(Path file) throws IOException {
        return sha256(file, 0, Files.size(file));
    }

    static String sha256(Path file, long position, long count) throws IOException {
        MessageDigest digest = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        try (FileChannel in = FileChannel.open(file)) {
            long done = 0;
            while (done < count) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
                int n = in.read(buffer, position + done);
                if (n < 0) {
                    break;
                }
                digest.update(buffer.array(), 0, n);
                done += n;
            }
        }
        return hex(digest.digest());
    }

    static String sha256(byte[] bytes) {
        return hex(sha256().digest(bytes));
    }

    /** What {@link #drain} read: the bytes' SHA-256 (hex) and how many there were. */
    static final class Drained {
        final String sha256;
        final long bytes;

        Drained(String sha256, long bytes) {
            this.sha256 = sha256;
            this.bytes = bytes;
        }

        @Override
        public String toString() {
            return bytes + " bytes, sha256 " + sha256;
        }
    }

    /** Reads {@code in} to end of stream on another thread. */
    static Future<Drained> drain(ReadableByteChannel in) {
        return POOL.submit(() -> {
            MessageDigest digest = sha256();
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            long total = 0;
            for (;;) {
                buffer.clear();
                int n = in.read(buffer);
                if (n < 0) {
                    return new Drained(hex(digest.digest()), total);
                }
                digest.update(buffer.array(), 0, n);
                total += n;
            }
        });
    }

    /** Writes {@code bytes} to {@code out} on another thread, then closes it. */
    static Future<Void> feed(WritableByteChannel out, byte[] bytes) {
        return POOL.submit(() -> {
            try (WritableByteChannel channel = out) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
            return null;
        });
    }

    static <T> Future<T> async(Callable<T> task) {
        return POOL.submit(task);
    }

    static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This process's descriptors as "number->target" (socket:[inode], a path, ...). */
    static List<String> descriptorTargets() throws IOException {
        List<String> targets = new ArrayList<>();
        String listing = "/proc/" + ProcessHandle.current().pid() + "/fd";
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (!target.equals(listing)) { // the listing's own descriptor
                        targets.add(fd.getFileName() + "->" + target);
                    }
                } catch (IOException e) {
                    // closed since the listing saw it
                }
            }
        }
        return targets;
    }

    /**
     * What a leak test compares before and after: this process's descriptors, its
     * /proc/self/maps lines, its RSS and the JVM's committed heap. Take it once the library
     * is loaded (and a pooled pipe made, if the test uses them), so the baseline holds them.
     */
    static final class Snapshot {
        final List<String> descriptors;
        final int mapsLines;
        final long rssKiB;
        final long heapKiB;

        private Snapshot() throws IOException {
            descriptors = descriptorTargets();
            mapsLines = TestSupport.mapsLines();
            rssKiB = TestSupport.rssKiB();
            heapKiB = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted()
                    / 1024;
        }

        static Snapshot take() throws IOException {
            return new Snapshot();
        }

        /**
         * Descriptors open now that were not at the snapshot (same number and target). Gone
         * ones are not leaks (an earlier test's unclosed channel can be closed by the GC at any
         * time), nor are epoll instances: pollers made once on first use own them (the
         * library's two, and on virtual threads the JDK's), never an operation.
         */
        List<String> newDescriptors() throws IOException {
            List<String> added = descriptorTargets();
            added.removeAll(descriptors);
            added.removeIf(target -> target.endsWith("anon_inode:[eventpoll]"));
            return added;
        }

        /** Fails, listing them, if {@link #newDescriptors} finds any. */
        void assertNoNewDescriptors(String what) throws IOException {
            List<String> added = newDescriptors();
            if (!added.isEmpty()) {
                throw new AssertionError(what + ": descriptors opened and not closed: " + added);
            }
        }

        /**
         * The leaks {@code after} shows against this snapshot, one message each: new
         * descriptors, more than {@code mapsTolerance} new maps lines, RSS grown by more than
         * the heap's growth plus {@code rssSlackKiB}.
         */
        List<String> leaks(Snapshot after, List<String> newDescriptors, int mapsTolerance, long rssSlackKiB) {
            List<String> leaks = new ArrayList<>();
            if (!newDescriptors.isEmpty()) {
                leaks.add("descriptors: " + after.descriptors.size() + " after the run, " + descriptors.size()
                        + " before; new: " + newDescriptors);
            }
            if (after.mapsLines > mapsLines + mapsTolerance) {
                leaks.add("maps: " + after.mapsLines + " lines after the run, " + mapsLines + " before (tolerance "
                        + mapsTolerance + ")");
            }
            long rssBound = rssBound(after, rssSlackKiB);
            if (after.rssKiB > rssBound) {
                leaks.add("rss: " + after.rssKiB + " KiB after the run, " + rssKiB + " KiB before; bound " + rssBound
                        + " KiB (heap growth + " + rssSlackKiB + " KiB)");
            }
            return leaks;
        }

        /** RSS may grow with the Java heap (up to -Xmx); beyond that, by {@code rssSlackKiB}. */
        long rssBound(Snapshot after, long rssSlackKiB) {
            return rssKiB + Math.max(0, after.heapKiB - heapKiB) + rssSlackKiB;
        }
    }

    /** Lines of /proc/self/maps: one per mapping (a leaked region adds one or more). */
    static int mapsLines() throws IOException {
        try (java.util.stream.Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return (int) lines.count();
        }
    }

    static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** The library's poller threads ({@code Poller}) live in epoll_wait by design: not a stuck call. */
    static boolean isPollerThread(Thread thread) {
        return thread.getName().startsWith("zerocopy-poller-");
    }

    /** Number of open descriptors of this process. */
    static int openDescriptors() throws IOException {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        }
    }
}
