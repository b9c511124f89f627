package dev.zerocopy.examples;

import dev.zerocopy.ZeroCopy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * An echo server: whatever a client sends comes back through splice(2) (socket -> pipe ->
 * the same socket), never through a Java buffer. One Selector thread serves every client;
 * with non-blocking channels {@code ZeroCopy.splice} moves what has arrived, returns 0 when
 * nothing has, and -1 at end of stream — the three cases a loop must tell apart.
 *
 * <pre>SpliceEcho --listen HOST:PORT</pre>
 */
public final class SpliceEcho {
    private SpliceEcho() {}

    public static void main(String[] argv) throws IOException {
        Args args = Args.parse(argv, "SpliceEcho --listen HOST:PORT", "listen");
        InetSocketAddress listen = HostPort.parse("--listen", args.required("listen"));
        long[] counters = new long[2]; // connections, bytes
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.printf(
                "SpliceEcho stopped: %d connections, %d bytes echoed%n", counters[0], counters[1])));
        try (Selector selector = Selector.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(listen, 1024);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println("SpliceEcho listening on " + server.getLocalAddress());
            for (;;) {
                selector.select();
                for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isAcceptable()) {
                        SocketChannel client = server.accept();
                        if (client != null) {
                            client.configureBlocking(false);
                            client.register(selector, SelectionKey.OP_READ);
                            counters[0]++;
                        }
                        continue;
                    }
                    SocketChannel client = (SocketChannel) key.channel();
                    try {
                        long n = ZeroCopy.splice(client, client, 1 << 20);
                        if (n < 0) {
                            client.close(); // end of stream: everything was echoed
                        } else {
                            counters[1] += n;
                        }
                    } catch (IOException e) {
                        client.close();
                    }
                }
            }
        }
    }
}
