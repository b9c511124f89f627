package dev.zerocopy.bench;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import dev.zerocopy.Relay;
import dev.zerocopy.ZeroCopy;

/**
 * The proxy under test in {@link ScaleBench}: thread per connection direction, blocking
 * calls, on virtual threads (JDK 21+; found by reflection, the bench sources target Java 11).
 * {@code relay} mode runs {@code while (!relay.isDone()) relay.transfer()}; {@code nio} mode
 * the same loop through a direct ByteBuffer of {@code --buffer} bytes, allocated per direction
 * when the connection opens (as a thread-per-connection copy relay does).
 *
 * <pre>
 * ScaleRelay --listen PORT --connect PORT --mode relay|nio [--host ADDR] [--upstream-host ADDR]
 *            [--buffer BYTES] [--pipe-size BYTES] [--max-pipes N]
 * </pre>
 *
 * Prints {@code listening} once bound, then every 50 ms a line
 * {@code STATS <direct bytes> <pipes in use> <bytes in pipes> <open connections>}.
 */
public final class ScaleRelay {
    private ScaleRelay() {}

    private static final Set<Relay> RELAYS = ConcurrentHashMap.newKeySet();
    private static final AtomicLong OPEN = new AtomicLong();

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        String upstreamHost = "127.0.0.1";
        int listen = 0;
        int connect = 0;
        String mode = "relay";
        int buffer = 64 * 1024;
        int pipeSize = 1 << 20;
        int maxPipes = 256;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--host": host = args[i + 1]; break;
                case "--upstream-host": upstreamHost = args[i + 1]; break;
                case "--listen": listen = Integer.parseInt(args[i + 1]); break;
                case "--connect": connect = Integer.parseInt(args[i + 1]); break;
                case "--mode": mode = args[i + 1]; break;
                case "--buffer": buffer = Integer.parseInt(args[i + 1]); break;
                case "--pipe-size": pipeSize = Integer.parseInt(args[i + 1]); break;
                case "--max-pipes": maxPipes = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (!mode.equals("relay") && !mode.equals("nio")) {
            throw new IllegalArgumentException("--mode must be relay or nio, not " + mode);
        }
        Relay.configurePipes(maxPipes, pipeSize);
        ExecutorService threads = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                .invoke(null);
        InetSocketAddress upstream = new InetSocketAddress(upstreamHost, connect);
        boolean relay = mode.equals("relay");
        int bufferSize = buffer;
        startStats();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(host, listen), 4096);
            System.out.println("listening on " + server.getLocalAddress() + " mode " + mode);
            System.out.flush();
            for (;;) {
                SocketChannel client = server.accept();
                threads.execute(() -> open(client, upstream, relay, bufferSize, threads));
            }
        }
    }

    private static void open(SocketChannel client, InetSocketAddress upstream, boolean relay, int buffer,
            ExecutorService threads) {
        SocketChannel server;
        try {
            server = SocketChannel.open(upstream);
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            server.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException e) {
            System.err.println("connect: " + e);
            closeQuietly(client);
            return;
        }
        OPEN.incrementAndGet();
        AtomicLong directions = new AtomicLong(2);
        Runnable finish = () -> {
            if (directions.decrementAndGet() == 0) {
                closeQuietly(client);
                closeQuietly(server);
                OPEN.decrementAndGet();
            }
        };
        threads.execute(() -> pump(client, server, relay, buffer, finish));
        pump(server, client, relay, buffer, finish);
    }

    private static void pump(SocketChannel from, SocketChannel to, boolean relay, int buffer, Runnable finish) {
        try {
            if (relay) {
                try (Relay r = ZeroCopy.relay(from, to)) {
                    RELAYS.add(r);
                    try {
                        while (!r.isDone()) {
                            r.transfer();
                        }
                    } finally {
                        RELAYS.remove(r);
                    }
                }
            } else {
                ByteBuffer b = ByteBuffer.allocateDirect(buffer);
                while (from.read(b) >= 0) {
                    b.flip();
                    while (b.hasRemaining()) {
                        to.write(b);
                    }
                    b.clear();
                }
                to.shutdownOutput();
            }
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        } finally {
            finish.run();
        }
    }

    private static void startStats() {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        Thread stats = new Thread(() -> {
            for (;;) {
                long inPipes = 0;
                for (Relay r : RELAYS) {
                    inPipes += r.pending();
                }
                System.out.println("STATS " + direct.getMemoryUsed() + " " + Relay.pipesInUse() + " " + inPipes + " "
                        + OPEN.get());
                System.out.flush();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stats");
        stats.setDaemon(true);
        stats.start();
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing after an error: nothing left to report
        }
    }
}
