package dev.zerocopy.child;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The helpers of {@code dev.zerocopy.TestSupport} that child JVMs need. Child JVMs load the
 * library from the sealed jar, so no test class of package {@code dev.zerocopy} may load
 * there: a sealing violation (see SealedPackageTest).
 */
public final class ChildSupport {
    static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-helper");
        t.setDaemon(true);
        return t;
    });

    private ChildSupport() {}

    /** A connected loopback TCP pair: [0] is the client, [1] the accepted server side. */
    public static SocketChannel[] socketPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            return new SocketChannel[] {client, accepted};
        }
    }

    /** {@code NativeLibrary.report()}: where the library was loaded from and what failed before. */
    public static String libraryReport() {
        return (String) callNativeLibrary("report");
    }

    /** {@code NativeLibrary.platform()}: the jar directory this JVM loads from, e.g. linux-x86_64. */
    public static String libraryPlatform() {
        return (String) callNativeLibrary("platform");
    }

    /**
     * Calls a static no-argument method of the package-private {@code dev.zerocopy.NativeLibrary}.
     * Reflection, because a class of this package may not join the sealed {@code dev.zerocopy}
     * to call it directly; it defines no class there, so the seal holds.
     */
    private static Object callNativeLibrary(String name) {
        try {
            java.lang.reflect.Method method = Class.forName("dev.zerocopy.NativeLibrary").getDeclaredMethod(name);
            method.setAccessible(true);
            return method.invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("dev.zerocopy.NativeLibrary." + name + "()", e);
        }
    }

    public static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    public static String hex(byte[] digest) {
        StringBuilder s = new StringBuilder();
        for (byte b : digest) {
            s.append(String.format("%02x", b));
        }
        return s.toString();
    }

    public static String sha256(byte[] bytes) {
        return hex(sha256().digest(bytes));
    }

    /** Reads {@code in} to end of stream on another thread: [sha256, byte count]. */
    public static Future<Object[]> drain(ReadableByteChannel in) {
        return POOL.submit(() -> {
            MessageDigest digest = sha256();
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            long total = 0;
            for (;;) {
                buffer.clear();
                int n = in.read(buffer);
                if (n < 0) {
                    return new Object[] {hex(digest.digest()), total};
                }
                digest.update(buffer.array(), 0, n);
                total += n;
            }
        });
    }

    /** Writes {@code bytes} to {@code out} on another thread, then closes it. */
    public static Future<Void> feed(WritableByteChannel out, byte[] bytes) {
        return POOL.submit(() -> {
            try (WritableByteChannel channel = out) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
            return null;
        });
    }

    public static <T> Future<T> async(Callable<T> task) {
        return POOL.submit(task);
    }
}
