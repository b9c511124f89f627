package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** KernelPipe: the JDK's own pipe with a capacity, FIONREAD, and Selector support. */
class KernelPipeTest {
    /** True when this process may raise pipes above pipe-max-size (CAP_SYS_RESOURCE, bit 24). */
    static boolean canExceedPipeMaxSize() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 24)) != 0;
            }
        }
        return false;
    }

    @Test
    void pipeHasTheRequestedCapacityRoundedToPagesAndItCanChange() throws Exception {
        try (KernelPipe pipe = ZeroCopy.pipe(256 * 1024)) {
            assertEquals(256 * 1024, pipe.capacity());
            assertEquals(131072, pipe.setCapacity(100_000), "rounded up to a power-of-two number of pages");
            assertEquals(131072, pipe.capacity());
            assertEquals(1 << 20, pipe.setCapacity(1 << 20));
        }
    }

    @Test
    void endsAreTheJdksChannelsAndRegisterWithASelector() throws Exception {
        try (KernelPipe pipe = ZeroCopy.pipe(1 << 20); Selector selector = Selector.open()) {
            pipe.source().configureBlocking(false);
            pipe.source().register(selector, SelectionKey.OP_READ);
            assertEquals(0, selector.selectNow());
            assertEquals(0, pipe.available());
            pipe.sink().write(ByteBuffer.wrap(new byte[300_000]));
            assertEquals(300_000, pipe.available(), "a pipe larger than the default holds it all");
            assertEquals(1, selector.select(1000));
            assertEquals("sun.nio.ch.SourceChannelImpl", pipe.source().getClass().getName());
        }
    }

    @Test
    void adoptingAJdkPipeKeepsItsCapacityAndCloseClosesBothEndsOnce() throws Exception {
        Pipe jdk = Pipe.open();
        KernelPipe pipe = ZeroCopy.pipe(jdk);
        assertEquals(65536, pipe.capacity());
        assertTrue(pipe.isOpen());
        pipe.close();
        pipe.close();
        assertFalse(jdk.source().isOpen());
        assertFalse(jdk.sink().isOpen());
        assertThrows(ClosedChannelException.class, pipe::capacity);
        assertThrows(ClosedChannelException.class, pipe::available);
        assertThrows(ClosedChannelException.class, () -> pipe.setCapacity(1 << 20));
    }

    @Test
    void capacityZeroOrNegativeIsRejectedAndLeaksNothing() throws Exception {
        int before = TestSupport.openDescriptors();
        for (int bad : new int[] {0, -1, Integer.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZeroCopy.pipe(bad));
            assertTrue(e.getMessage().contains("positive"), e.getMessage());
        }
        try (KernelPipe pipe = ZeroCopy.pipe(65536)) {
            assertThrows(IllegalArgumentException.class, () -> pipe.setCapacity(0));
            assertEquals(65536, pipe.capacity());
        }
        assertEquals(before, TestSupport.openDescriptors());
        assertThrows(NullPointerException.class, () -> ZeroCopy.pipe((Pipe) null));
    }

    @Test
    void capacityAbovePipeMaxSizeNamesTheLimitAndLeaksNothing() throws Exception {
        assumeFalse(canExceedPipeMaxSize(), "this process has CAP_SYS_RESOURCE: the kernel allows any size");
        long max = KernelPipe.pipeMaxSize();
        int before = TestSupport.openDescriptors();
        for (long bad : new long[] {max * 2, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZeroCopy.pipe((int) bad));
            assertTrue(e.getMessage().contains("/proc/sys/fs/pipe-max-size (" + max + ")"), e.getMessage());
        }
        try (KernelPipe pipe = ZeroCopy.pipe(65536)) {
            assertThrows(IllegalArgumentException.class, () -> pipe.setCapacity((int) max * 2));
            assertEquals(65536, pipe.capacity(), "unchanged after the refusal");
        }
        assertEquals(before, TestSupport.openDescriptors());
    }

    @Test
    void shrinkingBelowWhatThePipeHoldsIsABusyError() throws Exception {
        try (KernelPipe pipe = ZeroCopy.pipe(1 << 20)) {
            pipe.sink().write(ByteBuffer.wrap(new byte[200_000]));
            IOException e = assertThrows(IOException.class, () -> pipe.setCapacity(4096));
            assertTrue(e.getMessage().contains("holds more than"), e.getMessage());
            assertEquals(200_000, pipe.available());
        }
    }
}
