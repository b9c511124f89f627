package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Ten thousand virtual threads, each in a blocking {@link Relay#transfer()} loop on its own
 * idle loopback connection (5,000 proxied connections, one relay per direction), on the
 * default scheduler: a probe virtual thread still runs at once; then 1 MiB flows each way
 * through every connection and arrives intact; afterwards no descriptor is left behind.
 */
class VirtualThreadScaleTest {
    private static final int RELAYS = 10_000;
    private static final int CONNECTIONS = RELAYS / 2;
    private static final int BYTES = 1 << 20;
    /** Connections moving data at once: the relays beyond the pipe pool would copy instead. */
    private static final int WAVE = 64;

    /** A client, the proxy's two sockets, and the server: c <-> p1 [relays] p2 <-> s. */
    private static final class Connection {
        SocketChannel client;
        SocketChannel proxyIn;
        SocketChannel proxyOut;
        SocketChannel server;
        Relay upRelay;
        Relay downRelay;
        CompletableFuture<Long> up;
        CompletableFuture<Long> down;

        void close() throws IOException {
            for (Relay r : new Relay[] {upRelay, downRelay}) {
                if (r != null) {
                    r.close();
                }
            }
            for (SocketChannel c : new SocketChannel[] {client, proxyIn, proxyOut, server}) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return 0;
    }

    private static long relayLoop(Relay relay) throws IOException {
        long moved = 0;
        while (!relay.isDone()) {
            long n = relay.transfer();
            if (n > 0) {
                moved += n;
            }
        }
        return moved;
    }

    /** 1 MiB of a shared random pattern, starting at a per-connection offset. */
    private static ByteBuffer pattern(byte[] random, int offset) {
        ByteBuffer bytes = ByteBuffer.allocate(BYTES);
        bytes.put(random, offset, random.length - offset).put(random, 0, offset).flip();
        return bytes;
    }

    private static void send(SocketChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
        out.shutdownOutput();
    }

    private static ByteBuffer receive(SocketChannel in) throws IOException {
        ByteBuffer got = ByteBuffer.allocate(BYTES + 1);
        while (in.read(got) >= 0) {
            if (!got.hasRemaining()) {
                break;
            }
        }
        return got.flip();
    }

    @Test
    void tenThousandIdleRelaysLeaveTheCarriersFreeAndThenMoveEveryByte() throws Exception {
        VirtualThreads.assumeAvailable();
        long limit = openFileLimit();
        assumeTrue(limit >= 4L * CONNECTIONS + 1000, "needs " + (4 * CONNECTIONS + 1000)
                + " descriptors, the limit is " + limit + " (tests/run.sh raises it with ulimit -n)");
        // Start the poller threads (their epoll descriptors stay) before counting descriptors.
        VirtualThreads.call(() -> {
            SocketChannel[] pair = TestSupport.socketPair();
            try (Relay relay = ZeroCopy.relay(pair[1], pair[0])) {
                pair[0].write(ByteBuffer.wrap(new byte[1]));
                return relay.transfer();
            } finally {
                pair[0].close();
                pair[1].close();
            }
        }).get(30, TimeUnit.SECONDS);
        Relay.closeIdlePipes();
        int baseline = TestSupport.openDescriptors();

        List<Connection> connections = new ArrayList<>();
        List<Thread> relayThreads = new ArrayList<>();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            for (int i = 0; i < CONNECTIONS; i++) {
                Connection c = new Connection();
                connections.add(c);
                c.client = SocketChannel.open(listener.getLocalAddress());
                c.proxyIn = listener.accept();
                c.proxyOut = SocketChannel.open(listener.getLocalAddress());
                c.server = listener.accept();
                Relay up = ZeroCopy.relay(c.proxyIn, c.proxyOut);
                Relay down = ZeroCopy.relay(c.proxyOut, c.proxyIn);
                c.upRelay = up;
                c.downRelay = down;
                List<CompletableFuture<Long>> loops = VirtualThreads.callAll(
                        List.of(() -> relayLoop(up), () -> relayLoop(down)), relayThreads);
                c.up = loops.get(0);
                c.down = loops.get(1);
            }
            assertTrue(VirtualThreads.awaitParked(relayThreads), "the relays' virtual threads are not all parked");
            VirtualThreads.assertCarriersFree(RELAYS + " virtual threads wait in Relay.transfer()", 50);

            byte[] random = TestSupport.randomBytes(BYTES, 42);
            Semaphore wave = new Semaphore(WAVE);
            List<CompletableFuture<Void>> checks = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                Connection c = connections.get(i);
                int offset = (i * 7919) % BYTES;
                wave.acquire();
                CompletableFuture<ByteBuffer> atServer = VirtualThreads.call(() -> receive(c.server));
                CompletableFuture<ByteBuffer> atClient = VirtualThreads.call(() -> receive(c.client));
                VirtualThreads.call(() -> {
                    send(c.client, pattern(random, offset));
                    return null;
                });
                VirtualThreads.call(() -> {
                    send(c.server, pattern(random, (offset + 1) % BYTES));
                    return null;
                });
                checks.add(atServer.thenCombine(atClient, (up, down) -> {
                    wave.release();
                    assertEquals(pattern(random, offset), up, "client -> server bytes of connection " + c);
                    assertEquals(pattern(random, (offset + 1) % BYTES), down, "server -> client bytes");
                    return null;
                }));
            }
            for (int i = 0; i < CONNECTIONS; i++) {
                checks.get(i).get(120, TimeUnit.SECONDS);
                Connection c = connections.get(i);
                assertEquals(BYTES, (long) c.up.get(30, TimeUnit.SECONDS));
                assertEquals(BYTES, (long) c.down.get(30, TimeUnit.SECONDS));
            }
        } finally {
            for (Connection c : connections) {
                c.close();
            }
        }
        Relay.closeIdlePipes();
        assertEquals(baseline, TestSupport.openDescriptors(), "descriptors after closing every connection");
    }
}
