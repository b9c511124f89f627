package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
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

import dev.zerocopy.ZeroCopy;

/**
 * A cached file sent whole to a loopback TCP socket (blocking) whose other end a reader
 * thread drains. One operation = {@code size} bytes delivered. NIO twins: transferTo and
 * read/write loops through a heap or a direct buffer at each buffer size (the report takes
 * the best); zerocopy: transferTo and splice. The {@code ...Selector} pair sends on a
 * non-blocking socket, waiting in a Selector when it is full.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FileToSocketBench {
    @Param({"65536", "1048576", "67108864"})
    public int size;

    private Path path;
    private FileChannel file;
    private SocketChannel socket;
    private Io.Drain drain;
    private long sent;

    /** The loops' buffer size; only the loops take this parameter. */
    @State(Scope.Thread)
    public static class Buffers {
        @Param({"65536", "262144", "1048576"})
        public int bufferSize;
        ByteBuffer heap;
        ByteBuffer direct;

        @Setup(Level.Trial)
        public void allocate() {
            heap = ByteBuffer.allocate(bufferSize);
            direct = ByteBuffer.allocateDirect(bufferSize);
        }
    }

    /**
     * A second connection in non-blocking mode with a Selector, the way a server's event
     * loop sends files: zerocopy uses sendfile here (on a blocking socket it splices through
     * a pipe, so that a close can never wait behind a sleeping kernel call).
     */
    @State(Scope.Thread)
    public static class Selected {
        SocketChannel socket;
        Selector selector;
        Io.Drain drain;
        long sent;

        @Setup(Level.Trial)
        public void open() throws IOException {
            SocketChannel[] pair = Io.socketPair();
            socket = pair[0];
            socket.configureBlocking(false);
            selector = Selector.open();
            socket.register(selector, SelectionKey.OP_WRITE);
            drain = new Io.Drain("file-to-socket-selector", pair[1]);
            sent = 0;
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            socket.shutdownOutput();
            drain.finish(sent);
            Io.closeAll(selector, socket, drain);
        }

        /** Called after a transfer moved nothing: the socket is full, wait for room. */
        void awaitWritable() throws IOException {
            selector.select();
            selector.selectedKeys().clear();
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        path = Io.randomFile("file-to-socket", size);
        file = FileChannel.open(path);
        SocketChannel[] pair = Io.socketPair();
        socket = pair[0];
        drain = new Io.Drain("file-to-socket", pair[1]);
        sent = 0;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        socket.shutdownOutput();
        drain.finish(sent);
        Io.closeAll(socket, drain, file);
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
            done += file.transferTo(done, size - done, socket);
        }
        return moved(meter, done);
    }

    @Benchmark
    public long nioHeapLoop(Buffers buffers, Meter meter) throws IOException {
        return moved(meter, loop(buffers.heap));
    }

    @Benchmark
    public long nioDirectLoop(Buffers buffers, Meter meter) throws IOException {
        return moved(meter, loop(buffers.direct));
    }

    private long loop(ByteBuffer buffer) throws IOException {
        long done = 0;
        while (done < size) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), size - done));
            int n = file.read(buffer, done);
            buffer.flip();
            done += Io.writeFully(socket, buffer);
            if (n < 0) {
                throw new IOException("file shorter than " + size);
            }
        }
        return done;
    }

    @Benchmark
    public long nioTransferToSelector(Selected selected, Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = file.transferTo(done, size - done, selected.socket);
            if (n == 0) {
                selected.awaitWritable();
            }
            done += n;
        }
        selected.sent += done;
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcTransferToSelector(Selected selected, Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.transferTo(file, done, size - done, selected.socket);
            if (n == 0) {
                selected.awaitWritable();
            }
            done += n;
        }
        selected.sent += done;
        meter.bytes += done;
        return done;
    }

    @Benchmark
    public long zcTransferTo(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            done += ZeroCopy.transferTo(file, done, size - done, socket);
        }
        return moved(meter, done);
    }

    @Benchmark
    public long zcSplice(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.splice(file, done, socket, -1, size - done);
            if (n < 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        return moved(meter, done);
    }

    /**
     * ZeroCopy.sendfile on the blocking socket: the library splices through its pipe here
     * (a sendfile sleeping in the kernel could not be woken by close), so this is the same
     * path as zcTransferTo without transferTo's checks and fallbacks.
     */
    @Benchmark
    public long zcSendfile(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.sendfile(file, done, size - done, socket);
            if (n == 0) {
                throw new IOException("file shorter than " + size);
            }
            done += n;
        }
        return moved(meter, done);
    }

    /** ZeroCopy.sendfile where it really calls sendfile(2): a non-blocking socket. */
    @Benchmark
    public long zcSendfileSelector(Selected selected, Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.sendfile(file, done, size - done, selected.socket);
            if (n == 0) {
                selected.awaitWritable();
            }
            done += n;
        }
        selected.sent += done;
        meter.bytes += done;
        return done;
    }
}
