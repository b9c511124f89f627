package dev.zerocopy;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@code PipeMaxSizeFaultTest} as a user without CAP_SYS_RESOURCE: asks for pipes
 * above /proc/sys/fs/pipe-max-size and prints what happened, then shows pipes and relays
 * still work.
 */
public final class PipeMaxSizeFaultMain {
    private PipeMaxSizeFaultMain() {}

    public static void main(String[] args) throws Exception {
        int max = (int) KernelPipe.pipeMaxSize();
        int tooBig = max * 2;
        try {
            ZeroCopy.pipe(tooBig).close();
            System.out.println("pipe(2*max): no exception");
        } catch (IllegalArgumentException e) {
            System.out.println("pipe(2*max): IllegalArgumentException " + e.getMessage());
        }
        try (KernelPipe pipe = ZeroCopy.pipe(max)) {
            System.out.println("pipe(max): capacity " + (pipe.capacity() == max ? "max" : pipe.capacity()));
            try {
                pipe.setCapacity(tooBig);
                System.out.println("setCapacity(2*max): no exception");
            } catch (IllegalArgumentException e) {
                System.out.println("setCapacity(2*max): IllegalArgumentException " + e.getMessage());
            }
            System.out.println("after: capacity " + (pipe.capacity() == max ? "max" : pipe.capacity()));
        }
        Relay.configurePipes(4, tooBig);
        System.out.println("configurePipes(4, 2*max): pipeSize " + (Relay.pipeSize() == tooBig ? "2*max" : "other"));
        byte[] data = TestSupport.randomBytes(4 << 20, 7);
        SocketChannel[] from = TestSupport.socketPair();
        SocketChannel[] to = TestSupport.socketPair();
        try (Relay relay = ZeroCopy.relay(from[1], to[0])) {
            TestSupport.feed(from[0], data);
            Future<TestSupport.Drained> drained = TestSupport.drain(to[1]);
            long moved = 0;
            while (!relay.isDone()) {
                moved += Math.max(0, relay.transfer());
            }
            TestSupport.Drained got = drained.get(30, TimeUnit.SECONDS);
            System.out.println("relay: moved " + moved + " correct " + got.sha256.equals(TestSupport.sha256(data))
                    + " copyFallbacks " + Relay.copyFallbacks());
        }
        OwnedPipe pooled = OwnedPipe.acquire();
        System.out.println("pool pipe capacity: " + (pooled.capacity == max ? "max" : String.valueOf(pooled.capacity)));
        pooled.release();
        System.out.println("done " + Arrays.asList(max));
    }
}
