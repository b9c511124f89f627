package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
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
 * A proxy's inner loop: bytes arriving on one loopback TCP connection (a feeder thread
 * keeps it full) are relayed to another (a reader thread drains it). One operation =
 * {@code size} bytes relayed. Three threads share the machine: feeder, relay, reader.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SocketRelayBench {
    @Param({"1048576"})
    public int size;

    private Io.Feed feed;
    private SocketChannel from;
    private SocketChannel to;
    private Io.Drain drain;
    private long sent;

    /** The NIO relay's buffer size; only the NIO relay takes this parameter. */
    @State(Scope.Thread)
    public static class Buffers {
        @Param({"65536", "262144", "1048576"})
        public int bufferSize;
        ByteBuffer direct;

        @Setup(Level.Trial)
        public void allocate() {
            direct = ByteBuffer.allocateDirect(bufferSize);
        }
    }

    /** Netty's splice relay; only nettySpliceTo takes this state. */
    @State(Scope.Thread)
    public static class Netty {
        NettyRelay relay;
        long expected;

        @Setup(Level.Trial)
        public void open() throws Exception {
            relay = new NettyRelay();
            expected = 0;
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            relay.close();
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        SocketChannel[] in = Io.socketPair();
        SocketChannel[] out = Io.socketPair();
        feed = new Io.Feed("relay", in[0]);
        from = in[1];
        to = out[0];
        drain = new Io.Drain("relay", out[1]);
        sent = 0;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        to.shutdownOutput();
        drain.finish(sent);
        Io.closeAll(feed, from, to, drain);
    }

    @Benchmark
    public long nioDirectRelay(Buffers buffers, Meter meter) throws IOException {
        ByteBuffer buffer = buffers.direct;
        long done = 0;
        while (done < size) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), size - done));
            if (from.read(buffer) < 0) {
                throw new IOException("feed ended");
            }
            buffer.flip();
            done += Io.writeFully(to, buffer);
        }
        meter.bytes += done;
        sent += done;
        return done;
    }

    @Benchmark
    public long zcSplice(Meter meter) throws IOException {
        long done = 0;
        while (done < size) {
            long n = ZeroCopy.splice(from, to, size - done);
            if (n < 0) {
                throw new IOException("feed ended");
            }
            done += n;
        }
        meter.bytes += done;
        sent += done;
        return done;
    }

    /** Netty relays on its own thread; an operation = the next {@code size} bytes arriving. */
    @Benchmark
    public long nettySpliceTo(Netty netty, Meter meter) throws IOException {
        netty.expected += size;
        netty.relay.drain.awaitReceived(netty.expected);
        meter.bytes += size;
        return netty.expected;
    }

    // TODO(issue 4, Relay): zcRelay — a Relay made once per trial with
    // ZeroCopy.relay(from, to) (closed at teardown), and per operation
    // `for (done = 0; done < size; ) done += relay.transfer(size - done);`; plus
    // zcRelaySelector, the same relay driven by a Selector loop on non-blocking channels.
}
