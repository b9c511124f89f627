package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Ten thousand virtual threads, each in a blocking {@link Relay#transfer()} loop on its own
 * idle loopback connection (5,000 proxied connections, one relay per direction), on the
 * default scheduler: a probe virtual thread still runs at once; then 1 MiB flows each way
 * through every connection and arrives intact; afterwards no descriptor is left behind. The
 * clients and servers are another process ({@code child.RelayLoadMain}), as a proxy's are, so
 * this process needs 10,000 descriptors, not 20,000 (the hard limit here is 20,000).
 */
class VirtualThreadScaleTest {
    private static final int RELAYS = 10_000;
    private static final int CONNECTIONS = RELAYS / 2;
    private static final int BYTES = 1 << 20;

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
        try (Relay r = relay) {
            while (!r.isDone()) {
                long n = r.transfer();
                if (n > 0) {
                    moved += n;
                }
            }
        }
        return moved;
    }

    private static String expectLine(BufferedReader child, String prefix) throws IOException {
        for (String line; (line = child.readLine()) != null; ) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("the load process ended before printing '" + prefix + "'");
    }

    @Test
    void tenThousandIdleRelaysLeaveTheCarriersFreeAndThenMoveEveryByte() throws Exception {
        VirtualThreads.assumeAvailable();
        long limit = openFileLimit();
        assumeTrue(limit >= 2L * CONNECTIONS + 1000, "needs " + (2 * CONNECTIONS + 1000)
                + " descriptors, the limit is " + limit);
        // Start the poller threads (their epoll descriptors stay) before counting descriptors.
        VirtualThreads.call(() -> {
            SocketChannel[] in = TestSupport.socketPair();
            SocketChannel[] out = TestSupport.socketPair();
            try (Relay relay = ZeroCopy.relay(in[1], out[0])) {
                in[0].write(ByteBuffer.wrap(new byte[1]));
                return relay.transfer();
            } finally {
                for (SocketChannel c : new SocketChannel[] {in[0], in[1], out[0], out[1]}) {
                    c.close();
                }
            }
        }).get(30, TimeUnit.SECONDS);
        Relay.closeIdlePipes();
        int baseline = TestSupport.openDescriptors();

        List<SocketChannel> sockets = new ArrayList<>();
        List<Thread> relayThreads = new ArrayList<>();
        List<CompletableFuture<Long>> moved = new ArrayList<>();
        Process load = null;
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            String java = ProcessHandle.current().info().command().orElse("java");
            load = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "dev.zerocopy.child.RelayLoadMain",
                    String.valueOf(((InetSocketAddress) listener.getLocalAddress()).getPort()),
                    String.valueOf(CONNECTIONS), String.valueOf(BYTES))
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(load.getInputStream(), StandardCharsets.UTF_8));
            int serverPort = Integer.parseInt(expectLine(out, "server ").substring("server ".length()).trim());
            InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), serverPort);
            for (int i = 0; i < CONNECTIONS; i++) {
                SocketChannel fromClient = listener.accept();
                sockets.add(fromClient);
                SocketChannel toServer = SocketChannel.open(server);
                sockets.add(toServer);
                Relay up = ZeroCopy.relay(fromClient, toServer);
                Relay down = ZeroCopy.relay(toServer, fromClient);
                moved.addAll(VirtualThreads.callAll(List.of(() -> relayLoop(up), () -> relayLoop(down)), relayThreads));
            }
            expectLine(out, "connected");
            assertTrue(VirtualThreads.awaitParked(relayThreads), "the relays' virtual threads are not all parked");
            VirtualThreads.assertCarriersFree(RELAYS + " virtual threads wait in Relay.transfer()", 50);

            load.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
            load.getOutputStream().flush();
            String verdict = expectLine(out, "");
            for (String line = verdict; !line.startsWith("verified") && !line.startsWith("MISMATCH"); ) {
                line = out.readLine();
                if (line == null) {
                    break;
                }
                verdict = line;
            }
            assertTrue(load.waitFor(240, TimeUnit.SECONDS), "the load process did not finish");
            assertEquals("verified " + CONNECTIONS, verdict, "the load process's verdict");
            assertEquals(0, load.exitValue());
            for (CompletableFuture<Long> relay : moved) {
                assertEquals(BYTES, (long) relay.get(60, TimeUnit.SECONDS), "bytes one relay moved");
            }
        } finally {
            if (load != null) {
                load.destroyForcibly();
            }
            for (SocketChannel c : sockets) {
                c.close();
            }
        }
        Relay.closeIdlePipes();
        assertEquals(baseline, TestSupport.openDescriptors(), "descriptors after closing every connection");
    }
}
