package dev.zerocopy.child;

import dev.zerocopy.Advice;
import dev.zerocopy.MapOption;
import dev.zerocopy.MappedRegion;
import dev.zerocopy.ZeroCopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Run by {@code NioFallbackTest} in a JVM without the native library: every case runs once
 * through {@link FileChannel} and once through {@link ZeroCopy} on fresh files, and the two
 * descriptions (result or exception class, positions, file bytes) must be equal. Prints one
 * line per case and "N cases, M differed".
 */
public final class NioFallbackMain {
    private NioFallbackMain() {}

    private static final StandardOpenOption READ = StandardOpenOption.READ;
    private static final StandardOpenOption WRITE = StandardOpenOption.WRITE;
    private static final StandardOpenOption APPEND = StandardOpenOption.APPEND;

    private static Path dir;
    private static int cases;
    private static int differed;

    /** One run of a case: through NIO ({@code zc} false) or ZeroCopy; returns what it saw. */
    private interface Case {
        String run(boolean zc) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        dir = Path.of(args[0]);
        System.out.println("available=" + ZeroCopy.isAvailable() + " cause=" + ZeroCopy.unavailabilityCause());
        for (long[] pc : new long[][] {{0, 100}, {10, Long.MAX_VALUE}, {99, 5}, {100, 5}, {500, 5}, {-1, 5}, {0, -1}}) {
            same("transferTo file->file position " + pc[0] + " count " + pc[1], zc -> {
                try (FileChannel src = open(source(100), READ); FileChannel dst = open(empty(), WRITE)) {
                    src.position(7);
                    dst.position(3);
                    long n = zc ? ZeroCopy.transferTo(src, pc[0], pc[1], dst) : src.transferTo(pc[0], pc[1], dst);
                    return n + " src@" + src.position() + " dst@" + dst.position() + " " + contents(dst);
                }
            });
            same("transferFrom file->file position " + pc[0] + " count " + pc[1], zc -> {
                try (FileChannel src = open(source(100), READ); FileChannel dst = open(source(50), READ, WRITE)) {
                    src.position(7);
                    long n = zc ? ZeroCopy.transferFrom(src, dst, pc[0], pc[1]) : dst.transferFrom(src, pc[0], pc[1]);
                    return n + " src@" + src.position() + " dst@" + dst.position() + " " + contents(dst);
                }
            });
        }
        same("transferTo to an APPEND target", zc -> {
            try (FileChannel src = open(source(64), READ); FileChannel dst = open(source(10), WRITE, APPEND)) {
                long n = zc ? ZeroCopy.transferTo(src, 4, 20, dst) : src.transferTo(4, 20, dst);
                return n + " " + contents(dst);
            }
        });
        same("transferTo from a closed source", zc -> {
            FileChannel src = open(source(10), READ);
            src.close();
            try (FileChannel dst = open(empty(), WRITE)) {
                return String.valueOf(zc ? ZeroCopy.transferTo(src, 0, 10, dst) : src.transferTo(0, 10, dst));
            }
        });
        same("transferTo from a write-only source", zc -> {
            try (FileChannel src = open(source(10), WRITE); FileChannel dst = open(empty(), WRITE)) {
                return String.valueOf(zc ? ZeroCopy.transferTo(src, 0, 10, dst) : src.transferTo(0, 10, dst));
            }
        });
        same("transferTo to a read-only file", zc -> {
            try (FileChannel src = open(source(10), READ); FileChannel dst = open(empty(), READ)) {
                return String.valueOf(zc ? ZeroCopy.transferTo(src, 0, 10, dst) : src.transferTo(0, 10, dst));
            }
        });
        same("transferTo file->socket and transferFrom socket->file", zc -> {
            SocketChannel[] pair = ChildSupport.socketPair();
            try (FileChannel src = open(source(100_000), READ); FileChannel dst = open(empty(), READ, WRITE)) {
                long sent = 0;
                while (sent < 100_000) {
                    sent += zc ? ZeroCopy.transferTo(src, sent, 100_000 - sent, pair[0])
                            : src.transferTo(sent, 100_000 - sent, pair[0]);
                }
                pair[0].shutdownOutput();
                long got = 0;
                long n;
                while ((n = zc ? ZeroCopy.transferFrom(pair[1], dst, got, 1 << 16)
                        : dst.transferFrom(pair[1], got, 1 << 16)) > 0) {
                    got += n;
                }
                return sent + " " + got + " " + contents(dst);
            } finally {
                pair[0].close();
                pair[1].close();
            }
        });
        for (MapMode mode : new MapMode[] {MapMode.READ_ONLY, MapMode.READ_WRITE, MapMode.PRIVATE}) {
            for (long[] ps : new long[][] {{0, 100}, {10, 20}, {4097, 30}, {90, 40}, {0, 0}, {-1, 1}, {0, -1},
                    {Long.MAX_VALUE, 2}}) {
                same("map " + mode + " position " + ps[0] + " size " + ps[1] + ", write, force", zc -> {
                    try (FileChannel ch = open(source(100), READ, WRITE)) {
                        ByteBuffer buffer;
                        if (zc) {
                            MappedRegion region = ZeroCopy.map(ch, mode, ps[0], ps[1]);
                            buffer = region.buffer();
                            describeAndWrite(buffer);
                            region.force();
                            String seen = describe(buffer) + " size " + region.size() + " " + region.mode();
                            region.close();
                            return seen + " " + contents(ch);
                        }
                        MappedByteBuffer mapped = ch.map(mode, ps[0], ps[1]);
                        describeAndWrite(mapped);
                        mapped.force();
                        return describe(mapped) + " size " + mapped.capacity() + " " + mode + " " + contents(ch);
                    }
                });
            }
            same("map " + mode + " past the end of a read-only channel", zc -> {
                try (FileChannel ch = open(source(100), READ)) {
                    return String.valueOf(zc ? ZeroCopy.map(ch, mode, 50, 100).size() : ch.map(mode, 50, 100).capacity());
                }
            });
            same("map " + mode + " of a closed channel", zc -> {
                FileChannel ch = open(source(100), READ);
                ch.close();
                return String.valueOf(zc ? ZeroCopy.map(ch, mode, 0, 10).size() : ch.map(mode, 0, 10).capacity());
            });
        }
        same("map a window, then transferTo a file and a socket", zc -> {
            try (FileChannel ch = open(source(10_000), READ); FileChannel dst = open(empty(), WRITE)) {
                SocketChannel[] pair = ChildSupport.socketPair();
                ByteBuffer got = ByteBuffer.allocate(3000);
                try {
                    if (zc) {
                        try (MappedRegion region = ZeroCopy.map(ch, MapMode.READ_ONLY, 100, 5000, MapOption.POPULATE)) {
                            region.load();
                            ByteBuffer window = region.buffer(1000, 16);
                            String seen = describe(window) + " " + region.transferTo(4000, 5000, dst)
                                    + " " + region.transferTo(0, 3000, pair[0]);
                            read(pair[1], got);
                            return seen + " " + contents(dst) + " " + Arrays.hashCode(got.array());
                        }
                    }
                    MappedByteBuffer mapped = ch.map(MapMode.READ_ONLY, 100, 5000);
                    mapped.load();
                    String seen = describe(mapped.duplicate().position(1000).limit(1016).slice()) + " "
                            + dst.write(mapped.duplicate().position(4000)) + " "
                            + pair[0].write(mapped.duplicate().limit(3000));
                    read(pair[1], got);
                    return seen + " " + contents(dst) + " " + Arrays.hashCode(got.array());
                } finally {
                    pair[0].close();
                    pair[1].close();
                }
            }
        });
        expect("a region over 2 GiB maps windows on demand", () -> {
            long far = (5L << 30) / 2;  // 2.5 GiB, in a sparse file
            try (FileChannel ch = open(empty(), READ, WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {7, 8, 9}), far);
                try (MappedRegion region = ZeroCopy.map(ch, MapMode.READ_ONLY, 0, 3L << 30)) {
                    ByteBuffer window = region.buffer(far - 1, 5);
                    byte[] seen = new byte[5];
                    window.get(seen);
                    try {
                        region.buffer();
                        return null;
                    } catch (UnsupportedOperationException expected) {
                        // as with the native library: one ByteBuffer cannot hold it
                    }
                    return Arrays.equals(seen, new byte[] {0, 7, 8, 9, 0}) && ch.size() == 3L << 30 ? "ok" : null;
                }
            }
        }, null);
        // What NIO lacks, and what close does (NIO cannot unmap: the buffers it handed out fail fast).
        try (FileChannel ch = open(source(100), READ, WRITE)) {
            MappedRegion region = ZeroCopy.map(ch, MapMode.READ_WRITE, 0, 100);
            ByteBuffer view = region.buffer();
            expect("address() without the library", () -> region.address(), UnsupportedOperationException.class);
            expect("advise() without the library", () -> {
                region.advise(Advice.SEQUENTIAL, 0, 100);
                return null;
            }, UnsupportedOperationException.class);
            expect("lock() without the library", () -> {
                region.lock();
                return null;
            }, UnsupportedOperationException.class);
            expect("map LOCKED without the library", () -> ZeroCopy.map(ch, MapMode.READ_ONLY, 0, 10, MapOption.LOCKED),
                    UnsupportedOperationException.class);
            expect("splice without the library", () -> ZeroCopy.splice(ch, ch, 1), UnsupportedOperationException.class);
            region.close();
            expect("a buffer after close has limit 0", () -> view.limit() == 0 ? "limit 0" : null, null);
            expect("buffer() after close", region::buffer, IllegalStateException.class);
        }
        System.out.println(cases + " cases, " + differed + " differed");
    }

    private static void describeAndWrite(ByteBuffer buffer) {
        if (!buffer.isReadOnly() && buffer.capacity() > 2) {
            buffer.put(1, (byte) 42);
        }
    }

    private static String describe(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.limit()];
        buffer.duplicate().get(bytes);
        return "buffer[pos " + buffer.position() + " lim " + buffer.limit() + " cap " + buffer.capacity()
                + " ro " + buffer.isReadOnly() + " direct " + buffer.isDirect() + " #" + Arrays.hashCode(bytes) + "]";
    }

    private interface Call {
        Object call() throws Exception;
    }

    private static void expect(String name, Call call, Class<? extends Throwable> thrown) {
        cases++;
        String outcome;
        try {
            Object result = call.call();
            outcome = thrown == null && result != null ? null : "returned " + result;
        } catch (Throwable t) {
            outcome = thrown != null && thrown.isInstance(t) ? null : "threw " + t;
        }
        if (outcome == null) {
            System.out.println("ok   " + name);
        } else {
            differed++;
            System.out.println("DIFF " + name + ": " + outcome + ", expected " + (thrown == null ? "a result" : thrown));
        }
    }

    private static void same(String name, Case c) {
        cases++;
        String nio = outcome(c, false);
        String zc = outcome(c, true);
        if (nio.equals(zc)) {
            System.out.println("ok   " + name + ": " + nio);
        } else {
            differed++;
            System.out.println("DIFF " + name + ":\n  nio      " + nio + "\n  zerocopy " + zc);
        }
    }

    private static String outcome(Case c, boolean zc) {
        try {
            return c.run(zc);
        } catch (Exception e) {
            return "threw " + e.getClass().getName();
        }
    }

    private static void read(SocketChannel in, ByteBuffer into) throws IOException {
        while (into.hasRemaining() && in.read(into) >= 0) {
            // until full or end of stream
        }
    }

    private static FileChannel open(Path file, StandardOpenOption... options) throws IOException {
        FileChannel ch = FileChannel.open(file, options);
        PATHS.put(ch, file);
        return ch;
    }

    private static Path source(int size) throws IOException {
        Path file = Files.createTempFile(dir, "src", ".bin");
        Files.write(file, ChildSupport.randomBytes(size, size));
        return file;
    }

    private static Path empty() throws IOException {
        return Files.createTempFile(dir, "dst", ".bin");
    }

    /** The file's size and bytes as a hash, read without moving the channel's position. */
    private static String contents(FileChannel ch) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) ch.size());
        try (FileChannel reader = FileChannel.open(pathOf(ch), READ)) {
            while (all.hasRemaining() && reader.read(all) >= 0) {
                // whole file
            }
        }
        return "file[" + ch.size() + " #" + Arrays.hashCode(all.array()) + "]";
    }

    private static final java.util.Map<FileChannel, Path> PATHS = new java.util.IdentityHashMap<>();

    private static Path pathOf(FileChannel ch) {
        return PATHS.get(ch);
    }
}
