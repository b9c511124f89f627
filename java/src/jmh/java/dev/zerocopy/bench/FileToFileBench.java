package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

import dev.zerocopy.ZeroCopy;

/**
 * A cached file copied whole over the first {@code size} bytes of another file in the same
 * directory (so the copy stays in the page cache; writeback is the file system's business).
 * JDK 25's transferTo uses copy_file_range here, JDK 17's sendfile.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FileToFileBench {
    // No 64 KiB here (unlike file -> socket): six methods per size, and a small copy is call
    // overhead, which SmallTransferBench measures; this keeps the full run near 30 min.
    @Param({"1048576", "67108864"})
    public int size;

    private Path srcPath;
    private Path dstPath;
    private FileChannel src;
    private FileChannel dst;

    @Setup(Level.Trial)
    public void open() throws IOException {
        srcPath = Io.randomFile("file-to-file-src", size);
        dstPath = Files.createTempFile(Io.dataDir(), "zerocopy-bench-file-to-file-dst-", ".bin");
        dstPath.toFile().deleteOnExit();
        src = FileChannel.open(srcPath);
        dst = FileChannel.open(dstPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (dst.size() != size) {
            throw new IOException("destination has " + dst.size() + " bytes, expected " + size);
        }
        Io.closeAll(src, dst);
        Files.deleteIfExists(srcPath);
        Files.deleteIfExists(dstPath);
    }

    @Benchmark
    public long nioTransferTo(Meter meter) throws IOException {
        dst.position(0);
        long done = 0;
        while (done < size) {
            done += src.transferTo(done, size - done, dst);
        }
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcTransferTo(Meter meter) throws IOException {
        dst.position(0);
        long done = 0;
        while (done < size) {
            done += ZeroCopy.transferTo(src, done, size - done, dst);
        }
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcSplice(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.splice(src, done, dst, done, size - done);
            if (n < 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcCopyFileRange(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.copyFileRange(src, done, dst, done, size - done);
            if (n == 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        meter.bytes += done;
        return done;
    }

    /**
     * The other direction of the same copy: the destination pulls from the source's
     * position (JDK 17 maps the source and writes; JDK 25 uses copy_file_range).
     */
    @Benchmark
    public long nioTransferFrom(Meter meter) throws IOException {
        src.position(0);
        long done = 0;
        while (done < size) {
            long n = dst.transferFrom(src, done, size - done);
            if (n == 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcTransferFrom(Meter meter) throws IOException {
        src.position(0);
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.transferFrom(src, dst, done, size - done);
            if (n == 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        meter.bytes += done;
        return done;
    }
}
