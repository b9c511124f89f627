package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
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

import dev.zerocopy.KernelPipe;
import dev.zerocopy.ZeroCopy;

/**
 * A cached file sent whole into a pipe ({@code Pipe.open()}, default 64 KiB capacity)
 * whose source a reader thread drains. One operation = {@code size} bytes delivered.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FileToPipeBench {
    @Param({"65536", "1048576", "67108864"})
    public int size;

    private Path path;
    private FileChannel file;
    private Pipe pipe;
    private Io.Drain drain;
    private long sent;

    @Setup(Level.Trial)
    public void open() throws IOException {
        path = Io.randomFile("file-to-pipe", size);
        file = FileChannel.open(path);
        pipe = Pipe.open();
        drain = new Io.Drain("file-to-pipe", pipe.source());
        sent = 0;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        pipe.sink().close();
        drain.finish(sent);
        Io.closeAll(drain, file);
        Files.deleteIfExists(path);
    }

    private long moved(Meter meter, long n) {
        meter.bytes += n;
        sent += n;
        return n;
    }

    @Benchmark
    public long nioTransferTo(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            done += file.transferTo(done, size - done, pipe.sink());
        }
        return moved(meter, done);
    }

    @Benchmark
    public long zcTransferTo(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            done += ZeroCopy.transferTo(file, done, size - done, pipe.sink());
        }
        return moved(meter, done);
    }

    @Benchmark
    public long zcSplice(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.splice(file, done, pipe.sink(), -1, size - done);
            if (n < 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        return moved(meter, done);
    }

    /** A 1 MiB KernelPipe with its own reader, for what pipe capacity buys. */
    @State(Scope.Thread)
    public static class BigPipe {
        KernelPipe pipe;
        Io.Drain drain;
        long sent;

        @Setup(Level.Trial)
        public void open() throws IOException {
            pipe = ZeroCopy.pipe(1 << 20);
            drain = new Io.Drain("file-to-big-pipe", pipe.source());
            sent = 0;
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            pipe.sink().close();
            drain.finish(sent);
            Io.closeAll(drain);
            pipe.close();
        }
    }

    @Benchmark
    public long nioTransferToBigPipe(BigPipe big, Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            done += file.transferTo(done, size - done, big.pipe.sink());
        }
        big.sent += done;
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcSpliceBigPipe(BigPipe big, Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.splice(file, done, big.pipe.sink(), -1, size - done);
            if (n < 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        big.sent += done;
        meter.bytes += done;
        return done;
    }
}
