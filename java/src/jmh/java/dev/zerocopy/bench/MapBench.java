package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import dev.zerocopy.MappedRegion;
import dev.zerocopy.ZeroCopy;

/**
 * Memory-mapped files: a MappedByteBuffer ({@code FileChannel.map}) against a
 * {@link MappedRegion} ({@code ZeroCopy.map}) over the same cached file of {@code size}
 * bytes, read-only.
 *
 * <p>{@code ...MapRead} (throughput): the file is mapped once per trial and one operation
 * reads all {@code size} bytes with getLong, so this measures access through the buffer.
 * {@code ...MapCycle} (time per operation): map the file, read one byte (a page fault),
 * drop the mapping. NIO cannot unmap: the MappedByteBuffer is left to the GC, and when the
 * process runs out of mappings (vm.max_map_count, about 65,530) FileChannel.map calls
 * System.gc() and sleeps 100 ms before retrying; that cost is part of its number. zerocopy
 * closes the region, which unmaps at once (the view taken from it leaves an anonymous
 * placeholder until the view is garbage, budgeted by the library).
 */
@State(Scope.Thread)
public class MapBench {
    @Param({"1048576"})
    public int size;

    private Path path;
    private FileChannel file;
    private MappedByteBuffer nioView;
    private MappedRegion region;
    private ByteBuffer zcView;

    @Setup(Level.Trial)
    public void open() throws IOException {
        path = Io.randomFile("map", size);
        file = FileChannel.open(path);
        nioView = file.map(MapMode.READ_ONLY, 0, size);
        region = ZeroCopy.map(file, MapMode.READ_ONLY, 0, size);
        zcView = region.buffer();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        region.close();
        Io.closeAll(file);
        Files.deleteIfExists(path);
    }

    private long readAll(ByteBuffer view, Meter meter) {
        long sum = 0;
        int end = size & ~7;
        for (int i = 0; i < end; i += 8) {
            sum += view.getLong(i);
        }
        meter.bytes += size;
        return sum;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long nioMapRead(Meter meter) {
        return readAll(nioView, meter);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long zcMapRead(Meter meter) {
        return readAll(zcView, meter);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public byte nioMapCycle(Meter meter) throws IOException {
        MappedByteBuffer view = file.map(MapMode.READ_ONLY, 0, size);
        meter.bytes += size;
        return view.get(size / 2);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public byte zcMapCycle(Meter meter) throws IOException {
        try (MappedRegion mapped = ZeroCopy.map(file, MapMode.READ_ONLY, 0, size)) {
            meter.bytes += size;
            return mapped.buffer().get(size / 2);
        }
    }
}
