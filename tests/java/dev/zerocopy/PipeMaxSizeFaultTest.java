package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's fault "pipe-max-size exceeded". Root may raise a pipe past
 * /proc/sys/fs/pipe-max-size (CAP_SYS_RESOURCE), so {@link PipeMaxSizeFaultMain} runs as
 * nobody with no capabilities (setpriv), from a world-readable copy of the jar and classes.
 * ZeroCopy.pipe and setCapacity refuse with the documented IllegalArgumentException naming
 * the limit; Relay.configurePipes above it gives relays pipes capped at the limit, as its
 * javadoc says; nothing stays broken.
 */
class PipeMaxSizeFaultTest {
    @TempDir
    Path tmp;

    @Test
    void aboveThePipeMaxSizeIsRefusedClearlyAndRelaysUseTheLimit() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("world"));
        Path jar = root.resolve("zerocopy.jar");
        // The child needs package-private classes of the library (OwnedPipe), so it gets the
        // jar's entries without the manifest that seals the package.
        try (JarFile sealed = new JarFile(LoadingTest.jar());
                JarOutputStream unsealed = new JarOutputStream(Files.newOutputStream(jar))) {
            for (JarEntry entry : java.util.Collections.list(sealed.entries())) {
                if (!entry.getName().equals(JarFile.MANIFEST_NAME)) {
                    unsealed.putNextEntry(new JarEntry(entry.getName()));
                    sealed.getInputStream(entry).transferTo(unsealed);
                    unsealed.closeEntry();
                }
            }
        }
        Path classes = root.resolve("classes");
        Path from = Path.of(LoadingTest.testClasses());
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = classes.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        Path childTmp = Files.createDirectory(root.resolve("tmp"));
        List<String> command = new ArrayList<>(List.of("chmod", "-R", "a+rX", tmp.toString()));
        assertEquals(0, new ProcessBuilder(command).inheritIO().start().waitFor());
        assertEquals(0, new ProcessBuilder("chmod", "1777", childTmp.toString()).inheritIO().start().waitFor());

        command = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", LoadingTest.java()));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of("-Xcheck:jni", "-Djava.io.tmpdir=" + childTmp,
                "-cp", jar + File.pathSeparator + classes, "dev.zerocopy.PipeMaxSizeFaultMain"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.print(out);
        Assumptions.assumeFalse(out.contains("setpriv: "), "setpriv cannot drop to nobody here: " + out);
        assertEquals(0, process.exitValue(), out);
        long max = KernelPipe.pipeMaxSize();
        String refusal = "IllegalArgumentException pipe capacity " + 2 * max + " is above /proc/sys/fs/pipe-max-size ("
                + max + "); raising a pipe beyond it needs CAP_SYS_RESOURCE\n";
        assertTrue(out.contains("pipe(2*max): " + refusal), out);
        assertTrue(out.contains("pipe(max): capacity max\n"), out);
        assertTrue(out.contains("setCapacity(2*max): " + refusal), out);
        assertTrue(out.contains("after: capacity max\n"), "a refused setCapacity leaves the pipe as it was: " + out);
        assertTrue(out.contains("configurePipes(4, 2*max): pipeSize 2*max\n"), out);
        assertTrue(out.contains("relay: moved 4194304 correct true copyFallbacks 0\n"), out);
        assertTrue(out.contains("pool pipe capacity: max\n"), "relay pipes are capped at the limit: " + out);
        assertTrue(out.contains("done [" + max + "]"), out);
    }
}
