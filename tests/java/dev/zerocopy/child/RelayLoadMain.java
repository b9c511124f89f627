package dev.zerocopy.child;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The clients and servers of {@code VirtualThreadScaleTest}'s proxy, in a process of their own
 * (so the proxy's process holds only its own descriptors): plain java.nio, no zerocopy.
 *
 * <p>Args: proxy port, connections, bytes per direction. Prints "server PORT", then opens each
 * connection through the proxy (client -> proxy, then accepts the proxy's connection to the
 * server, in lockstep with the proxy's accept-then-connect), prints "connected", waits for a
 * line "go" on stdin, sends {@code bytes} each way through every connection (64 connections
 * at a time), checks every byte, and prints "verified N" (exit 0) or what differed (exit 1).
 */
public final class RelayLoadMain {
    private static final int WAVE = 64;

    private RelayLoadMain() {}

    public static void main(String[] args) throws Exception {
        int proxyPort = Integer.parseInt(args[0]);
        int connections = Integer.parseInt(args[1]);
        int bytes = Integer.parseInt(args[2]);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        List<SocketChannel> clients = new ArrayList<>();
        List<SocketChannel> servers = new ArrayList<>();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(loopback, 0), 1024);
            System.out.println("server " + ((InetSocketAddress) listener.getLocalAddress()).getPort());
            for (int i = 0; i < connections; i++) {
                clients.add(SocketChannel.open(new InetSocketAddress(loopback, proxyPort)));
                servers.add(listener.accept());
            }
        }
        System.out.println("connected");
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (!"go".equals(stdin.readLine())) {
            System.out.println("no go");
            System.exit(1);
        }
        byte[] pattern = new byte[bytes];
        new Random(42).nextBytes(pattern);
        ExecutorService pool = Executors.newFixedThreadPool(4 * WAVE);
        List<String> problems = new ArrayList<>();
        for (int first = 0; first < connections; first += WAVE) {
            List<Future<String>> wave = new ArrayList<>();
            for (int n = first; n < Math.min(connections, first + WAVE); n++) {
                int i = n;
                SocketChannel client = clients.get(i);
                SocketChannel server = servers.get(i);
                int up = (i * 7919) % bytes;
                int down = (up + 1) % bytes;
                wave.add(pool.submit(() -> send(client, pattern, up)));
                wave.add(pool.submit(() -> send(server, pattern, down)));
                wave.add(pool.submit(() -> check("connection " + i + " client -> server", server, pattern, up)));
                wave.add(pool.submit(() -> check("connection " + i + " server -> client", client, pattern, down)));
            }
            for (Future<String> f : wave) {
                String problem = f.get();
                if (problem != null) {
                    problems.add(problem);
                }
            }
        }
        pool.shutdown();
        for (int i = 0; i < connections; i++) {
            clients.get(i).close();
            servers.get(i).close();
        }
        if (!problems.isEmpty()) {
            System.out.println("MISMATCH " + problems.size() + ": " + problems.subList(0, Math.min(5, problems.size())));
            System.exit(1);
        }
        System.out.println("verified " + connections);
    }

    /** The pattern rotated to start at {@code offset}, then end of stream. */
    private static String send(SocketChannel out, byte[] pattern, int offset) throws IOException {
        ByteBuffer first = ByteBuffer.wrap(pattern, offset, pattern.length - offset);
        ByteBuffer second = ByteBuffer.wrap(pattern, 0, offset);
        while (first.hasRemaining() || second.hasRemaining()) {
            out.write(first.hasRemaining() ? first : second);
        }
        out.shutdownOutput();
        return null;
    }

    private static String check(String what, SocketChannel in, byte[] pattern, int offset) throws IOException {
        ByteBuffer got = ByteBuffer.allocate(pattern.length + 1);
        while (in.read(got) >= 0 && got.hasRemaining()) {
            // until end of stream (or one byte too many)
        }
        got.flip();
        if (got.remaining() != pattern.length) {
            return what + ": " + got.remaining() + " bytes, expected " + pattern.length;
        }
        for (int i = 0; i < pattern.length; i++) {
            if (got.get(i) != pattern[(offset + i) % pattern.length]) {
                return what + ": byte " + i + " differs";
            }
        }
        return null;
    }
}
