package dev.zerocopy.child;

import dev.zerocopy.ZeroCopy;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Run by {@code LoadingTest} in a fresh JVM: N threads race to the first use of the
 * library, each splicing a socket pair; or, with "report", prints why it is unavailable; or,
 * with "where", where it was loaded from and what failed before.
 */
public final class FreshJvmMain {
    private FreshJvmMain() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("where")) {
            System.out.println("available=" + ZeroCopy.isAvailable() + " " + ChildSupport.libraryReport()
                    + " cause=" + ZeroCopy.unavailabilityCause());
            return;
        }
        if (args[0].equals("report")) {
            System.out.println("available=" + ZeroCopy.isAvailable() + " cause=" + ZeroCopy.unavailabilityCause());
            try {
                ZeroCopy.splice(ZeroCopy.wrap(java.io.FileDescriptor.in), ZeroCopy.wrap(java.io.FileDescriptor.out), 1);
            } catch (UnsupportedOperationException expected) {
                System.out.println("call threw " + expected);
                return;
            }
            throw new AssertionError("a call succeeded without the library");
        }
        int threads = Integer.parseInt(args[0]);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Long>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            results.add(pool.submit(() -> {
                SocketChannel[] a = ChildSupport.socketPair();
                SocketChannel[] b = ChildSupport.socketPair();
                a[0].write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                start.await();
                long n = ZeroCopy.splice(a[1], b[0], 3);
                ByteBuffer got = ByteBuffer.allocate(3);
                while (got.hasRemaining()) {
                    b[1].read(got);
                }
                if (got.get(0) != 1 || got.get(2) != 3) {
                    throw new AssertionError("wrong bytes");
                }
                for (SocketChannel c : a) {
                    c.close();
                }
                for (SocketChannel c : b) {
                    c.close();
                }
                return n;
            }));
        }
        start.countDown();
        for (Future<Long> result : results) {
            if (result.get() != 3) {
                throw new AssertionError("moved " + result.get());
            }
        }
        pool.shutdown();
        System.out.println("spliced " + threads + " threads OK");
    }
}
