package dev.zerocopy.modulepath;

import dev.zerocopy.ZeroCopy;
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

/**
 * Run by {@code ModulePathTest} in a JVM that has the jar on the module path, not the class path
 * (this class lives outside the jar's package, so it is not hidden by the named module): checks
 * that zerocopy is the named module {@code dev.zerocopy}, then moves a file through a socket with
 * transferTo and on through a second socket with splice, checking every byte.
 */
public final class ModulePathMain {
    private ModulePathMain() {}

    public static void main(String[] args) throws Exception {
        Module module = ZeroCopy.class.getModule();
        if (!module.isNamed() || !"dev.zerocopy".equals(module.getName())) {
            throw new AssertionError("zerocopy is not the module dev.zerocopy but " + module);
        }
        if (!ZeroCopy.isAvailable()) {
            throw new AssertionError("library not available: " + ZeroCopy.unavailabilityCause());
        }
        byte[] data = new byte[2 << 20];
        new Random(7).nextBytes(data);
        Path file = Files.createTempFile("zerocopy-modulepath", ".bin");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            Files.write(file, data);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel a = SocketChannel.open(server.getLocalAddress());
                    SocketChannel b = server.accept();
                    SocketChannel c = SocketChannel.open(server.getLocalAddress());
                    SocketChannel d = server.accept();
                    FileChannel in = FileChannel.open(file)) {
                // file --transferTo--> a ... b --splice--> c ... d
                Thread sender = new Thread(() -> {
                    try {
                        long sent = ZeroCopy.transferTo(in, 0, in.size(), a);
                        a.shutdownOutput();
                        System.out.println("transferTo moved " + sent);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                Thread forwarder = new Thread(() -> {
                    try {
                        long total = 0;
                        for (long n; (n = ZeroCopy.splice(b, c, 1 << 20)) > 0; ) {
                            total += n;
                        }
                        c.shutdownOutput();
                        System.out.println("splice moved " + total);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                sender.start();
                forwarder.start();
                ByteBuffer received = ByteBuffer.allocate(data.length + 1);
                while (d.read(received) >= 0 && received.hasRemaining()) {
                    // read to end of stream
                }
                sender.join();
                forwarder.join();
                byte[] got = Arrays.copyOf(received.array(), received.position());
                if (!Arrays.equals(data, got)) {
                    throw new AssertionError("received " + got.length + " bytes that differ from the " + data.length + " sent");
                }
                System.out.println("module " + module.getName() + ": " + got.length + " bytes intact");
            }
        } finally {
            Files.delete(file);
        }
    }
}
