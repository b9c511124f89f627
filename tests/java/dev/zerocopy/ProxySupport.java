package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/** Proxies built on Relay, generated streams with checksums, and the "no thread left in native" check. */
final class ProxySupport {
    private ProxySupport() {}

    /** A size from a system property (so CI runs fast and a manual run can carry 1 GiB). */
    static long size(String property, long defaultBytes) {
        return Long.getLong(property, defaultBytes);
    }

    /** The CRC32C of the first {@code size} bytes that {@link #feed} sends for {@code seed}. */
    static long crcOfPrefix(long seed, long size) {
        SplittableRandom random = new SplittableRandom(seed);
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        for (long left = size; left > 0; ) {
            buffer.clear();
            while (buffer.remaining() >= 8) {
                buffer.putLong(random.nextLong());
            }
            int n = (int) Math.min(buffer.capacity(), left);
            crc.update(buffer.array(), 0, n);
            left -= n;
        }
        return crc.getValue();
    }

    /** Writes {@code size} pseudo-random bytes from {@code seed}; optionally shuts output / closes. Returns the CRC32C. */
    static Future<Long> feed(WritableByteChannel out, long size, long seed, boolean close) {
        return TestSupport.async(() -> {
            SplittableRandom random = new SplittableRandom(seed);
            CRC32C crc = new CRC32C();
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            for (long left = size; left > 0; ) {
                buffer.clear();
                while (buffer.remaining() >= 8) {
                    buffer.putLong(random.nextLong());
                }
                buffer.flip();
                buffer.limit((int) Math.min(buffer.limit(), left));
                crc.update(buffer.array(), 0, buffer.limit());
                left -= buffer.limit();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
            if (out instanceof SocketChannel && !close) {
                ((SocketChannel) out).shutdownOutput();
            } else {
                out.close();
            }
            return crc.getValue();
        });
    }

    /**
     * Reads to end of stream: [CRC32C, byte count]. The first {@code slowReads} reads each sleep
     * 20 ms first, so the path before it backs up (pipes fill, pending() grows).
     */
    static Future<long[]> drain(ReadableByteChannel in, int slowReads) {
        return TestSupport.async(() -> {
            CRC32C crc = new CRC32C();
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            long total = 0;
            for (int reads = 0;; reads++) {
                if (reads < slowReads) {
                    Thread.sleep(20);
                }
                buffer.clear();
                int n = in.read(buffer);
                if (n < 0) {
                    return new long[] {crc.getValue(), total};
                }
                crc.update(buffer.array(), 0, n);
                total += n;
            }
        });
    }

    static ServerSocketChannel listen() throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        return server;
    }

