package dev.zerocopy.child;

import dev.zerocopy.KernelPipe;
import dev.zerocopy.MappedRegion;
import dev.zerocopy.ZeroCopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Future;

/**
 * A smoke run for a platform the build machine is not (tests/arch-smoke.sh runs it on an
 * arm64 JVM under qemu-user): loads the library from the jar and moves bytes through each
 * kernel path, checking every byte. Prints "smoke OK on linux-ARCH ..." and exits 0, or throws.
 */
public final class ArchSmokeMain {
    private ArchSmokeMain() {}

    private static final int SIZE = 10 << 20;

    public static void main(String[] args) throws Exception {
        String expected = args.length > 0 ? args[0] : ChildSupport.libraryPlatform();
        if (!ZeroCopy.isAvailable()) {
            throw new AssertionError("library unavailable", ZeroCopy.unavailabilityCause());
        }
        String report = ChildSupport.libraryReport();
        if (!report.startsWith("loaded from jar resource /META-INF/native/" + expected + "/")) {
            throw new AssertionError("expected the jar's " + expected + " library, got: " + report);
        }
        byte[] data = ChildSupport.randomBytes(SIZE, 17);
        Path dir = Files.createTempDirectory("zerocopy-smoke");
        Path file = dir.resolve("data.bin");
        Files.write(file, data);
        try {
            transferToSocket(file, data);
            spliceSocketToSocket(data);
            tee(data);
            mapAndClose(file, data);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
        ChildSupport.POOL.shutdownNow();
        System.out.println("smoke OK on " + expected + " (os.arch " + System.getProperty("os.arch") + ", "
                + Runtime.version() + "): transferTo file->socket, splice socket->socket, tee, map + close, "
                + SIZE + " bytes each");
    }

    private static void transferToSocket(Path file, byte[] data) throws Exception {
        SocketChannel[] pair = ChildSupport.socketPair();
        try (FileChannel src = FileChannel.open(file, StandardOpenOption.READ)) {
            Future<byte[]> received = readAll(pair[1], data.length);
            long sent = 0;
            while (sent < data.length) {
                sent += ZeroCopy.transferTo(src, sent, data.length - sent, pair[0]);
            }
            check("transferTo file->socket", data, received.get());
        } finally {
            close(pair);
        }
    }

    private static void spliceSocketToSocket(byte[] data) throws Exception {
        SocketChannel[] in = ChildSupport.socketPair();
        SocketChannel[] out = ChildSupport.socketPair();
        try {
            Future<?> writer = ChildSupport.POOL.submit(() -> {
                ByteBuffer all = ByteBuffer.wrap(data);
                while (all.hasRemaining()) {
                    in[0].write(all);
                }
                in[0].shutdownOutput();
                return null;
            });
            Future<byte[]> received = readAll(out[1], data.length);
            long moved = 0;
            long n;
            while ((n = ZeroCopy.splice(in[1], out[0], data.length)) > 0) {
                moved += n;
            }
            writer.get();
            if (moved != data.length) {
                throw new AssertionError("splice moved " + moved);
            }
            check("splice socket->socket", data, received.get());
        } finally {
            close(in);
            close(out);
        }
    }

    private static void tee(byte[] data) throws Exception {
        int chunk = 64 << 10;
        try (KernelPipe a = ZeroCopy.pipe(chunk); KernelPipe b = ZeroCopy.pipe(chunk)) {
            byte[] viaSource = new byte[data.length];
            byte[] viaCopy = new byte[data.length];
            for (int off = 0; off < data.length; off += chunk) {
                a.sink().write(ByteBuffer.wrap(data, off, chunk));
                long n = ZeroCopy.tee(a.source(), b.sink(), chunk);
                if (n != chunk) {
                    throw new AssertionError("tee duplicated " + n + " of " + chunk);
                }
                readFully(a.source(), ByteBuffer.wrap(viaSource, off, chunk));
                readFully(b.source(), ByteBuffer.wrap(viaCopy, off, chunk));
            }
            check("tee: the source pipe", data, viaSource);
            check("tee: the copy", data, viaCopy);
        }
    }

    private static void mapAndClose(Path file, byte[] data) throws Exception {
        ByteBuffer view;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedRegion region = ZeroCopy.map(ch, MapMode.READ_ONLY, 0, data.length);
            view = region.buffer();
            byte[] seen = new byte[data.length];
            view.duplicate().get(seen);
            check("map", data, seen);
            region.close();
        }
        if (view.limit() != 0) {
            throw new AssertionError("a buffer kept limit " + view.limit() + " after close");
        }
    }

    private static Future<byte[]> readAll(SocketChannel in, int size) {
        return ChildSupport.POOL.submit(() -> {
            byte[] got = new byte[size];
            readFully(in, ByteBuffer.wrap(got));
            return got;
        });
    }

    private static void readFully(java.nio.channels.ReadableByteChannel in, ByteBuffer into) throws IOException {
        while (into.hasRemaining()) {
            if (in.read(into) < 0) {
                throw new AssertionError("end of stream with " + into.remaining() + " bytes missing");
            }
        }
    }

    private static void check(String what, byte[] expected, byte[] actual) {
        if (!Arrays.equals(expected, actual)) {
            throw new AssertionError(what + ": the bytes differ");
        }
    }

    private static void close(SocketChannel[] pair) throws IOException {
        for (SocketChannel c : pair) {
            c.close();
        }
    }
}
