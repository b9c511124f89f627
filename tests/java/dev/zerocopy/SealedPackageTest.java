package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: package dev.zerocopy is sealed in the jar, so a class declared in it by another
 * class-path entry (here: this test suite's own classes) cannot join it and reach Native,
 * whichever of the two loads first.
 */
class SealedPackageTest {
    @Test
    void theJarSealsPackageDevZerocopy() throws Exception {
        try (JarFile jar = new JarFile(LoadingTest.jar())) {
            Attributes section = jar.getManifest().getAttributes("dev/zerocopy/");
            assertTrue(section != null, "no manifest section for dev/zerocopy/");
            assertEquals("true", section.getValue(Attributes.Name.SEALED));
        }
    }

    @Test
    void aClassOfThePackageFromAnotherEntryFailsToLoadAfterTheLibrary() throws Exception {
        String output = probe("library-first");
        assertTrue(output.contains("library available=true"), output);
        assertTrue(output.contains("refused: java.lang.SecurityException: sealing violation"), output);
        assertFalse(output.contains("intruder loaded"), output);
    }

    @Test
    void theLibraryFailsToLoadAfterAnIntruderDeclaredItsPackage() throws Exception {
        String output = probe("intruder-first");
        assertTrue(output.contains("intruder loaded"), output);
        assertTrue(output.contains("refused: java.lang.SecurityException: sealing violation"), output);
        assertFalse(output.contains("library available"), output);
    }

    /** Second line behind the seal: natives taking raw addresses refuse any the library did not map. */
    @Test
    void addressNativesRefuseMemoryTheLibraryDoesNotOwn() throws Exception {
        long heapish = Native.address0(java.nio.ByteBuffer.allocateDirect(64));
        assertThrows(IllegalArgumentException.class, () -> Native.newBuffer0(heapish, 64));
        assertThrows(IllegalArgumentException.class, () -> Native.newBuffer0(8, 8));
        assertThrows(IllegalArgumentException.class, () -> Native.unmap0(1L << 40, 4096));
        assertThrows(IllegalArgumentException.class, () -> Native.placeholder0(1L << 40, 4096, true));
        assertThrows(IllegalArgumentException.class, () -> Native.force0(heapish, 64));
        assertThrows(IllegalArgumentException.class, () -> Native.writeFrom0(1, heapish, 64, false));
        java.nio.file.Path file = java.nio.file.Files.createTempFile("sealed", ".bin");
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
                MappedRegion region = ZeroCopy.map(channel, java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, 8192)) {
            region.buffer().put(0, (byte) 1);
            assertThrows(IllegalArgumentException.class, () -> Native.newBuffer0(region.address() + 4096, 8192),
                    "a range that runs past the mapping");
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    private static String probe(String order) throws Exception {
        Object[] result = LoadingTest.runJava(List.of(), LoadingTest.jar() + File.pathSeparator + LoadingTest.testClasses(),
                "dev.zerocopy.child.SealProbe", order);
        assertEquals(0, result[0], (String) result[1]);
        return (String) result[1];
    }
}
