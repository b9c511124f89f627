package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The jar works from the module path as the automatic module dev.zerocopy, as modular applications use it. */
class ModulePathTest {
    private static final int JDK = Runtime.version().feature();

    /** Runs ModulePathMain with the jar as module dev.zerocopy; returns [exit code, output]. */
    private static Object[] runOnModulePath(String nativeAccess) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(LoadingTest.java(), "-Xcheck:jni"));
        if (nativeAccess != null) {
            command.add("--enable-native-access=" + nativeAccess);
        }
        command.addAll(List.of("--module-path", LoadingTest.jar(), "--add-modules", "dev.zerocopy",
                "-cp", LoadingTest.testClasses(), "dev.zerocopy.modulepath.ModulePathMain"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Object[] {process.exitValue(), output};
    }

    @Test
    void manifestNamesTheModule() throws IOException {
        try (JarFile jar = new JarFile(LoadingTest.jar())) {
            assertEquals("dev.zerocopy", jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
        }
    }

    @Test
    void transfersFromTheModulePath() throws Exception {
        // JDK 22+ take --enable-native-access with the module's name; JDK 11 refuses the option.
        Object[] result = runOnModulePath(JDK >= 22 ? "dev.zerocopy" : null);
        String output = (String) result[1];
        assertEquals(0, result[0], output);
        assertTrue(output.contains("module dev.zerocopy: 2097152 bytes intact"), output);
        assertFalse(output.contains("WARNING"), output);
    }

    @Test
    void nativeAccessForTheUnnamedModuleDoesNotCoverIt() throws Exception {
        // The control for the test above: JDK 24+ warn when a named module without native
        // access loads a library, so the module name in the flag is what silenced them.
        Assumptions.assumeTrue(JDK >= 24, "JDK " + JDK + " does not warn about JNI loading");
        Object[] result = runOnModulePath("ALL-UNNAMED");
        String output = (String) result[1];
        assertEquals(0, result[0], output);
        assertTrue(output.contains("WARNING: A restricted method") && output.contains("dev.zerocopy"), output);
    }
}
