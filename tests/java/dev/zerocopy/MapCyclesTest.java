package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100,000 map/close cycles of a 1 MiB region: the kernel allows about 65,530 mappings per
 * process, so anything that leaks one mapping per cycle fails here. /proc/self/maps is
 * counted every {@link #SAMPLE} cycles; the numbers are printed as
 * {@code MapCycles <case>: baseline=.. peak=.. after=..}.
 */
class MapCyclesTest {
    static final int CYCLES = 100_000;
    static final int SAMPLE = 250;
    static final int REGION = 1 << 20;

    @TempDir
    Path tmp;

    static long vmSizeKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmSize:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmSize");
    }

    static long gcCount() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionCount());
        }
        return total;
    }

    /** One loop: returns {baseline (before warm-up), peak, after}, "after" taken right after the loop. */
    interface Cycle {
        void run(FileChannel channel) throws IOException;
    }

    /** The most placeholders alive at a sample point of the last loop. */
    static int peakPlaceholders;

    static int[] loop(FileChannel channel, Cycle cycle) throws IOException {
        peakPlaceholders = 0;
        int baseline = TestSupport.mapsLines();
        for (int i = 0; i < 1000; i++) {
            cycle.run(channel); // warm up: JIT, Cleaner thread, class loading
        }
        int peak = baseline;
        for (int i = 1; i <= CYCLES; i++) {
            cycle.run(channel);
            if (i % SAMPLE == 0) {
                peak = Math.max(peak, TestSupport.mapsLines());
                peakPlaceholders = Math.max(peakPlaceholders, PlaceholderBudget.count());
            }
        }
        return new int[] {baseline, peak, TestSupport.mapsLines()};
    }

    @Test
    void cyclesWithoutViewsStayAtTheBaselineWithoutTriggeringGc() throws Exception {
        Path file = TestSupport.randomFile(tmp, REGION, 1);
        try (FileChannel channel = FileChannel.open(file)) {
            long collections = PlaceholderBudget.collections();
            long gcBefore = gcCount();
            long vmBefore = vmSizeKb();
            int[] maps = loop(channel, ch -> {
                try (MappedRegion region = ZeroCopy.map(ch, MapMode.READ_ONLY, 0, REGION)) {
                    if (region.size() != REGION) {
                        throw new AssertionError();
                    }
                }
            });
            long vmAfter = vmSizeKb();
            System.out.printf("MapCycles region without views: baseline=%d peak=%d after=%d maps; VmSize %d -> %d kB;"
                    + " JVM GCs during loop %d (allocation only), GCs triggered by zerocopy %d%n",
                    maps[0], maps[1], maps[2], vmBefore, vmAfter, gcCount() - gcBefore,
                    PlaceholderBudget.collections() - collections);
            assertEquals(collections, PlaceholderBudget.collections(), "no GC was needed");
            assertTrue(maps[1] <= maps[0] + 20, "peak " + maps[1] + " vs baseline " + maps[0]);
            assertTrue(maps[2] <= maps[0] + 20, "after " + maps[2] + " vs baseline " + maps[0]);
            assertTrue(vmAfter <= vmBefore + 64 * 1024, "VmSize " + vmBefore + " -> " + vmAfter + " kB");
        }
    }

    @Test
    void cyclesWithViewsNeverFailStayBoundedAndReturnToTheBaseline() throws Exception {
        Path file = TestSupport.randomFile(tmp, REGION, 2);
        try (FileChannel channel = FileChannel.open(file)) {
            long collections = PlaceholderBudget.collections();
            int[] maps = loop(channel, ch -> {
                try (MappedRegion region = ZeroCopy.map(ch, MapMode.READ_ONLY, 0, REGION)) {
                    ByteBuffer view = region.buffer();
                    if (view.get(REGION - 1) == 0x7f && view.get(0) == 0x7f) {
                        System.out.print("");
                    }
                }
            });
            int[] baselineRef = maps;
            boolean returned = MappedRegionCloseTest.eventually(() -> {
                try {
                    // Slack for the JVM's own mappings (thread stacks of other tests' pools).
                    return PlaceholderBudget.count() == 0 && TestSupport.mapsLines() <= baselineRef[0] + 50;
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            int settled = TestSupport.mapsLines();
            System.out.printf("MapCycles region with a view each: baseline=%d peak=%d after-loop=%d after-gc=%d maps;"
                    + " placeholders peak %d of budget %d (adjacent ones merge into one VMA), GCs triggered by zerocopy %d%n",
                    maps[0], maps[1], maps[2], settled, peakPlaceholders, PlaceholderBudget.MAX_COUNT,
                    PlaceholderBudget.collections() - collections);
            assertTrue(peakPlaceholders <= PlaceholderBudget.MAX_COUNT, "placeholders " + peakPlaceholders);
            assertTrue(maps[1] <= maps[0] + PlaceholderBudget.MAX_COUNT + 100,
                    "peak " + maps[1] + " vs baseline " + maps[0]);
            assertTrue(returned, "maps " + settled + " vs baseline " + maps[0] + ", placeholders "
                    + PlaceholderBudget.count());
        }
    }

    /**
     * For comparison only (not a test): the same loop with FileChannel.map. Run in a child
     * JVM because a process that reaches vm.max_map_count can fail anywhere. Prints the
     * same line format; see {@link #main}.
     */
    @Test
    void mappedByteBufferComparisonRunsToTheEndInAChildJvm() throws Exception {
        String java = System.getProperty("zerocopy.test.java");
        String classpath = System.getProperty("java.class.path");
        Path file = TestSupport.randomFile(tmp, REGION, 3);
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", classpath,
                MapCyclesTest.class.getName(), file.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(300, TimeUnit.SECONDS));
        System.out.print(output);
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("MapCycles MappedByteBuffer"), output);
    }

    /** The MappedByteBuffer loop: map, read a byte, drop. */
    public static void main(String[] args) throws Exception {
        try (FileChannel channel = FileChannel.open(new File(args[0]).toPath())) {
            long gcBefore = gcCount();
            int[] maps = loop(channel, ch -> {
                ByteBuffer buffer = ch.map(MapMode.READ_ONLY, 0, REGION);
                if (buffer.get(REGION - 1) == 0x7f && buffer.get(0) == 0x7f) {
                    System.out.print("");
                }
            });
            System.gc();
            Thread.sleep(500);
            System.out.printf("MapCycles MappedByteBuffer: baseline=%d peak=%d after-loop=%d after-gc=%d maps;"
                    + " GCs %d%n", maps[0], maps[1], maps[2], TestSupport.mapsLines(), gcCount() - gcBefore);
        }
    }
}
