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
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy. In {@code splice} mode each direction is a {@link Relay}: bytes go socket ->
 * kernel pipe -> socket and never enter the JVM; a pipe is held only while bytes are in
 * flight, from a pool capped at {@code --max-pipes}. {@code --mode nio} relays through a
 * direct ByteBuffer instead, for comparison.
 *
 * <p>{@code --threads selector} (the default) runs every connection on one Selector thread
 * with non-blocking channels. {@code --threads virtual} (JDK 21+) gives each direction of each
 * connection its own virtual thread with blocking channels: the thread-per-connection style
 * that virtual threads make cheap (a blocking {@code Relay.transfer()} loop, or blocking
 * read/write in nio mode).
 *
 * <pre>
 * SpliceProxy --listen HOST:PORT --connect HOST:PORT [--mode splice|nio] [--pipe-size BYTES] [--max-pipes N]
 *     [--threads selector|virtual]
 * </pre>
 *
 * {@link TeeProxy} is this program with {@code --capture DIR}.
 */
public final class SpliceProxy {
    private SpliceProxy() {}

    /** One direction of a connection. */
    interface Direction extends java.io.Closeable {
        /**
         * Moves bytes; returns bytes written to the target. With non-blocking channels it
         * moves what it can without waiting; with blocking channels it waits for the source
         * and returns after writing what it read (loop until {@link #isDone()}).
         */
        long pump() throws IOException;

        /** Bytes taken from the source that the target has not accepted yet. */
        long pending();

        /** The source ended, everything was delivered and the target was half-closed. */
        boolean isDone();

