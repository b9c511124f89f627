package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Relay as proxies use it, over real loopback sockets. Sizes: -Dzerocopy.test.relayBytes
 * (per direction, default 1 GiB).
 */
class RelayTest {
    private static final long BYTES = ProxySupport.size("zerocopy.test.relayBytes", 1L << 30);

    @AfterEach
    void noThreadLeftInNative() throws InterruptedException {
        ProxySupport.assertNoThreadInNative();
    }

    /** [client, proxy's accepted side, proxy's upstream side, server's accepted side]. */
    private static SocketChannel[] chain() throws IOException {
        try (ServerSocketChannel proxy = ProxySupport.listen(); ServerSocketChannel server = ProxySupport.listen()) {
            SocketChannel client = SocketChannel.open(proxy.getLocalAddress());
            SocketChannel accepted = proxy.accept();
            SocketChannel upstream = SocketChannel.open(server.getLocalAddress());
            SocketChannel serverSide = server.accept();
            return new SocketChannel[] {client, accepted, upstream, serverSide};
        }
    }

    private static Future<Long> pumpUntilDone(Relay relay) {
        return TestSupport.async(() -> {
            long total = 0;
            while (!relay.isDone()) {
                total += Math.max(0, relay.transfer());
            }
            return total;
        });
    }

