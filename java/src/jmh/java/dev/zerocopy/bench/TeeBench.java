package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
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

import dev.zerocopy.KernelPipe;
import dev.zerocopy.ZeroCopy;

/**
 * A stream duplicated, as a recording proxy does: bytes arriving on one loopback TCP
 * connection (a feeder thread keeps it full) are relayed to another (a reader thread
 * drains it) and also stored in the first {@code size} bytes of a file (kept in the page
 * cache). One operation = {@code size} bytes of the stream, each delivered to both the
 * socket and the file. NIO: read once into a direct buffer, write it twice; zerocopy:
 * splice socket -> pipe A, tee A -> pipe B, splice A -> socket and B -> file.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TeeBench {
    @Param({"1048576"})
    public int size;

    private Io.Feed feed;
    private SocketChannel from;
    private SocketChannel to;
    private Io.Drain drain;
    private long sent;
    private Path path;
    private FileChannel file;

    /**
     * The NIO loop's buffer size; only the NIO twin takes this parameter. Not 64 KiB: on
     * loopback it is about half as fast as 1 MiB (issue 6), so it is never the best twin.
     */
    @State(Scope.Thread)
    public static class Buffers {
        @Param({"262144", "1048576"})
        public int bufferSize;
        ByteBuffer direct;

        @Setup(Level.Trial)
        public void allocate() {
            direct = ByteBuffer.allocateDirect(bufferSize);
        }
    }

    /** The two 1 MiB pipes of the zerocopy pipeline; only zcTee takes them. */
    @State(Scope.Thread)
    public static class Pipes {
        KernelPipe a;
        KernelPipe b;
        int capacity;

        @Setup(Level.Trial)
        public void open() throws IOException {
            a = ZeroCopy.pipe(1 << 20);
            b = ZeroCopy.pipe(1 << 20);
            capacity = a.capacity();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            Io.closeAll(a, b);
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        SocketChannel[] in = Io.socketPair();
        SocketChannel[] out = Io.socketPair();
        feed = new Io.Feed("tee", in[0]);
        from = in[1];
        to = out[0];
        drain = new Io.Drain("tee", out[1]);
        sent = 0;
        path = Files.createTempFile(Io.dataDir(), "zerocopy-bench-tee-", ".bin");
        path.toFile().deleteOnExit();
        file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        to.shutdownOutput();
        drain.finish(sent);
        long stored = file.size();
        Io.closeAll(feed, from, to, drain, file);
        Files.deleteIfExists(path);
        if (stored != size) {
            throw new IOException("file has " + stored + " bytes, expected " + size);
        }
    }

    @Benchmark
    public long nioReadWriteTwice(Buffers buffers, Meter meter) throws IOException {
        ByteBuffer buffer = buffers.direct;
        long done = 0;
        while (done < size) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), size - done));
            int n = from.read(buffer);
            if (n < 0) {
                throw new IOException("feed ended");
            }
            buffer.flip();
            Io.writeFully(to, buffer);
            buffer.flip();
            for (long at = done; buffer.hasRemaining(); ) {
                at += file.write(buffer, at);
            }
            done += n;
        }
        meter.bytes += done;
        sent += done;
        return done;
    }

    @Benchmark
    public long zcTee(Pipes pipes, Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            // Blocking channels: returns when the pipe holds all of it (it is empty now).
            long n = ZeroCopy.splice(from, pipes.a.sink(), Math.min(pipes.capacity, size - done));
            if (n < 0) {
                throw new IOException("feed ended");
            }
            // tee copies from the head of A without consuming it, so each duplicated run is
            // consumed from A (to the socket) before the next tee.
            for (long copied = 0; copied < n; ) {
                long t = ZeroCopy.tee(pipes.a.source(), pipes.b.sink(), n - copied);
                for (long moved = 0; moved < t; ) {
                    moved += ZeroCopy.splice(pipes.a.source(), to, t - moved);
                }
                for (long stored = 0; stored < t; ) {
                    stored += ZeroCopy.splice(pipes.b.source(), -1, file, done + copied + stored, t - stored);
                }
                copied += t;
            }
            done += n;
        }
        meter.bytes += done;
        sent += done;
        return done;
    }
}
