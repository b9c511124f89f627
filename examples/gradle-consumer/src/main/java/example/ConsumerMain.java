package example;

import dev.zerocopy.ZeroCopy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** What a user writes: the README's example, run against real sockets and a real file. */
public final class ConsumerMain {
    private ConsumerMain() {}

    // ---- the README example, verbatim ----
    /** Forwards everything `from` receives to `to`, without copying it through the JVM. */
    static long forward(SocketChannel from, SocketChannel to) throws IOException {
        long total = 0;
        for (long n; (n = ZeroCopy.splice(from, to, 1 << 20)) > 0; ) {  // -1 at end of stream
            total += n;
        }
        return total;
    }

    /** Sends a whole file to a socket inside the kernel (sendfile, or splice through a pipe). */
    static long send(FileChannel file, SocketChannel socket) throws IOException {
        return ZeroCopy.transferTo(file, 0, file.size(), socket);
    }
    // ---- end of the README example ----

    public static void main(String[] args) throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(42).nextBytes(data);
        Path file = Files.createTempFile("zerocopy-consumer", ".bin");
        Files.write(file, data);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel a = SocketChannel.open(server.getLocalAddress());
                    SocketChannel b = server.accept();
                    SocketChannel c = SocketChannel.open(server.getLocalAddress());
                    SocketChannel d = server.accept();
                    FileChannel in = FileChannel.open(file)) {
                // file --sendfile--> a ... b --splice--> c ... d: d must receive the file.
                Thread sender = new Thread(() -> {
                    try {
                        send(in, a);
                        a.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                sender.start();
                Thread forwarder = new Thread(() -> {
                    try {
                        forward(b, c);
                        c.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                forwarder.start();
                ByteBuffer received = ByteBuffer.allocate(data.length + 1);
                while (d.read(received) >= 0) {
                    if (!received.hasRemaining()) {
                        throw new AssertionError("received more bytes than sent");
                    }
                }
                sender.join();
                forwarder.join();
                byte[] got = Arrays.copyOf(received.array(), received.position());
                if (!Arrays.equals(data, got)) {
                    throw new AssertionError("received " + got.length + " bytes that differ from the file");
                }
                System.out.println("consumer OK: " + got.length + " bytes via sendfile and splice");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
