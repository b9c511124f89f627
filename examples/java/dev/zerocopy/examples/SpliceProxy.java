package dev.zerocopy.examples;

import dev.zerocopy.KernelPipe;
import dev.zerocopy.Relay;
import dev.zerocopy.SpliceFlag;
import dev.zerocopy.ZeroCopy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on one Selector thread. In {@code splice} mode each direction is a
 * {@link Relay}: bytes go socket -> kernel pipe -> socket and never enter the JVM; a pipe
 * is held only while bytes are in flight, from a pool capped at {@code --max-pipes}.
 * {@code --mode nio} relays through a direct ByteBuffer instead, for comparison.
 *
 * <pre>
 * SpliceProxy --listen HOST:PORT --connect HOST:PORT [--mode splice|nio] [--pipe-size BYTES] [--max-pipes N]
 * </pre>
 *
 * {@link TeeProxy} is this program with {@code --capture DIR}.
 */
public final class SpliceProxy {
    private SpliceProxy() {}

    /** One direction of a connection. */
    interface Direction {
        /** Moves what it can without waiting; returns bytes written to the target. */
        long pump() throws IOException;

        /** Bytes taken from the source that the target has not accepted yet. */
        long pending();

        /** The source ended, everything was delivered and the target was half-closed. */
        boolean isDone();

        void close() throws IOException;
    }

    static final AtomicLong CONNECTIONS = new AtomicLong();
    static final AtomicLong BYTES_UP = new AtomicLong();
    static final AtomicLong BYTES_DOWN = new AtomicLong();
    static final AtomicLong ERRORS = new AtomicLong();

    public static void main(String[] argv) throws IOException {
        run(argv, "SpliceProxy", false);
    }

