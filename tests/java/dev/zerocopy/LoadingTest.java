package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library loads from the jar alone, once, and says what it tried when it cannot. */
class LoadingTest {
    @TempDir
    Path tmp;

    static String jar() {
        String jar = System.getProperty("zerocopy.test.jar");
        assertTrue(jar != null && new File(jar).isFile(), "-Dzerocopy.test.jar must name the built jar: " + jar);
        return jar;
    }

    static String java() {
        String java = System.getProperty("zerocopy.test.java");
        return java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Runs {@code main} in a fresh JVM; returns [exit code, output]. */
    static Object[] runJava(List<String> jvmArgs, String classPath, String main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(java());
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(classPath);
        command.add(main);
        command.addAll(Arrays.asList(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Object[] {process.exitValue(), output};
    }

    static String testClasses() {
        return Path.of(dev.zerocopy.child.FreshJvmMain.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    }

    @Test
    void jarCarriesTheLibraryAndTheNativeAccessManifestEntry() throws IOException {
        try (JarFile jar = new JarFile(jar())) {
            JarEntry entry = jar.getJarEntry("META-INF/native/linux-x86_64/libzerocopy_jni.so");
            assertTrue(entry != null && entry.getSize() > 0, "the .so is missing from the jar");
            assertEquals("ALL-UNNAMED", jar.getManifest().getMainAttributes().getValue("Enable-Native-Access"));
        }
    }

    @Test
    void libraryIsAvailableInThisJvm() {
        assertTrue(ZeroCopy.isAvailable(), () -> String.valueOf(ZeroCopy.unavailabilityCause()));
        assertNull(ZeroCopy.unavailabilityCause());
    }

    @Test
    void freshJvmWithOnlyTheJarSplicesAndLeavesNoTempFiles() throws Exception {
        Path privateTmp = Files.createDirectory(tmp.resolve("child-tmp"));
        Object[] result = runJava(List.of("-Xcheck:jni", "-Djava.io.tmpdir=" + privateTmp),
                jar() + File.pathSeparator + testClasses(), "dev.zerocopy.child.FreshJvmMain", "16");
        assertEquals(0, result[0], (String) result[1]);
        assertTrue(((String) result[1]).contains("spliced 16 threads OK"), (String) result[1]);
        try (var left = Files.list(privateTmp)) {
            assertEquals(0, left.count(), "the extracted library was not cleaned up");
        }
    }

    @Test
    void failureSaysWhatWasTried() throws Exception {
        // The classes without the .so: the jar resource is missing and the property is wrong.
        Path classes = Files.createDirectory(tmp.resolve("classes"));
        try (JarFile jar = new JarFile(jar())) {
            for (JarEntry entry : java.util.Collections.list(jar.entries())) {
                if (entry.getName().endsWith(".class")) {
                    Path target = classes.resolve(entry.getName());
                    Files.createDirectories(target.getParent());
                    Files.copy(jar.getInputStream(entry), target);
                }
            }
        }
        Object[] result = runJava(List.of("-Dzerocopy.library.path=" + tmp.resolve("nowhere.so")),
                classes + File.pathSeparator + testClasses(), "dev.zerocopy.child.FreshJvmMain", "report");
        String output = (String) result[1];
        assertEquals(0, result[0], output);
        assertTrue(output.contains("available=false"), output);
        assertTrue(output.contains("-Dzerocopy.library.path="), output);
        assertTrue(output.contains("jar resource /META-INF/native/linux-x86_64/libzerocopy_jni.so"), output);
        assertTrue(output.contains("java.library.path="), output);
        assertTrue(output.contains("UnsupportedOperationException"), output);
    }

    @Test
    void otherSystemsAreUnavailableWithAReasonAndCallsThrowUnsupported() throws Exception {
        Object[] result = runJava(List.of("-Dos.name=Windows 11"),
                jar() + File.pathSeparator + testClasses(), "dev.zerocopy.child.FreshJvmMain", "report");
        String output = (String) result[1];
        assertEquals(0, result[0], output);
        assertTrue(output.contains("available=false"), output);
        assertTrue(output.contains("zerocopy needs Linux; this is Windows 11"), output);
        assertTrue(output.contains("call threw java.lang.UnsupportedOperationException"), output);
    }

    @Test
    void explicitLibraryPathIsUsedFirst() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("lib"));
        try (JarFile jar = new JarFile(jar())) {
            Files.copy(jar.getInputStream(jar.getJarEntry("META-INF/native/linux-x86_64/libzerocopy_jni.so")),
                    dir.resolve("libzerocopy_jni.so"));
        }
        Object[] result = runJava(List.of("-Dzerocopy.library.path=" + dir),
                jar() + File.pathSeparator + testClasses(), "dev.zerocopy.child.FreshJvmMain", "1");
        assertEquals(0, result[0], (String) result[1]);
    }
}