        @Override
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
                + " [--max-pipes N] [--threads selector|virtual]" + (tee ? " --capture DIR" : "");
        Args args = tee
                ? Args.parse(argv, usage, "listen", "connect", "mode", "pipe-size", "max-pipes", "threads", "capture")
                : Args.parse(argv, usage, "listen", "connect", "mode", "pipe-size", "max-pipes", "threads");
        InetSocketAddress listen = HostPort.parse("--listen", args.required("listen"));
        InetSocketAddress connect = HostPort.parse("--connect", args.required("connect"));
        String mode = args.get("mode", "splice");
        if (!mode.equals("splice") && !mode.equals("nio")) {
            Args.fail("--mode must be splice or nio, not " + mode);
        }
        String threads = args.get("threads", "selector");
        if (!threads.equals("selector") && !threads.equals("virtual")) {
            Args.fail("--threads must be selector or virtual, not " + threads);
        }
        if (threads.equals("virtual") && !VirtualThreads.available()) {
            Args.fail("--threads virtual: " + VirtualThreads.unavailableReason());
        }
        int pipeSize = args.intValue("pipe-size", 1 << 20, 4096, 1 << 30);
        int maxPipes = args.intValue("max-pipes", 256, 0, 1 << 20);
        Path capture = null;
        if (tee) {
            capture = Paths.get(args.required("capture"));
            if (!Files.isDirectory(capture)) {
                Args.fail("--capture " + capture + " is not a directory");
            }
        }
        Relay.configurePipes(maxPipes, pipeSize);
        boolean splice = mode.equals("splice");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.printf(
                "%s stopped: %d connections, %d bytes up, %d bytes down, %d errors, %d relay copy fallbacks,"
                        + " %d peak pipes in use%n", name, CONNECTIONS.get(), BYTES_UP.get(), BYTES_DOWN.get(),
                ERRORS.get(), Relay.copyFallbacks(), Relay.takePeakPipesInUse())));

        if (threads.equals("virtual")) {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(listen, 1024);
                System.out.println(name + " listening on " + server.getLocalAddress() + " forwarding to " + connect
                        + " (mode " + mode + ", virtual threads)");
                new VirtualProxy(server, connect, splice, pipeSize, capture).run();
            }
            return;
        }
        try (Selector selector = Selector.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(listen, 1024);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println(name + " listening on " + server.getLocalAddress() + " forwarding to " + connect
                    + " (mode " + mode + ", selector thread)");
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

    /**
     * {@code --threads virtual}: the accept loop on the main thread, and for each connection
     * one virtual thread per direction, each looping a blocking {@link Direction#pump()} until
     * its source ended. The first direction to fail closes both sockets, which ends the other's
     * blocked call (AsynchronousCloseException, not counted as a second error).
     */
    static final class VirtualProxy {
        private final ServerSocketChannel server;
        private final InetSocketAddress target;
        private final boolean splice;
        private final int pipeSize;
        private final Path capture;
        private final ExecutorService threads = VirtualThreads.newPerTaskExecutor();

        VirtualProxy(ServerSocketChannel server, InetSocketAddress target, boolean splice, int pipeSize,
                Path capture) {
            this.server = server;
            this.target = target;
            this.splice = splice;
            this.pipeSize = pipeSize;
            this.capture = capture;
        }

        void run() throws IOException {
            long backoff = 0;
            for (;;) {
                SocketChannel client;
                try {
                    client = server.accept();
                    backoff = 0;
                } catch (ClosedChannelException e) {
                    throw e;
                } catch (IOException e) {
                    // EMFILE/ENFILE: the connection waits in the backlog; back off, keep accepting.
                    ERRORS.incrementAndGet();
                    backoff = backoff == 0 ? 10 : Math.min(backoff * 2, 1000);
                    System.err.println("accept: " + e.getMessage() + " (backing off " + backoff + " ms)");
                    sleep(backoff);
                    continue;
                }
                long id = CONNECTIONS.incrementAndGet();
                threads.execute(() -> proxy(id, client));
            }
        }

        private void proxy(long id, SocketChannel client) {
            AtomicBoolean closing = new AtomicBoolean();
            SocketChannel upstream = null;
            Direction up = null;
            Direction down = null;
            try {
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                upstream = SocketChannel.open();
                upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
                upstream.connect(target);
                up = direction(client, upstream, splice, pipeSize, capture, id, "up", BYTES_UP, true);
                down = direction(upstream, client, splice, pipeSize, capture, id, "down", BYTES_DOWN, true);
                Direction second = down;
                SocketChannel other = upstream;
                Future<?> downstream = threads.submit(() -> pumpUntilDone(id, second, closing, client, other));
                pumpUntilDone(id, up, closing, client, upstream);
                downstream.get();
            } catch (IOException e) {
                fail(id, e, closing, client, upstream);
            } catch (InterruptedException | ExecutionException e) {
                fail(id, new IOException(e), closing, client, upstream);
            } finally {
                for (AutoCloseable c : new AutoCloseable[] {up, down, client, upstream}) {
                    try {
                        if (c != null) {
                            c.close();
                        }
                    } catch (Exception ignored) {
                        // the connection is over either way
                    }
                }
            }
        }

        private static void pumpUntilDone(long id, Direction direction, AtomicBoolean closing, SocketChannel a,
                SocketChannel b) {
            try {
                while (!direction.isDone()) {
                    direction.pump();
                }
            } catch (IOException e) {
                fail(id, e, closing, a, b);
            }
        }

        private static void fail(long id, IOException e, AtomicBoolean closing, SocketChannel a, SocketChannel b) {
            if (!closing.compareAndSet(false, true)) {
                return; // the other direction failed first and closed the sockets
            }
            ERRORS.incrementAndGet();
            System.err.println("connection " + id + ": " + e);
            for (SocketChannel c : new SocketChannel[] {a, b}) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (IOException ignored) {
                    // closing is all that was wanted
                }
            }
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
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
            return SpliceProxy.direction(from, to, splice, pipeSize, capture, id, name, counter, false);
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

    /**
     * One direction: a Relay (splice), a TeeDirection (splice with a capture), or an
     * NioDirection (nio, capturing by copying when {@code capture} is set).
     */
    static Direction direction(SocketChannel from, SocketChannel to, boolean splice, int pipeSize, Path capture,
            long id, String name, AtomicLong counter, boolean blocking) throws IOException {
        Path file = capture == null ? null : capture.resolve(id + "-" + name + ".bin");
        if (splice) {
            return file != null ? new TeeDirection(from, to, file, pipeSize, counter, blocking)
                    : new RelayDirection(ZeroCopy.relay(from, to), counter);
        }
        return new NioDirection(from, to, file, counter);
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

    /**
     * nio mode: read into a direct buffer, write it out; what the target refuses stays
     * buffered. With a capture file (TeeProxy --mode nio) each chunk read is also written to
     * the file, by copying: the NIO twin of TeeDirection.
     */
    static final class NioDirection implements Direction {
        private final SocketChannel from;
        private final SocketChannel to;
        private final FileChannel file;
        private final AtomicLong counter;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        private boolean eof;
        private boolean done;

        NioDirection(SocketChannel from, SocketChannel to, Path capture, AtomicLong counter) throws IOException {
            this.from = from;
            this.to = to;
            this.file = capture == null ? null : FileChannel.open(capture, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
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
                    counter.addAndGet(n);
                    if (buffer.hasRemaining() || from.isBlocking()) {
                        break; // non-blocking: wait for OP_WRITE; blocking: return after each chunk
                    }
                }
                if (eof) {
                    if (!done) {
                        to.shutdownOutput();
                        if (file != null) {
                            file.force(false);
                        }
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
                } else if (file != null) {
                    for (ByteBuffer copy = buffer.duplicate(); copy.hasRemaining(); ) {
                        file.write(copy);
                    }
                }
            }
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
        public void close() throws IOException {
            if (file != null) {
                file.close();
            }
        }
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
        /** NONBLOCK on a Selector thread; none with blocking channels (each splice then waits). */
        private final SpliceFlag[] flags;
        private long pending;
        private boolean done;

        TeeDirection(SocketChannel from, SocketChannel to, Path capture, int pipeSize, AtomicLong counter,
                boolean blocking) throws IOException {
            this.from = from;
            this.to = to;
            this.counter = counter;
            this.flags = blocking ? new SpliceFlag[0] : new SpliceFlag[] {SpliceFlag.NONBLOCK};
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
                    long n = ZeroCopy.splice(forward.source(), to, pending, flags);
                    moved += Math.max(n, 0);
                    pending -= Math.max(n, 0);
                    if (pending > 0) {
                        break;
                    }
                }
                if (moved > 0 && flags.length == 0) {
                    break; // blocking: return after each chunk, as Relay.transfer() does
                }
                long n = readChunk();
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

        /**
         * Source -> forward pipe. Non-blocking: what is there. Blocking: a splice on blocking
         * channels returns only once {@code count} bytes moved or the source ended, so a
         * request smaller than the pipe would wait forever for more; wait for the first byte
         * with a blocking 1-byte splice, then take whatever else is there without waiting.
         */
        private long readChunk() throws IOException {
            if (flags.length > 0) {
                return ZeroCopy.splice(from, forward.sink(), forward.capacity(), flags);
            }
            long n = ZeroCopy.splice(from, forward.sink(), 1);
            if (n > 0) {
                long more = ZeroCopy.splice(from, forward.sink(), forward.capacity() - 1, SpliceFlag.NONBLOCK);
                n += Math.max(0, more); // -1 (end) right after: the next call sees it again
            }
            return n;
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
