package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every case runs through {@link FileChannel} and through {@link ZeroCopy} on fresh, identical
 * files; the return value (or exception class), both channels' positions, both file sizes and
 * both files' bytes must agree.
 *
 * <p>Where JDK 17's FileChannel differs from JDK 25's, the case carries JDK 25's behaviour as
 * an explicit model (JDK 25's own algorithm written with plain reads and writes, or the
 * exception class it throws). On JDK 25 the test proves model == FileChannel == ZeroCopy; on
 * JDK 17 it proves model == ZeroCopy and records that FileChannel differed. A difference on
 * a case without a model fails.
 */
class TransferConformanceTest {
    static final int JDK = Runtime.version().feature();
    static Path dir;
    /** Cases where this JDK's FileChannel differed from JDK 25 (printed at the end). */
    static final List<String> JDK_DIFFERENCES = new ArrayList<>();

    @BeforeAll
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("zerocopy-conformance");
    }

    @AfterAll
    static void report() throws IOException {
        System.out.println("JDK " + JDK + ": FileChannel differed from JDK 25 in " + JDK_DIFFERENCES.size()
                + " cases" + (JDK_DIFFERENCES.isEmpty() ? "" : ", e.g. " + JDK_DIFFERENCES.subList(0,
                Math.min(8, JDK_DIFFERENCES.size()))));
        if (!JDK_DIFFERENCES.isEmpty()) {
            Path list = Path.of("build", "jdk" + JDK + "-differences-from-25.txt");
            Files.createDirectories(list.getParent());
            Files.write(list, JDK_DIFFERENCES);
            System.out.println("all of them: " + list.toAbsolutePath());
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    // ---- the harness --------------------------------------------------------------------

    /** What one way of running a case did, as a comparable string. */
    static final class Outcome {
        final String text;

        Outcome(String text) {
            this.text = text;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Outcome && ((Outcome) o).text.equals(text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }

        @Override
        public String toString() {
            return text;
        }
    }

    interface Op {
        long run(FileChannel src, FileChannel dst) throws IOException;
    }

    static final Set<OpenOption> READ = Set.of(StandardOpenOption.READ);
    static final Set<OpenOption> WRITE = Set.of(StandardOpenOption.WRITE);
    static final Set<OpenOption> RW = Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
    static final Set<OpenOption> APPEND = Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND);

    /** Two files and how they are opened; {@code same} makes dst the very channel src. */
    static final class Setup {
        int srcSize;
        int dstSize;
        Set<OpenOption> srcOptions = RW;
        Set<OpenOption> dstOptions = RW;
        long srcPosition;
        long dstPosition;
        boolean same;
        boolean closeSrc;
        boolean closeDst;
        /**
         * The source and target ranges of one file overlap: write(2) from a mapping of the
         * pages being written (the JDK's technique) gives bytes that depend on how the kernel
         * faults and retries, so only results, positions and sizes are compared.
         */
        boolean overlapping;

        Setup(int srcSize, int dstSize) {
            this.srcSize = srcSize;
            this.dstSize = dstSize;
        }

        @Override
        public String toString() {
            return "src " + srcSize + "@" + srcPosition + " " + srcOptions + (same ? " same channel" : ", dst "
                    + dstSize + "@" + dstPosition + " " + dstOptions) + (closeSrc ? " src closed" : "")
                    + (closeDst ? " dst closed" : "");
        }
    }

    static int counter;

    static Outcome outcome(Setup setup, Op op) throws IOException {
        int id = counter++;
        Path srcPath = dir.resolve("s" + id);
        Path dstPath = setup.same ? srcPath : dir.resolve("d" + id);
        Files.write(srcPath, TestSupport.randomBytes(setup.srcSize, 17));
        if (!setup.same) {
            Files.write(dstPath, TestSupport.randomBytes(setup.dstSize, 23));
        }
        FileChannel src = FileChannel.open(srcPath, setup.srcOptions);
        FileChannel dst = setup.same ? src : FileChannel.open(dstPath, setup.dstOptions);
        StringBuilder text = new StringBuilder();
        try {
            src.position(setup.srcPosition);
            if (!setup.same) {
                dst.position(setup.dstPosition);
            }
            if (setup.closeSrc) {
                src.close();
            }
            if (setup.closeDst) {
                dst.close();
            }
            try {
                text.append("returned ").append(op.run(src, dst));
            } catch (IOException | RuntimeException e) {
                text.append("threw ").append(e.getClass().getName());
            }
            text.append(", src position ").append(src.isOpen() ? String.valueOf(src.position()) : "closed");
            text.append(", dst position ").append(dst.isOpen() ? String.valueOf(dst.position()) : "closed");
        } finally {
            src.close();
            dst.close();
        }
        text.append(", src ").append(Files.size(srcPath)).append(" bytes ").append(setup.overlapping
                ? "(contents unspecified)" : TestSupport.sha256(srcPath).substring(0, 16));
        if (!setup.same) {
            text.append(", dst ").append(Files.size(dstPath)).append(" bytes ").append(TestSupport.sha256(dstPath)
                    .substring(0, 16));
        }
        Files.delete(srcPath);
        if (!setup.same) {
            Files.delete(dstPath);
        }
        return new Outcome(text.toString());
    }

    /**
     * Runs {@code nio} and {@code zeroCopy} on fresh copies of {@code setup} and compares.
     * {@code jdk25} (may be null) is JDK 25's behaviour for a case where older JDKs differ.
     */
    static void check(String name, Setup setup, Op nio, Op zeroCopy, Op jdk25) throws IOException {
        String label = name + " [" + setup + "]";
        Outcome fileChannel = outcome(setup, nio);
        Outcome ours = outcome(setup, zeroCopy);
        if (jdk25 == null) {
            assertEquals(fileChannel, ours, label);
            return;
        }
        Outcome model = outcome(setup, jdk25);
        assertEquals(model, ours, label + ": ZeroCopy against JDK 25's behaviour");
        if (JDK >= 25) {
            assertEquals(fileChannel, model, label + ": the JDK 25 model against JDK 25 itself");
        } else if (!fileChannel.equals(model)) {
            JDK_DIFFERENCES.add(label + ": JDK " + JDK + " " + fileChannel + " / JDK 25 " + model);
        }
    }

    static Op nioTo(long position, long count) {
        return (src, dst) -> src.transferTo(position, count, dst);
    }

    static Op oursTo(long position, long count) {
        return (src, dst) -> ZeroCopy.transferTo(src, position, count, dst);
    }

    static Op nioFrom(long position, long count) {
        return (src, dst) -> dst.transferFrom(src, position, count);
    }

    static Op oursFrom(long position, long count) {
        return (src, dst) -> ZeroCopy.transferFrom(src, dst, position, count);
    }

    /** JDK 25's transferFrom for everything past the checks: a read loop writing at position. */
    static long jdk25ReadLoop(ReadableByteChannel src, FileChannel dst, long position, long count)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        long done = 0;
        while (done < count) {
            buffer.clear().limit((int) Math.min(8192, count - done));
            int n = src.read(buffer);
            if (n <= 0) {
                break;
            }
            buffer.flip();
            done += dst.write(buffer, position + done);
        }
        return done;
    }

    static final long[] EDGE_SIZES = {0, 1, 8191, 8192, 8193, 16385};

    // ---- transferTo ---------------------------------------------------------------------

    @Test
    void transferToMatchesFileChannelForEveryPositionAndCountAroundTheEdges() throws IOException {
        for (long size : EDGE_SIZES) {
            for (long position : edges(size)) {
                for (long count : counts(size - position)) {
                    Setup setup = new Setup((int) size, 100);
                    setup.dstPosition = 7;
                    check("transferTo(" + position + ", " + count + ")", setup, nioTo(position, count),
                            oursTo(position, count), null);
                }
            }
        }
    }

    @Test
    void transferToChecksInJdkOrder() throws IOException {
        List<Setup> setups = new ArrayList<>();
        for (int closed = 0; closed < 3; closed++) {
            for (Set<OpenOption> srcOptions : List.of(RW, WRITE)) {
                for (Set<OpenOption> dstOptions : List.of(RW, READ)) {
                    Setup setup = new Setup(1000, 10);
                    setup.srcOptions = srcOptions;
                    setup.dstOptions = dstOptions;
                    setup.closeSrc = closed == 1;
                    setup.closeDst = closed == 2;
                    setups.add(setup);
                }
            }
        }
        for (Setup setup : setups) {
            for (long[] pc : new long[][] {{0, 10}, {-1, 10}, {0, -1}, {2000, 10}, {1000, 0}}) {
                check("transferTo(" + pc[0] + ", " + pc[1] + ")", setup, nioTo(pc[0], pc[1]), oursTo(pc[0], pc[1]),
                        null);
            }
        }
    }

    @Test
    void transferToAnAppendingTargetAppends() throws IOException {
        for (long count : new long[] {0, 1, 100, 8192, 20000, 70000, Long.MAX_VALUE}) {
            Setup setup = new Setup(70000, 5000);
            setup.dstOptions = APPEND;
            check("transferTo(3, " + count + ") to APPEND", setup, nioTo(3, count), oursTo(3, count), null);
        }
    }

    @Test
    void transferToTheSameChannelWithOverlappingRanges() throws IOException {
        int size = 40000;
        for (long position : new long[] {0, 1, 100, 8192, 20000}) {
            for (long targetPosition : new long[] {0, 50, 8191, 20000, 39999, 40000, 50000}) {
                for (long count : new long[] {1, 4096, 20000, size}) {
                    Setup setup = new Setup(size, 0);
                    setup.same = true;
                    setup.srcPosition = targetPosition;
                    check("same channel transferTo(" + position + ", " + count + ")", setup,
                            nioTo(position, count), oursTo(position, count), jdk25SameChannelTo(position, count));
                }
            }
        }
    }

    @Test
    void transferToAFileChannelWithoutAnyDescriptorWrapperGoesThroughTheUsersChannel() throws IOException {
        for (long count : new long[] {0, 1, 8191, 8193, 30000}) {
            Setup setup = new Setup(20000, 50);
            setup.dstPosition = 10;
            Op nio = (src, dst) -> src.transferTo(5, count, new Forwarding(dst));
            Op ours = (src, dst) -> ZeroCopy.transferTo(src, 5, count, new Forwarding(dst));
            check("transferTo(5, " + count + ", user channel)", setup, nio, ours, null);
        }
    }

    @Test
    void transferToFromAProcFileCopiesItByReading() throws IOException {
        Path proc = Path.of("/proc/self/cmdline");
        byte[] expected = Files.readAllBytes(proc);
        assertTrue(expected.length > 0);
        try (FileChannel in = FileChannel.open(proc)) {
            assertEquals(0, in.size(), "a /proc file reports size 0");
            Path target = dir.resolve("proc-copy");
            try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                long n = ZeroCopy.transferTo(in, 0, Long.MAX_VALUE, out);
                assertEquals(expected.length, n);
                long nio;
                try (FileChannel other = FileChannel.open(dir.resolve("nio-proc"), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    nio = in.transferTo(0, Long.MAX_VALUE, other);
                }
                if (JDK >= 25) {
                    assertEquals(n, nio, "JDK 25 copies /proc files by reading too");
                } else if (nio != n) {
                    JDK_DIFFERENCES.add("transferTo from /proc/self/cmdline: JDK " + JDK + " returned " + nio
                            + ", JDK 25 " + n);
                }
                try (FileChannel other = FileChannel.open(dir.resolve("p3"), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    // JDK 25 checks "position > size() returns 0" before it looks at size 0.
                    assertEquals(0, ZeroCopy.transferTo(in, 2, 3, other));
                    assertEquals(3, ZeroCopy.transferTo(in, 0, 3, other));
                }
            }
            assertTrue(Arrays.equals(expected, Files.readAllBytes(target)));
        }
    }

    // ---- transferFrom -------------------------------------------------------------------

    @Test
    void transferFromMatchesFileChannelForEveryPositionAndCountAroundTheEdges() throws IOException {
        for (long size : EDGE_SIZES) {
            for (long srcPosition : edges(size)) {
                for (long dstPosition : new long[] {0, 1, 99, 100, 101, 9000}) {
                    for (long count : counts(size - srcPosition)) {
                        Setup setup = new Setup((int) size, 100);
                        setup.srcPosition = srcPosition;
                        setup.dstPosition = 3;
                        long p = dstPosition;
                        // JDK 17 returns 0 when position > dst.size(); JDK 21+ writes there.
                        Op jdk25 = p > 100 ? (src, dst) -> jdk25ReadLoop(src, dst, p, count) : null;
                        check("transferFrom(" + p + ", " + count + ")", setup, nioFrom(p, count),
                                oursFrom(p, count), jdk25);
                    }
                }
            }
        }
    }

    @Test
    void transferFromChecksInJdk25Order() throws IOException {
        for (int closed = 0; closed < 3; closed++) {
            for (Set<OpenOption> srcOptions : List.of(RW, WRITE)) {
                for (Set<OpenOption> dstOptions : List.of(RW, READ)) {
                    for (long[] pc : new long[][] {{0, 10}, {-1, 10}, {0, -1}, {2000, 10}, {5, 0}}) {
                        Setup setup = new Setup(1000, 10);
                        setup.srcOptions = srcOptions;
                        setup.dstOptions = dstOptions;
                        setup.closeSrc = closed == 1;
                        setup.closeDst = closed == 2;
                        long position = pc[0];
                        long count = pc[1];
                        check("transferFrom(" + position + ", " + count + ")", setup, nioFrom(position, count),
                                oursFrom(position, count), jdk25TransferFrom(setup, position, count));
                    }
                }
            }
        }
    }

    /**
     * JDK 25's transferFrom between two FileChannels, written out: closed (dst, then src),
     * src not readable, dst not writable, negative arguments, then the copy (no "position >
     * size returns 0").
     */
    static Op jdk25TransferFrom(Setup setup, long position, long count) {
        return (src, dst) -> {
            if (setup.closeDst || setup.closeSrc) {
                throw new java.nio.channels.ClosedChannelException();
            }
            if (!setup.srcOptions.contains(StandardOpenOption.READ)) {
                throw new java.nio.channels.NonReadableChannelException();
            }
            if (!setup.dstOptions.contains(StandardOpenOption.WRITE)) {
                throw new java.nio.channels.NonWritableChannelException();
            }
            if (position < 0 || count < 0) {
                throw new IllegalArgumentException();
            }
            return jdk25ReadLoop(src, dst, position, count);
        };
    }

    /**
     * JDK 25's transferTo from a channel to itself: copy_file_range, which the kernel refuses
     * for overlapping ranges of one file, then sendfile(2) on the same descriptor. (JDK 17
     * refuses the direct path when both descriptors are equal and copies through a mapping.)
     */
    static Op jdk25SameChannelTo(long position, long count) {
        return (src, dst) -> {
            long size = src.size();
            if (position > size) {
                return 0;
            }
            long n = Math.min(count, size - position);
            if (!overlaps(position, dst.position(), n)) {
                return sendfileAll(src, position, n);
            }
            return sendfileAll(src, position, n);
        };
    }

    static long sendfileAll(FileChannel channel, long position, long n) throws IOException {
        return n == 0 ? 0 : ZeroCopy.sendfile(channel, position, n, channel);
    }

    /** The kernel's copy_file_range overlap test, after it clamped the length to the file. */
    static boolean overlaps(long from, long to, long length) {
        return to + length > from && to < from + length;
    }

    /**
     * JDK 25's transferFrom from a channel to itself: copy_file_range (the kernel clamps the
     * length to the file and refuses overlapping ranges); after a refusal, counts below 16
     * KiB go through the 8 KiB read loop and larger ones through 8 MiB mappings.
     */
    static Op jdk25SameChannelFrom(long position, long count) {
        return (src, dst) -> {
            long size = src.size();
            long from = src.position();
            long length = from >= size ? 0 : Math.min(count, size - from);
            if (size == 0 || !overlaps(from, position, length)) {
                return jdk25ReadLoop(src, dst, position, length);
            }
            if (count < 16 * 1024) {
                return jdk25ReadLoop(src, dst, position, count);
            }
            long done = 0;
            while (done < length) {
                java.nio.MappedByteBuffer piece = src.map(FileChannel.MapMode.READ_ONLY, from + done,
                        Math.min(length - done, 8L << 20));
                done += dst.write(piece, position + done);
            }
            src.position(from + done);
            return done;
        };
    }

    @Test
    void transferFromIntoAnAppendingTargetAppends() throws IOException {
        for (long count : new long[] {0, 1, 100, 8192, 20000, 70000}) {
            Setup setup = new Setup(70000, 5000);
            setup.srcPosition = 11;
            setup.dstOptions = APPEND;
            check("transferFrom(0, " + count + ") to APPEND", setup, nioFrom(0, count), oursFrom(0, count), null);
        }
    }

    @Test
    void transferFromTheSameChannelWithOverlappingRanges() throws IOException {
        int size = 40000;
        for (long srcPosition : new long[] {0, 1, 100, 8192, 20000}) {
            for (long position : new long[] {0, 50, 8191, 20000, 39999, 40000}) {
                for (long count : new long[] {1, 4096, 20000, size}) {
                    Setup setup = new Setup(size, 0);
                    setup.same = true;
                    setup.srcPosition = srcPosition;
                    long n = Math.min(count, size - srcPosition);
                    setup.overlapping = position < srcPosition + n && srcPosition < position + n;
                    check("same channel transferFrom(" + position + ", " + count + ")", setup,
                            nioFrom(position, count), oursFrom(position, count),
                            jdk25SameChannelFrom(position, count));
                }
            }
        }
    }

    @Test
    void transferFromAUserChannelNeverReadsMoreThanCount() throws IOException {
        for (long count : new long[] {0, 1, 8191, 8192, 8193, 20000, 100000}) {
            Setup setup = new Setup(50000, 200);
            setup.srcPosition = 9;
            Counting[] seen = new Counting[2];
            Op nio = (src, dst) -> dst.transferFrom(seen[0] = new Counting(src), 150, count);
            Op ours = (src, dst) -> ZeroCopy.transferFrom(seen[1] = new Counting(src), dst, 150, count);
            check("transferFrom(user channel, 150, " + count + ")", setup, nio, ours, null);
            assertEquals(seen[0].requested, seen[1].requested, "bytes asked of the user's channel");
            assertTrue(seen[1].requested <= count, "never more than count: " + seen[1].requested);
        }
    }

    @Test
    void transferFromAProcFileCopiesItByReading() throws IOException {
        Path proc = Path.of("/proc/self/cmdline");
        byte[] expected = Files.readAllBytes(proc);
        try (FileChannel in = FileChannel.open(proc);
                FileChannel out = FileChannel.open(dir.resolve("from-proc"), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            in.position(1);
            long n = ZeroCopy.transferFrom(in, out, 5, Long.MAX_VALUE);
            assertEquals(expected.length - 1, n);
            assertEquals(expected.length, in.position(), "the source position advances by n");
            ByteBuffer got = ByteBuffer.allocate(expected.length + 4);
            out.read(got, 0);
            assertEquals(ByteBuffer.wrap(new byte[5]), got.flip().slice().limit(5), "zeros before position");
            assertEquals(ByteBuffer.wrap(expected, 1, expected.length - 1), got.position(5));
        }
    }

    // ---- helpers ------------------------------------------------------------------------

    static long[] edges(long size) {
        Set<Long> values = new HashSet<>();
        for (long v : new long[] {0, 1, size - 1, size, size + 1, size / 2, 8191, 8192, 8193}) {
            if (v >= 0 && v <= size + 1) {
                values.add(v);
            }
        }
        return values.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    static long[] counts(long remaining) {
        Set<Long> values = new HashSet<>();
        for (long v : new long[] {0, 1, remaining - 1, remaining, remaining + 1, 8192, 16386, Long.MAX_VALUE}) {
            if (v >= 0) {
                values.add(v);
            }
        }
        return values.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** A WritableByteChannel without a descriptor, forwarding to a real channel. */
    static final class Forwarding implements WritableByteChannel {
        final WritableByteChannel to;

        Forwarding(WritableByteChannel to) {
            this.to = to;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return to.write(src);
        }

        @Override
        public boolean isOpen() {
            return to.isOpen();
        }

        @Override
        public void close() throws IOException {
            to.close();
        }
    }

    /** A ReadableByteChannel without a descriptor that counts how many bytes it was asked for. */
    static final class Counting implements ReadableByteChannel {
        final ReadableByteChannel from;
        long requested;

        Counting(ReadableByteChannel from) {
            this.from = from;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            requested += dst.remaining();
            return from.read(dst);
        }

        @Override
        public boolean isOpen() {
            return from.isOpen();
        }

        @Override
        public void close() throws IOException {
            from.close();
        }
    }
}
