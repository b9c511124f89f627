package dev.zerocopy.child;

import dev.zerocopy.ErrnoException;
import dev.zerocopy.KernelPipe;
import dev.zerocopy.MappedRegion;
import dev.zerocopy.Relay;
import dev.zerocopy.SpliceFlag;
import dev.zerocopy.ZeroCopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@code EmfileFaultTest} in a JVM with a low RLIMIT_NOFILE: takes every free
 * descriptor, then calls what needs new ones; prints one line per operation, then frees some
 * descriptors and calls the same again. Exits 0 unless something unexpected was thrown.
 */
public final class EmfileFaultMain {
    private static final int SIZE = 1 << 20;

    private EmfileFaultMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("emfile");
        byte[] data = ChildSupport.randomBytes(SIZE, 24);
        Path file = dir.resolve("data");
        Files.write(file, data);
        // Everything each operation needs that is not the point of the test, opened first.
        ZeroCopy.pipe(4096).close();
        Relay.closeIdlePipes();
        SocketChannel[] sendPair = ChildSupport.socketPair();
        SocketChannel[] relayIn = ChildSupport.socketPair();
        SocketChannel[] relayOut = ChildSupport.socketPair();
        SocketChannel[] fromPair = ChildSupport.socketPair();
        FileChannel src = FileChannel.open(file);
        FileChannel dst = FileChannel.open(dir.resolve("copy"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        Thread drainer = new Thread(() -> drain(sendPair[1]));
        drainer.setDaemon(true);
        drainer.start();
        Thread relayDrainer = new Thread(() -> drain(relayOut[1]));
        relayDrainer.setDaemon(true);
        relayDrainer.start();

        // Once with descriptors to spare: loads every class involved (loading needs descriptors).
        round("warm", src, dst, data, sendPair[0], relayIn, relayOut, fromPair);
        Relay.closeIdlePipes();
        List<FileChannel> hogs = new ArrayList<>();
        try {
            for (;;) {
                hogs.add(FileChannel.open(file));
            }
        } catch (IOException e) {
            System.out.println("descriptors exhausted after " + hogs.size() + ": " + e.getMessage());
        }
        round("full", src, dst, data, sendPair[0], relayIn, relayOut, fromPair);
        System.out.println("pipesInUse=" + Relay.pipesInUse());
        for (int i = 0; i < 16; i++) {
            hogs.remove(hogs.size() - 1).close();
        }
        round("freed", src, dst, data, sendPair[0], relayIn, relayOut, fromPair);
        System.out.println("pipesInUse=" + Relay.pipesInUse());
        for (FileChannel hog : hogs) {
            hog.close();
        }
        System.out.println("done");
    }

    private static void round(String label, FileChannel src, FileChannel dst, byte[] data, SocketChannel out,
            SocketChannel[] relayIn, SocketChannel[] relayOut, SocketChannel[] fromPair) {
        report(label, "pipe", () -> {
            try (KernelPipe pipe = ZeroCopy.pipe(1 << 16)) {
                return "capacity " + pipe.capacity();
            }
        });
        report(label, "transferTo(blocking socket)", () -> "moved " + ZeroCopy.transferTo(src, 0, SIZE, out));
        report(label, "splice(file -> socket)", () -> "moved " + ZeroCopy.splice(src, 0, out, -1, SIZE));
        report(label, "relay", () -> {
            relayIn[0].write(ByteBuffer.wrap(data, 0, 4096));
            Relay relay = ZeroCopy.relay(relayIn[1], relayOut[0]);
            try {
                return "moved " + relay.transfer() + ", copyFallbacks " + Relay.copyFallbacks();
            } finally {
                relay.close();
            }
        });
        report(label, "transferFrom(socket)", () -> {
            Future<Void> fed = ChildSupport.async(() -> {
                fromPair[0].write(ByteBuffer.wrap(data, 0, 4096));
                return null;
            });
            fed.get(10, TimeUnit.SECONDS);
            return "moved " + ZeroCopy.transferFrom(fromPair[1], dst, 0, 4096);
        });
        report(label, "map", () -> {
            try (MappedRegion region = ZeroCopy.map(src, FileChannel.MapMode.READ_ONLY, 0, SIZE)) {
                return "mapped " + region.size();
            }
        });
    }

    interface Op {
        String run() throws Exception;
    }

    private static void report(String label, String name, Op op) {
        String result;
        try {
            result = "ok " + op.run();
        } catch (ErrnoException e) {
            result = "ErrnoException errno=" + e.errno() + " " + e.getMessage();
        } catch (IOException e) {
            result = e.getClass().getName() + " " + e.getMessage();
        } catch (Throwable e) {
            result = "UNEXPECTED " + e;
            e.printStackTrace(System.out);
        }
        System.out.println(label + " " + name + ": " + result);
    }

    private static void drain(SocketChannel in) {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        try {
            while (in.read(buffer.clear()) >= 0) {
                // discard
            }
        } catch (IOException e) {
            // the JVM is exiting
        }
    }
}
