package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
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
 * An upload being stored: bytes arriving on a loopback TCP connection (blocking; a feeder
 * thread keeps it full) written into the first {@code size} bytes of a file, which stays
 * in the page cache. One operation = {@code size} bytes received and stored. NIO:
 * FileChannel.transferFrom (JDK 17 reads the socket 8 KiB at a time through a heap buffer);
 * zerocopy: transferFrom, which splices socket -> library pipe -> file.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SocketToFileBench {
    @Param({"1048576"})
    public int size;

    private Io.Feed feed;
    private SocketChannel from;
    private Path path;
    private FileChannel file;

    @Setup(Level.Trial)
    public void open() throws IOException {
        SocketChannel[] pair = Io.socketPair();
        feed = new Io.Feed("socket-to-file", pair[0]);
        from = pair[1];
        path = Files.createTempFile(Io.dataDir(), "zerocopy-bench-socket-to-file-", ".bin");
        path.toFile().deleteOnExit();
        file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        long stored = file.size();
        Io.closeAll(feed, from, file);
        Files.deleteIfExists(path);
        if (stored != size) {
            throw new IOException("file has " + stored + " bytes, expected " + size);
        }
    }

    @Benchmark
    public long nioTransferFrom(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = file.transferFrom(from, done, size - done);
            if (n == 0) {
                throw new IOException("feed ended");
            }
            done += n;
        }
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcTransferFrom(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.transferFrom(from, file, done, size - done);
            if (n == 0) {
                throw new IOException("feed ended");
            }
            done += n;
        }
        meter.bytes += done;
        return done;
    }
}