    @Test
    void blockingTwoWayProxyWithThreadPerDirectionCarriesEveryByteBothWays() throws Exception {
        SocketChannel[] s = chain();
        long start = System.nanoTime();
        try (Relay up = ZeroCopy.relay(s[1], s[2]); Relay down = ZeroCopy.relay(s[2], s[1])) {
            Future<Long> upMoved = pumpUntilDone(up);
            Future<Long> downMoved = pumpUntilDone(down);
            Future<Long> sentUp = ProxySupport.feed(s[0], BYTES, 1, false);
            Future<Long> sentDown = ProxySupport.feed(s[3], BYTES + 12345, 2, false);
            Future<long[]> gotUp = ProxySupport.drain(s[3], 50);
            Future<long[]> gotDown = ProxySupport.drain(s[0], 50);
            long[] up1 = gotUp.get(170, TimeUnit.SECONDS);
            long[] down1 = gotDown.get(170, TimeUnit.SECONDS);
            assertEquals(BYTES, up1[1]);
            assertEquals(BYTES + 12345, down1[1]);
            assertEquals(sentUp.get(), up1[0], "client -> server checksum");
            assertEquals(sentDown.get(), down1[0], "server -> client checksum");
            assertEquals(BYTES, upMoved.get(5, TimeUnit.SECONDS));
            assertEquals(BYTES + 12345, downMoved.get(5, TimeUnit.SECONDS));
            assertEquals(0, up.pending());
            assertTrue(up.isDone() && down.isDone());
            System.out.printf("blocking proxy: %d bytes each way, checksums equal, %d ms%n", BYTES,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } finally {
            closeAll(s);
        }
    }

    @Test
    void selectorProxyWithSlowReadersKeepsPendingBytesAndDeliversEveryByte() throws Exception {
        try (ServerSocketChannel server = ProxySupport.listen();
                ProxySupport.SelectorProxy proxy =
                        new ProxySupport.SelectorProxy((java.net.InetSocketAddress) server.getLocalAddress())) {
            SocketChannel client = SocketChannel.open(proxy.address());
            SocketChannel serverSide = server.accept();
            long start = System.nanoTime();
            try {
                Future<Long> sentUp = ProxySupport.feed(client, BYTES, 3, false);
                Future<Long> sentDown = ProxySupport.feed(serverSide, BYTES + 777, 4, false);
                Future<long[]> gotUp = ProxySupport.drain(serverSide, 50);
                Future<long[]> gotDown = ProxySupport.drain(client, 50);
                long[] up = gotUp.get(170, TimeUnit.SECONDS);
                long[] down = gotDown.get(170, TimeUnit.SECONDS);
                assertEquals(BYTES, up[1]);
                assertEquals(BYTES + 777, down[1]);
                assertEquals(sentUp.get(), up[0], "client -> server checksum");
                assertEquals(sentDown.get(), down[0], "server -> client checksum");
                waitFor(() -> proxy.open.get() == 0, "proxy closed the connection after both ends finished");
                assertTrue(proxy.errors.isEmpty(), proxy.errors::toString);
                assertTrue(proxy.pendingSeen.get() > 0, "the slow readers made bytes wait in the relay");
                System.out.printf("selector proxy: %d bytes each way, checksums equal, pending seen %d times, %d ms%n",
                        BYTES, proxy.pendingSeen.get(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } finally {
                closeAll(client, serverSide);
            }
        }
    }

    @Test
    void thousandConcurrentConnectionsThroughTheSelectorProxyStayWithinThePipeCap() throws Exception {
        int connections = Integer.getInteger("zerocopy.test.relayConnections", 1000);
        int cap = 32;
        int maxBefore = Relay.maxPipes();
        int sizeBefore = Relay.pipeSize();
        Relay.configurePipes(cap, 64 * 1024);
        long fallbacksBefore = Relay.copyFallbacks();
        try (ProxySupport.EchoServer echo = new ProxySupport.EchoServer();
                ProxySupport.SelectorProxy proxy = new ProxySupport.SelectorProxy(echo.address())) {
            proxy.clientSendBuffer = 4096;
            Relay.takePeakPipesInUse();
            int baseline = TestSupport.openDescriptors();
            List<SocketChannel> clients = new ArrayList<>();
            long[] sent = new long[connections];
            try {
                for (int i = 0; i < connections; i++) {
                    // A small receive buffer: the echoes back up into the proxy, whose relays then
                    // hold pending bytes, so more relays want pipes than the cap allows.
                    SocketChannel client = SocketChannel.open();
                    client.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
                    client.connect(proxy.address());
                    clients.add(client);
                }
                waitFor(() -> proxy.open.get() == connections, "all connections open at once");
                for (int i = 0; i < connections; i++) {
                    byte[] payload = TestSupport.randomBytes(8 * 1024 + (i * 37) % (24 * 1024), i);
                    CRC32C crc = new CRC32C();
                    crc.update(payload);
                    sent[i] = crc.getValue();
                    ByteBuffer buffer = ByteBuffer.wrap(payload);
                    while (buffer.hasRemaining()) {
                        clients.get(i).write(buffer);
                    }
                    clients.get(i).shutdownOutput();
                }
                Thread.sleep(500);
                ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
                for (int i = 0; i < connections; i++) {
                    CRC32C crc = new CRC32C();
                    for (int n; (n = clients.get(i).read(buffer.clear())) >= 0; ) {
                        crc.update(buffer.array(), 0, n);
                    }
                    assertEquals(sent[i], crc.getValue(), "connection " + i + " echoed intact");
                }
            } finally {
                closeAll(clients.toArray(new SocketChannel[0]));
            }
            waitFor(() -> proxy.open.get() == 0, "proxy closed every connection");
            assertTrue(proxy.errors.isEmpty(), proxy.errors::toString);
            int peak = Relay.takePeakPipesInUse();
            assertTrue(peak <= cap, "pipes in use peaked at " + peak + " > cap " + cap);
            assertTrue(proxy.maxPipesInUse.get() <= cap, "seen " + proxy.maxPipesInUse.get());
            assertTrue(Relay.copyFallbacks() > fallbacksBefore, "the cap was reached and relays copied instead");
            assertEquals(0, Relay.pipesInUse());
            Relay.closeIdlePipes();
            waitFor(() -> descriptors() <= baseline, "descriptors back to the baseline " + baseline);
            System.out.printf("1000 connections: peak pipes %d (cap %d), copy fallbacks %d%n", peak, cap,
                    Relay.copyFallbacks() - fallbacksBefore);
        } finally {
            Relay.configurePipes(maxBefore, sizeBefore);
        }
    }

    @Test
    void atThePipeCapARelayCopiesThroughABufferAndCountsIt() throws Exception {
        int maxBefore = Relay.maxPipes();
        int sizeBefore = Relay.pipeSize();
        Relay.configurePipes(0, sizeBefore);
        long before = Relay.copyFallbacks();
        SocketChannel[] s = chain();
        try (Relay up = ZeroCopy.relay(s[1], s[2])) {
            Future<Long> moved = pumpUntilDone(up);
            Future<Long> sent = ProxySupport.feed(s[0], 5_000_000, 9, false);
            long[] got = ProxySupport.drain(s[3], 5).get(60, TimeUnit.SECONDS);
            assertEquals(5_000_000, got[1]);
            assertEquals(sent.get(), got[0]);
            assertEquals(5_000_000L, moved.get(5, TimeUnit.SECONDS));
            assertTrue(Relay.copyFallbacks() > before, "the fallback was counted");
            assertEquals(0, Relay.pipesInUse());
        } finally {
            Relay.configurePipes(maxBefore, sizeBefore);
            closeAll(s);
        }
    }

    @Test
    void endOfStreamHalfClosesTheTargetAndTheOtherDirectionKeepsWorking() throws Exception {
        SocketChannel[] s = chain();
        try (Relay up = ZeroCopy.relay(s[1], s[2]); Relay down = ZeroCopy.relay(s[2], s[1])) {
            s[0].write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            s[0].shutdownOutput();
            long moved = 0;
            while (!up.isDone()) {
                moved += Math.max(0, up.transfer());
            }
            assertEquals(3, moved);
            ByteBuffer got = ByteBuffer.allocate(10);
            while (s[3].read(got) >= 0) {
                // until the half-close arrives
            }
            assertEquals(3, got.position());
            s[3].write(ByteBuffer.wrap(new byte[] {9, 8}));
            assertEquals(2, down.transfer(), "the other direction still carries bytes");
            ByteBuffer back = ByteBuffer.allocate(2);
            while (back.hasRemaining()) {
                s[0].read(back);
            }
            assertArrayEquals(new byte[] {9, 8}, back.array());
            assertEquals(-1, up.transfer(), "a done relay says end of stream");
        } finally {
            closeAll(s);
        }
    }

    @Test
    void transferMovesAtMostMaxBytes() throws Exception {
        SocketChannel[] s = chain();
        try (Relay up = ZeroCopy.relay(s[1], s[2])) {
            s[0].write(ByteBuffer.wrap(TestSupport.randomBytes(100_000, 8)));
            Thread.sleep(100);
            assertEquals(10, up.transfer(10));
            assertEquals(0, up.transfer(0));
            long rest = 0;
            while (rest < 99_990) {
                rest += Math.max(0, up.transfer(50_000));
            }
            assertEquals(99_990, rest);
            ByteBuffer got = ByteBuffer.allocate(100_000);
            while (got.hasRemaining()) {
                s[3].read(got);
            }
            assertArrayEquals(TestSupport.randomBytes(100_000, 8), got.array());
        } finally {
            closeAll(s);
        }
    }

    /**
     * Closing a relay's channels while it runs, then opening files at once (which may reuse the
     * closed descriptor numbers): no file ever receives a byte, and what reached the far end is
     * exactly a prefix of what was sent. Through pipes and through the copy fallback.
     */
    @ParameterizedTest(name = "copy fallback: {0}")
    @ValueSource(booleans = {false, true})
    void closedDescriptorNumbersAreNeverWrittenAfterReuse(boolean copyFallback,
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        int maxBefore = Relay.maxPipes();
        if (copyFallback) {
            Relay.configurePipes(0, Relay.pipeSize());
        }
        try {
            closeMidRelayRounds(tmp);
        } finally {
            Relay.configurePipes(maxBefore, Relay.pipeSize());
        }
    }

    private static void closeMidRelayRounds(java.nio.file.Path tmp) throws Exception {
        for (int round = 0; round < 30; round++) {
            SocketChannel[] s = chain();
            Future<Long> feeder = ProxySupport.feed(s[0], 256L << 20, round, false);
            Future<long[]> drained = ProxySupport.drain(s[3], 0);
            Relay relay = ZeroCopy.relay(s[1], s[2]);
            if (round % 2 == 1) {
                s[1].configureBlocking(false);
            }
            Thread[] worker = new Thread[1];
            Future<Object> pump = TestSupport.async(() -> {
                worker[0] = Thread.currentThread();
                try {
                    while (!relay.isDone()) {
                        relay.transfer();
                    }
                    return "done";
                } catch (IOException e) {
                    return e;
                }
            });
            Thread.sleep(5 + round % 7);
            s[round % 2 == 0 ? 2 : 1].close();
            List<java.nio.channels.FileChannel> files = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                files.add(java.nio.channels.FileChannel.open(tmp.resolve(round + "-" + i),
                        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.READ,
                        java.nio.file.StandardOpenOption.WRITE));
            }
            try {
                pump.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                StringBuilder dump = new StringBuilder();
                Thread.getAllStackTraces().forEach((t, stack) -> dump.append('\n').append(t.getName()).append(' ')
                        .append(t.getState()).append(' ').append(java.util.Arrays.toString(stack)));
                throw new AssertionError("round " + round + ": relay still running at "
                        + java.util.Arrays.toString(worker[0].getStackTrace()) + dump, e);
            }
            relay.close();
            closeAll(s[0], s[1], s[2]);
            for (java.nio.channels.FileChannel file : files) {
                assertEquals(0, file.size(), "a file that reused a closed descriptor received bytes");
                file.close();
            }
            try {
                feeder.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException expected) {
                // Its peer was closed.
            }
            long[] got = drained.get(10, TimeUnit.SECONDS);
            assertEquals(ProxySupport.crcOfPrefix(round, got[1]), got[0],
                    "round " + round + ": the " + got[1] + " bytes that arrived are what was sent");
            s[3].close();
        }
    }

    @Test
    void nonBlockingTransferWithNothingToReadReturnsZeroAndHoldsNoPipe() throws Exception {
        SocketChannel[] s = chain();
        s[1].configureBlocking(false);
        int inUse = Relay.pipesInUse();
        try (Relay up = ZeroCopy.relay(s[1], s[2])) {
            assertEquals(0, up.transfer());
            assertFalse(up.isDone());
            assertEquals(inUse, Relay.pipesInUse(), "an idle relay holds no pipe");
        } finally {
            closeAll(s);
        }
    }

    @Test
    void badArgumentsAreRejected() throws Exception {
        SocketChannel[] s = chain();
        try {
            assertThrows(NullPointerException.class, () -> ZeroCopy.relay(null, s[2]));
            assertThrows(NullPointerException.class, () -> ZeroCopy.relay(s[1], null));
            Relay relay = ZeroCopy.relay(s[1], s[2]);
            assertThrows(IllegalArgumentException.class, () -> relay.transfer(-1));
            relay.close();
            relay.close();
            assertThrows(ClosedChannelException.class, relay::transfer);
            s[2].close();
            assertThrows(ClosedChannelException.class, () -> ZeroCopy.relay(s[1], s[2]));
        } finally {
            closeAll(s);
        }
    }

    @Test
    void closingTheRelayWakesABlockedTransferWithinASecond() throws Exception {
        SocketChannel[] s = chain();
        Relay relay = ZeroCopy.relay(s[1], s[2]);
        try {
            Throwable e = blockThenWake(relay, null, relay::close);
            assertEquals(AsynchronousCloseException.class, e.getClass());
            assertTrue(s[1].isOpen() && s[2].isOpen(), "the channels are the caller's");
        } finally {
            closeAll(s);
        }
    }

    @Test
    void closingTheSourceWakesABlockedTransferWithinASecond() throws Exception {
        SocketChannel[] s = chain();
        try (Relay relay = ZeroCopy.relay(s[1], s[2])) {
            Throwable e = blockThenWake(relay, null, () -> s[1].close());
            assertEquals(AsynchronousCloseException.class, e.getClass());
        } finally {
            closeAll(s);
        }
    }

    @Test
    void closingTheTargetWakesATransferBlockedOnAFullTargetWithinASecond() throws Exception {
        SocketChannel[] s = chain();
        // Nobody reads s[3]: the target fills, the relay waits for room with bytes in its pipe.
        Future<Long> feeder = ProxySupport.feed(s[0], 64L << 20, 5, false);
        try (Relay relay = ZeroCopy.relay(s[1], s[2])) {
            Future<Object> outcome = TestSupport.async(() -> {
                try {
                    for (;;) {
                        relay.transfer();
                    }
                } catch (IOException e) {
                    return e;
                }
            });
            Thread.sleep(500);
            assertFalse(outcome.isDone(), "the transfer is blocked on the full target");
            long start = System.nanoTime();
            s[2].close();
            Object e = outcome.get(5, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(e instanceof AsynchronousCloseException || e instanceof ClosedChannelException, e.toString());
            assertTrue(millis < 1000, "woke after " + millis + " ms");
        } finally {
            closeAll(s);
            try {
                feeder.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException expected) {
                // The feeder's peer was closed.
            }
        }
    }

    @Test
    void interruptEndsABlockedTransferClosesBothChannelsAndKeepsTheStatus() throws Exception {
        SocketChannel[] s = chain();
        try (Relay relay = ZeroCopy.relay(s[1], s[2])) {
            Thread[] worker = new Thread[1];
            Throwable e = blockThenWake(relay, worker, () -> worker[0].interrupt());
            assertEquals(ClosedByInterruptException.class, e.getClass());
            assertFalse(s[1].isOpen());
            assertFalse(s[2].isOpen());
        } finally {
            closeAll(s);
        }
    }

    interface Action {
        void run() throws Exception;
    }

    /** Starts a blocking transfer with no input, runs {@code wake}, returns what ended it (< 1 s). */
    private static Throwable blockThenWake(Relay relay, Thread[] worker, Action wake) throws Exception {
        Future<Object[]> outcome = TestSupport.async(() -> {
            if (worker != null) {
                worker[0] = Thread.currentThread();
            }
            try {
                relay.transfer();
                return new Object[] {null, false};
            } catch (IOException e) {
                return new Object[] {e, Thread.interrupted()};
            }
        });
        Thread.sleep(300);
        assertFalse(outcome.isDone(), "transfer returned with no input");
        long start = System.nanoTime();
        wake.run();
        Object[] result = outcome.get(5, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 1000, "woke after " + millis + " ms");
        if (worker != null) {
            assertEquals(true, result[1], "interrupt status kept");
        }
        return (Throwable) result[0];
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(10);
        }
    }

    private static int descriptors() {
        try {
            return TestSupport.openDescriptors();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void closeAll(SocketChannel... channels) {
        for (SocketChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Best effort.
            }
        }
    }
}
