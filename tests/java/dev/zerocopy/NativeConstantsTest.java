package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The numbers Java and Rust share have one source (the native constant table): these
 * tests fail when the two sides name different things.
 */
class NativeConstantsTest {
    @TempDir
    Path dir;

    @Test
    void everyReasonJavaKnowsHasANativeCodeAndTheNativeSideHasNoOthers() {
        Set<Integer> codes = new HashSet<>();
        for (ErrnoException.Reason reason : ErrnoException.Reason.values()) {
            assertTrue(codes.add(reason.code), "duplicate code for " + reason);
            assertEquals(reason, ErrnoException.Reason.of(reason.code));
        }
        assertEquals(Native.constant0("REASON_COUNT"), ErrnoException.Reason.values().length);
    }

    @Test
    void nativeConstantsAreReadAtClassLoadAndUnknownNamesAreRefused() {
        assertEquals(-2, Native.WOULD_BLOCK, "byte counts are never negative; the sentinel is");
        assertEquals(Native.constant0("READABLE"), Native.READABLE);
        assertEquals(Native.constant0("MAX_IOVECS"), Native.MAX_IOVECS);
        assertThrows(IllegalArgumentException.class, () -> Native.constant0("NO_SUCH_CONSTANT"));
    }

    @Test
    void describedKindsAndHoldersAreTheNativeOnes() throws IOException {
        Path file = Files.write(dir.resolve("f"), new byte[] {1});
        // Two channels: JDK 17 refuses READ + APPEND in one FileChannel.open.
        try (FileChannel reading = FileChannel.open(file, StandardOpenOption.READ);
                FileChannel appending = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            Endpoint read = Endpoint.resolve(reading);
            assertEquals(Native.KIND_FILE, read.kind);
            assertTrue(read.canRead(), "read access seen through the shared CAN_READ bit");
            assertFalse(read.isAppending(), "no append without O_APPEND");
            Endpoint append = Endpoint.resolve(appending);
            assertEquals(Native.KIND_FILE, append.kind);
            assertFalse(append.canRead(), "a write-only descriptor is not readable");
            assertTrue(append.isAppending(), "append seen through the shared APPENDING bit");
        }
    }

    @Test
    void errnoExceptionsCarryTheReasonTheNativeTableChose() throws IOException {
        Path file = Files.write(dir.resolve("g"), new byte[4096]);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // copy_file_range within one file over overlapping ranges: EINVAL.
            ErrnoException e = assertThrows(ErrnoException.class, () -> ZeroCopy.copyFileRange(ch, 0, ch, 1, 100));
            assertEquals(22, e.errno());
            assertEquals(ErrnoException.Reason.INVALID, e.reason());
            assertTrue(e.refused());
        }
    }
}