    /**
     * Fails, listing the stacks, when a thread is still inside dev.zerocopy.Native one second
     * after the caller believes every transfer ended (the library's poller threads excepted).
     */
    static void assertNoThreadInNative() throws InterruptedException {
        List<String> stuck = new ArrayList<>();
        for (int attempt = 0; attempt < 20; attempt++) {
            stuck.clear();
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                if (TestSupport.isPollerThread(e.getKey())) {
                    continue;
                }
                for (StackTraceElement frame : e.getValue()) {
                    if (frame.getClassName().equals("dev.zerocopy.Native") && e.getKey() != Thread.currentThread()) {
                        stuck.add(e.getKey().getName() + " at " + java.util.Arrays.toString(e.getValue()));
                        break;
                    }
                }
            }
            if (stuck.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        fail("threads still in native code: " + stuck);
    }

    /**
     * A two-way TCP proxy on one Selector thread: each accepted connection gets an upstream
     * connection and two non-blocking relays. Interest follows the Relay contract: OP_WRITE on
     * the target while pending() > 0, else OP_READ on the source while not done.
     */
    static final class SelectorProxy implements Closeable {
        final ServerSocketChannel listener;
        final InetSocketAddress upstream;
        final Selector selector;
        final Thread thread;
        final AtomicLong pendingSeen = new AtomicLong();
        final AtomicInteger maxPipesInUse = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger accepted = new AtomicInteger();
        final List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        private volatile boolean stopping;
        /** SO_SNDBUF of the accepted client sockets, 0 for the default. */
        volatile int clientSendBuffer;

        SelectorProxy(InetSocketAddress upstream) throws IOException {
            this.upstream = upstream;
            this.listener = listen();
            this.listener.configureBlocking(false);
            this.selector = Selector.open();
            listener.register(selector, SelectionKey.OP_ACCEPT);
            this.thread = new Thread(this::run, "selector-proxy");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) listener.getLocalAddress();
        }

        private final class Connection {
            final SocketChannel client;
            final SocketChannel server;
            final Relay up;
            final Relay down;
            SelectionKey clientKey;
            SelectionKey serverKey;

            Connection(SocketChannel client, SocketChannel server) throws IOException {
                this.client = client;
                this.server = server;
                this.up = ZeroCopy.relay(client, server);
                this.down = ZeroCopy.relay(server, client);
            }

            void pump() {
                try {
                    for (Relay relay : new Relay[] {up, down}) {
                        if (!relay.isDone()) {
                            relay.transfer();
                        }
                        if (relay.pending() > 0) {
                            pendingSeen.incrementAndGet();
                        }
                    }
                    maxPipesInUse.accumulateAndGet(Relay.pipesInUse(), Math::max);
                    if (up.isDone() && down.isDone()) {
                        close();
                        return;
                    }
                    clientKey.interestOps(interest(up, down));
                    serverKey.interestOps(interest(down, up));
                } catch (IOException | RuntimeException e) {
                    errors.add(e);
                    close();
                }
            }

            /** Interest of the channel that is {@code source} of one relay and target of the other. */
            private int interest(Relay asSource, Relay asTarget) {
                int ops = 0;
                if (!asSource.isDone() && asSource.pending() == 0) {
                    ops |= SelectionKey.OP_READ;
                }
                if (asTarget.pending() > 0) {
                    ops |= SelectionKey.OP_WRITE;
                }
                return ops;
            }

            void close() {
                up.close();
                down.close();
                try {
                    client.close();
                } catch (IOException ignored) {
                    // Best effort.
                }
                try {
                    server.close();
                } catch (IOException ignored) {
                    // Best effort.
                }
                open.decrementAndGet();
            }
        }

        private void run() {
            try {
                while (!stopping) {
                    selector.select(100);
                    for (SelectionKey key : selector.selectedKeys()) {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isAcceptable()) {
                            accept();
                        } else {
                            ((Connection) key.attachment()).pump();
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException | RuntimeException e) {
                errors.add(e);
            }
        }

        private void accept() throws IOException {
            for (SocketChannel client; (client = listener.accept()) != null; ) {
                SocketChannel server = SocketChannel.open(upstream);
                if (clientSendBuffer > 0) {
                    client.setOption(java.net.StandardSocketOptions.SO_SNDBUF, clientSendBuffer);
                }
                client.configureBlocking(false);
                server.configureBlocking(false);
                Connection connection = new Connection(client, server);
                connection.clientKey = client.register(selector, SelectionKey.OP_READ, connection);
                connection.serverKey = server.register(selector, SelectionKey.OP_READ, connection);
                open.incrementAndGet();
                accepted.incrementAndGet();
            }
        }

        @Override
        public void close() throws IOException {
            stopping = true;
            selector.wakeup();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Connection) {
                    Connection connection = (Connection) key.attachment();
                    if (connection.client.isOpen() || connection.server.isOpen()) {
                        connection.close();
                    }
                }
            }
            selector.close();
            listener.close();
        }
    }

    /** An echo server on one Selector thread: every byte back, then half-close at end of stream. */
    static final class EchoServer implements Closeable {
        final ServerSocketChannel listener;
        final Selector selector;
        final Thread thread;
        private volatile boolean stopping;

        EchoServer() throws IOException {
            listener = listen();
            listener.configureBlocking(false);
            selector = Selector.open();
            listener.register(selector, SelectionKey.OP_ACCEPT);
            thread = new Thread(this::run, "echo-server");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) listener.getLocalAddress();
        }

        private void run() {
            try {
                while (!stopping) {
                    selector.select(100);
                    for (SelectionKey key : selector.selectedKeys()) {
                        if (key.isValid() && key.isAcceptable()) {
                            for (SocketChannel c; (c = listener.accept()) != null; ) {
                                c.configureBlocking(false);
                                c.register(selector, SelectionKey.OP_READ, new Echo());
                            }
                        } else if (key.isValid()) {
                            echo(key);
                        }
                    }
                    selector.selectedKeys().clear();
                }
                for (SelectionKey key : selector.keys()) {
                    key.channel().close();
                }
                selector.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static final class Echo {
            final ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
            boolean ended;
        }

        /** Reads while there is room, writes what it holds; at end of stream flushes, half-closes, closes. */
        private static void echo(SelectionKey key) throws IOException {
            SocketChannel c = (SocketChannel) key.channel();
            Echo echo = (Echo) key.attachment();
            ByteBuffer buffer = echo.buffer;
            try {
                if (!echo.ended && buffer.hasRemaining() && c.read(buffer) < 0) {
                    echo.ended = true;
                }
                buffer.flip();
                c.write(buffer);
                buffer.compact();
                if (echo.ended && buffer.position() == 0) {
                    c.shutdownOutput();
                    c.close();
                    return;
                }
                int ops = !echo.ended && buffer.hasRemaining() ? SelectionKey.OP_READ : 0;
                key.interestOps(ops | (buffer.position() > 0 ? SelectionKey.OP_WRITE : 0));
            } catch (IOException e) {
                c.close();
            }
        }

        @Override
        public void close() throws IOException {
            stopping = true;
            selector.wakeup();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            listener.close();
        }
    }
}
