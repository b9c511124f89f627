package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
 * Transfers of 1 B .. 4 KiB, where the cost of the call (JNI crossing, argument checks,
 * locks) dominates the copy. Time per operation.
 *
 * <p>{@code ...Pipe}: {@code length} bytes of a cached file into a pipe, then read back
 * from the pipe by this thread with the same NIO read in both twins (a reader thread would
 * turn this into a measure of thread wake-ups). {@code ...Null}: the same transfer to
 * /dev/null, where NIO and zerocopy both make one sendfile call, so the difference is the
 * call's overhead alone. {@code zcSpliceThroughPipe}: the same bytes spliced into the pipe
 * and on from it to /dev/null, two library calls and no NIO read, so that against the same two
 * splices from Rust (examples/limit.rs, {@code splice_pipe_null}) the difference is the
 * library's own cost per call, twice. {@code ...Zero}: a transfer of 0 bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SmallTransferBench {
    private Path path;
    private FileChannel file;
    private FileChannel devNull;
    private Pipe pipe;
    private final ByteBuffer back = ByteBuffer.allocateDirect(4096);

    /** Bytes per transfer; the zero-byte calls do not take this parameter. */
    @State(Scope.Thread)
    public static class Length {
        @Param({"1", "64", "512", "4096"})
        public int length;
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        path = Io.randomFile("small", 4096);
        file = FileChannel.open(path);
        devNull = FileChannel.open(Paths.get("/dev/null"), StandardOpenOption.WRITE);
        pipe = Pipe.open();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        Io.closeAll(pipe.sink(), pipe.source(), devNull, file);
        Files.deleteIfExists(path);
    }

    /** Reads back what the transfer put into the pipe (the same call for both twins). */
    private long readBack(long n, Meter meter) throws IOException {
        for (long left = n; left > 0; ) {
            back.clear().limit((int) left);
            left -= pipe.source().read(back);
        }
        meter.bytes += n;
        return n;
    }

    @Benchmark
    public long nioTransferToPipe(Length length, Meter meter) throws IOException {
        return readBack(file.transferTo(0, length.length, pipe.sink()), meter);
    }

    @Benchmark
    public long zcSpliceToPipe(Length length, Meter meter) throws IOException {
        return readBack(ZeroCopy.splice(file, 0, pipe.sink(), -1, length.length), meter);
    }

    @Benchmark
    public long zcTransferToPipe(Length length, Meter meter) throws IOException {
        return readBack(ZeroCopy.transferTo(file, 0, length.length, pipe.sink()), meter);
    }

    @Benchmark
    public long zcSpliceThroughPipe(Length length, Meter meter) throws IOException {
        long n = ZeroCopy.splice(file, 0, pipe.sink(), -1, length.length);
        for (long left = n; left > 0; ) {
            left -= ZeroCopy.splice(pipe.source(), devNull, left);
        }
        meter.bytes += n;
        return n;
    }

    @Benchmark
    public long nioTransferToNull(Length length, Meter meter) throws IOException {
        long n = file.transferTo(0, length.length, devNull);
        meter.bytes += n;
        return n;
    }

    @Benchmark
    public long zcTransferToNull(Length length, Meter meter) throws IOException {
        long n = ZeroCopy.transferTo(file, 0, length.length, devNull);
        meter.bytes += n;
        return n;
    }

    @Benchmark
    public long nioTransferToZero() throws IOException {
        return file.transferTo(0, 0, pipe.sink());
    }

    @Benchmark
    public long zcSpliceZero() throws IOException {
        return ZeroCopy.splice(file, 0, pipe.sink(), -1, 0);
    }
}
