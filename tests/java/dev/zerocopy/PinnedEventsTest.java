package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relay run on virtual threads records no {@code jdk.VirtualThreadPinned} event (JFR's
 * default threshold, 20 ms): no wait of the library happens while a monitor is held (which
 * pins on JDK 21-23). A native poll never shows up as such an event (it blocks without
 * parking), which is why {@link VirtualThreadWaitTest} probes the carriers directly.
 */
class PinnedEventsTest {
    private static final String PINNED = "jdk.VirtualThreadPinned";
    private static final int CONNECTIONS = 32;
    private static final int BYTES = 4 << 20;

    @TempDir
    Path dir;

    private List<RecordedEvent> record(Runnable work) throws Exception {
        Path file = dir.resolve("pinned-" + System.nanoTime() + ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable(PINNED).withThreshold(Duration.ofMillis(20)).withStackTrace();
            recording.start();
            work.run();
            recording.stop();
            recording.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(PINNED))
                .collect(Collectors.toList());
    }

    /** JDK 21-23 pin a virtual thread that parks holding a monitor: proves the recording sees pins. */
    private static final Object MONITOR = new Object();

    @Test
    void recordingSeesAPinWhereTheJdkPins() throws Exception {
        VirtualThreads.assumeAvailable();
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() < 24,
                "JDK 24+ (JEP 491) no longer pins a virtual thread that parks inside synchronized");
        List<RecordedEvent> events = record(() -> {
            try {
                VirtualThreads.call(() -> {
                    synchronized (MONITOR) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    }
                    return null;
                }).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(!events.isEmpty(), "a park inside synchronized on JDK " + Runtime.version().feature()
                + " should be recorded as " + PINNED);
    }

    @Test
    void relaysOnVirtualThreadsNeverPin() throws Exception {
        VirtualThreads.assumeAvailable();
        byte[] data = TestSupport.randomBytes(BYTES, 9);
        List<RecordedEvent> events = record(() -> {
            try {
                runRelays(data);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        System.out.println("pinned: " + events.size() + " jdk.VirtualThreadPinned events during " + CONNECTIONS
                + " relayed connections on virtual threads (JDK " + Runtime.version().feature() + ")");
        assertEquals(0, events.size(), "pinned virtual threads during a relay run: " + events);
    }

    /** Proxied connections c <-> [relay both ways] <-> s on virtual threads, with idle waits first. */
    private static void runRelays(byte[] data) throws Exception {
        List<SocketChannel> all = new ArrayList<>();
        List<CompletableFuture<?>> work = new ArrayList<>();
        List<CompletableFuture<byte[]>> received = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                SocketChannel[] front = TestSupport.socketPair();
                SocketChannel[] back = TestSupport.socketPair();
                all.addAll(List.of(front[0], front[1], back[0], back[1]));
                Relay up = ZeroCopy.relay(front[1], back[0]);
                Relay down = ZeroCopy.relay(back[0], front[1]);
                for (Relay relay : new Relay[] {up, down}) {
                    work.add(VirtualThreads.call(() -> {
                        try (Relay r = relay) {
                            while (!r.isDone()) {
                                r.transfer();
                            }
                        }
                        return null;
                    }));
                }
                SocketChannel client = front[0];
                SocketChannel server = back[1];
                received.add(VirtualThreads.call(() -> {
                    ByteBuffer got = ByteBuffer.allocate(BYTES);
                    while (got.hasRemaining() && server.read(got) >= 0) {
                        // the relay delivers in pieces
                    }
                    server.shutdownOutput();
                    return got.array();
                }));
            }
            Thread.sleep(200);  // every relay waits, parked, for its first byte
            for (SocketChannel c : all) {
                if (all.indexOf(c) % 4 == 0) {
                    SocketChannel client = c;
                    work.add(VirtualThreads.call(() -> {
                        ByteBuffer out = ByteBuffer.wrap(data);
                        while (out.hasRemaining()) {
                            client.write(out);
                        }
                        client.shutdownOutput();
                        return null;
                    }));
                }
            }
            for (CompletableFuture<byte[]> r : received) {
                assertArrayEquals(data, r.get(60, TimeUnit.SECONDS));
            }
            for (CompletableFuture<?> w : work) {
                w.get(60, TimeUnit.SECONDS);
            }
        } finally {
            for (SocketChannel c : all) {
                c.close();
            }
        }
    }
}