    static void run(String[] argv, String name, boolean tee) throws IOException {
        String usage = name + " --listen HOST:PORT --connect HOST:PORT [--mode splice|nio] [--pipe-size BYTES]"
                + " [--max-pipes N]" + (tee ? " --capture DIR" : "");
        Args args = tee
                ? Args.parse(argv, usage, "listen", "connect", "mode", "pipe-size", "max-pipes", "capture")
                : Args.parse(argv, usage, "listen", "connect", "mode", "pipe-size", "max-pipes");
        InetSocketAddress listen = HostPort.parse("--listen", args.required("listen"));
        InetSocketAddress connect = HostPort.parse("--connect", args.required("connect"));
        String mode = args.get("mode", "splice");
        if (!mode.equals("splice") && !mode.equals("nio")) {
            Args.fail("--mode must be splice or nio, not " + mode);
        }
        int pipeSize = args.intValue("pipe-size", 1 << 20, 4096, 1 << 30);
        int maxPipes = args.intValue("max-pipes", 256, 0, 1 << 20);
        Path capture = null;
        if (tee) {
            capture = Paths.get(args.required("capture"));
            if (!Files.isDirectory(capture)) {
                Args.fail("--capture " + capture + " is not a directory");
            }
            if (mode.equals("nio")) {
                Args.fail("--capture needs --mode splice (tee works on kernel pipes)");
            }
        }
        Relay.configurePipes(maxPipes, pipeSize);
        boolean splice = mode.equals("splice");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.printf(
                "%s stopped: %d connections, %d bytes up, %d bytes down, %d errors, %d relay copy fallbacks,"
                        + " %d peak pipes in use%n", name, CONNECTIONS.get(), BYTES_UP.get(), BYTES_DOWN.get(),
                ERRORS.get(), Relay.copyFallbacks(), Relay.takePeakPipesInUse())));

        try (Selector selector = Selector.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(listen, 1024);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println(name + " listening on " + server.getLocalAddress() + " forwarding to " + connect
                    + " (mode " + mode + ")");
            for (;;) {
                selector.select();
                for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isValid() && key.isAcceptable()) {
                        SocketChannel client = server.accept();
                        if (client != null) {
                            long id = CONNECTIONS.incrementAndGet();
                            new Connection(id, client, connect, selector, splice, pipeSize, capture);
                        }
                    } else if (key.isValid()) {
                        ((Connection) key.attachment()).ready(key);
                    }
                }
            }
        }
    }

    /** A client socket, its upstream socket, and a Direction each way. */
    static final class Connection {
        private final long id;
        private final SocketChannel client;
        private final SocketChannel upstream;
        private final SelectionKey clientKey;
        private final SelectionKey upstreamKey;
        private final boolean splice;
        private final int pipeSize;
        private final Path capture;
        private Direction up;
        private Direction down;

        Connection(long id, SocketChannel client, InetSocketAddress target, Selector selector, boolean splice,
                int pipeSize, Path capture) throws IOException {
            this.id = id;
            this.client = client;
            this.splice = splice;
            this.pipeSize = pipeSize;
            this.capture = capture;
            this.upstream = SocketChannel.open();
            client.configureBlocking(false);
            upstream.configureBlocking(false);
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
            clientKey = client.register(selector, 0, this);
            upstreamKey = upstream.register(selector, 0, this);
            try {
                if (upstream.connect(target)) {
                    connected();
                } else {
                    upstreamKey.interestOps(SelectionKey.OP_CONNECT);
                }
            } catch (IOException e) {
                fail(e);
            }
        }

        private void connected() throws IOException {
            up = direction(client, upstream, "up", BYTES_UP);
            down = direction(upstream, client, "down", BYTES_DOWN);
            pump();
        }

        private Direction direction(SocketChannel from, SocketChannel to, String name, AtomicLong counter)
                throws IOException {
            if (capture != null) {
                return new TeeDirection(from, to, capture.resolve(id + "-" + name + ".bin"), pipeSize, counter);
            }
            return splice ? new RelayDirection(ZeroCopy.relay(from, to), counter) : new NioDirection(from, to, counter);
        }

        void ready(SelectionKey key) {
            try {
                if (key.isConnectable()) {
                    upstream.finishConnect();
                    connected();
                } else {
                    pump();
                }
            } catch (IOException e) {
                fail(e);
            }
        }

        private void pump() throws IOException {
            up.pump();
            down.pump();
            if (up.isDone() && down.isDone()) {
                close();
                return;
            }
            int clientOps = 0;
            int upstreamOps = 0;
            if (up.pending() > 0) {
                upstreamOps |= SelectionKey.OP_WRITE;
            } else if (!up.isDone()) {
                clientOps |= SelectionKey.OP_READ;
            }
            if (down.pending() > 0) {
                clientOps |= SelectionKey.OP_WRITE;
            } else if (!down.isDone()) {
                upstreamOps |= SelectionKey.OP_READ;
            }
            clientKey.interestOps(clientOps);
            upstreamKey.interestOps(upstreamOps);
        }

        private void fail(IOException e) {
            ERRORS.incrementAndGet();
            System.err.println("connection " + id + ": " + e);
            close();
        }

        private void close() {
            for (AutoCloseable c : new AutoCloseable[] {up != null ? up::close : null,
                    down != null ? down::close : null, client, upstream}) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (Exception ignored) {
                    // closing a connection that already failed
                }
            }
        }
    }

    /** splice mode: the library's Relay. */
    static final class RelayDirection implements Direction {
        private final Relay relay;
        private final AtomicLong counter;

        RelayDirection(Relay relay, AtomicLong counter) {
            this.relay = relay;
            this.counter = counter;
        }

        @Override
        public long pump() throws IOException {
            long n = Math.max(0, relay.transfer()); // -1 once done: the source ended and all was delivered
            counter.addAndGet(n);
            return n;
        }

        @Override
        public long pending() {
            return relay.pending();
        }

        @Override
        public boolean isDone() {
            return relay.isDone();
        }

        @Override
        public void close() {
            relay.close();
        }
    }

    /** nio mode: read into a direct buffer, write it out; what the target refuses stays buffered. */
    static final class NioDirection implements Direction {
        private final SocketChannel from;
        private final SocketChannel to;
        private final AtomicLong counter;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        private boolean eof;
        private boolean done;

        NioDirection(SocketChannel from, SocketChannel to, AtomicLong counter) {
            this.from = from;
            this.to = to;
            this.counter = counter;
            buffer.flip(); // empty, in write mode
        }

        @Override
        public long pump() throws IOException {
            long moved = 0;
            for (;;) {
                if (buffer.hasRemaining()) {
                    int n = to.write(buffer);
                    moved += n;
                    if (buffer.hasRemaining()) {
                        break;
                    }
                }
                if (eof) {
                    if (!done) {
                        to.shutdownOutput();
                        done = true;
                    }
                    break;
                }
                buffer.clear();
                int n = from.read(buffer);
                buffer.flip();
                if (n < 0) {
                    eof = true;
                } else if (n == 0) {
                    break;
                }
            }
            counter.addAndGet(moved);
            return moved;
        }

        @Override
        public long pending() {
            return buffer.remaining();
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public void close() {}
    }

    /**
     * TeeProxy: socket -> pipe A (splice); A's new bytes duplicated into pipe B (tee) and B
     * written to the capture file (splice); A forwarded to the target (splice). New bytes are
     * read only when A is empty, so tee never duplicates a byte twice.
     */
    static final class TeeDirection implements Direction {
        private final SocketChannel from;
        private final SocketChannel to;
        private final FileChannel file;
        private final KernelPipe forward;
        private final KernelPipe copy;
        private final AtomicLong counter;
        private long pending;
        private boolean done;

        TeeDirection(SocketChannel from, SocketChannel to, Path capture, int pipeSize, AtomicLong counter)
                throws IOException {
            this.from = from;
            this.to = to;
            this.counter = counter;
            this.file = FileChannel.open(capture, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            this.forward = ZeroCopy.pipe(pipeSize);
            this.copy = ZeroCopy.pipe(forward.capacity());
        }

        @Override
        public long pump() throws IOException {
            long moved = 0;
            while (!done) {
                if (pending > 0) {
                    long n = ZeroCopy.splice(forward.source(), to, pending, SpliceFlag.NONBLOCK);
                    moved += Math.max(n, 0);
                    pending -= Math.max(n, 0);
                    if (pending > 0) {
                        break;
                    }
                }
                long n = ZeroCopy.splice(from, forward.sink(), forward.capacity(), SpliceFlag.NONBLOCK);
                if (n == 0) {
                    break;
                }
                if (n < 0) {
                    to.shutdownOutput();
                    file.force(false);
                    done = true;
                    break;
                }
                // The copy pipe is empty and as large as the forward pipe: tee takes all n at once.
                long teed = ZeroCopy.tee(forward.source(), copy.sink(), n);
                for (long left = teed; left > 0; ) {
                    left -= ZeroCopy.splice(copy.source(), file, left);
                }
                if (teed != n) {
                    throw new IOException("tee duplicated " + teed + " of " + n + " bytes");
                }
                pending = n;
            }
            counter.addAndGet(moved);
            return moved;
        }

        @Override
        public long pending() {
            return pending;
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public void close() throws IOException {
            try {
                file.close();
            } finally {
                try {
                    forward.close();
                } finally {
                    copy.close();
                }
            }
        }
    }
}
