package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI's runs of {@link Torture}: 8 threads, 60 s (-Dzerocopy.torture.seconds), a seed
 * printed for replay (-Dzerocopy.torture.seed); once with the workers on platform threads
 * and, on JDK 21+, once on virtual threads (whose waits park through the library's poller).
 */
class TortureTest {
    @TempDir
    Path dir;

    @Test
    void randomOperationsUnderClosesAndInterruptsMoveOnlyCorrectBytesAndLeakNothing() throws Exception {
        run(false);
    }

    @Test
    void theSameOnVirtualThreads() throws Exception {
        VirtualThreads.assumeAvailable();
        run(true);
    }

    private void run(boolean virtual) throws Exception {
        long seed = Long.getLong("zerocopy.torture.seed", System.nanoTime());
        int threads = Integer.getInteger("zerocopy.torture.threads", 8);
        long seconds = Long.getLong("zerocopy.torture.seconds", 60);
        List<String> failures = new Torture(seed, threads, seconds * 1000, dir, virtual).run();
        assertTrue(failures.isEmpty(), "seed " + seed + ": " + failures.size() + " failures:\n"
                + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    }
}
