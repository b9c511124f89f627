package dev.zerocopy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
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

import dev.zerocopy.Relay;
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

    /** A Relay made on the first operation of a trial (idle relays hold no pipe), closed at teardown. */
    private Relay relay;
    private Selector selector;

    @TearDown(Level.Trial)
    public void closeRelay() throws IOException {
        if (relay != null) {
            relay.close();
            relay = null;
        }
        if (selector != null) {
            selector.close();
            selector = null;
        }
    }

    /** Blocking Relay, as a thread-per-direction proxy uses it. */
    @Benchmark
    public long zcRelay(Meter meter) throws IOException {
        if (relay == null) {
            relay = ZeroCopy.relay(from, to);
        }
        long done = 0;
        while (done < size) {
            done += Math.max(0, relay.transfer(size - done));
        }
        meter.bytes += done;
        sent += done;
        return done;
    }

    /**
     * The same relay on non-blocking channels driven by a Selector, as a one-thread proxy
     * drives it: OP_WRITE on the target while bytes are pending, else OP_READ on the source.
     */
    @Benchmark
    public long zcRelaySelector(Meter meter) throws IOException {
        if (relay == null) {
            from.configureBlocking(false);
            to.configureBlocking(false);
            selector = Selector.open();
            from.register(selector, SelectionKey.OP_READ);
            to.register(selector, 0);
            relay = ZeroCopy.relay(from, to);
        }
        long done = 0;
        while (done < size) {
            done += Math.max(0, relay.transfer(size - done));
            if (done < size) {
                boolean pending = relay.pending() > 0;
                from.keyFor(selector).interestOps(pending ? 0 : SelectionKey.OP_READ);
                to.keyFor(selector).interestOps(pending ? SelectionKey.OP_WRITE : 0);
                selector.select(1000);
                selector.selectedKeys().clear();
            }
        }
        meter.bytes += done;
        sent += done;
        return done;
    }
}
