package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code java.io.tmpdir} on a noexec mount (hardened containers) the dynamic linker
 * refuses the extracted library ("failed to map segment from shared object"); the loader
 * then tries further directories and says which failed and why. Needs a real noexec tmpfs,
 * so it mounts one (root, or CAP_SYS_ADMIN) and is skipped, saying so, where it cannot.
 */
class NoexecLoadingTest {
    @TempDir
    Path tmp;

    private Path noexec;
    private boolean mounted;

    @BeforeEach
    void mountNoexecTmpfs() throws Exception {
        noexec = Files.createDirectory(tmp.resolve("noexec"));
        String output = run(List.of("mount", "-t", "tmpfs", "-o", "noexec,size=16m", "zerocopy-noexec-test",
                noexec.toString()), Env.KEEP);
        mounted = NativeLibrary.noexecMount(noexec) != null;
        assumeTrue(mounted, "cannot mount a noexec tmpfs here (needs root or CAP_SYS_ADMIN): " + output);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run(List.of("umount", noexec.toString()), Env.KEEP);
        }
    }

    /** No environment changes, or XDG_RUNTIME_DIR removed so the child tries fewer places. */
    enum Env {
        KEEP,
        WITHOUT_RUNTIME_DIR
    }

    private static String run(List<String> command, Env env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (env == Env.WITHOUT_RUNTIME_DIR) {
            builder.environment().remove("XDG_RUNTIME_DIR");
        }
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "did not finish: " + command);
        return process.exitValue() + ": " + new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private String child(String... properties) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(LoadingTest.java());
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of(properties));
        command.addAll(List.of("-cp", LoadingTest.jar() + File.pathSeparator + LoadingTest.testClasses(),
                "dev.zerocopy.child.FreshJvmMain", "where"));
        return run(command, Env.WITHOUT_RUNTIME_DIR);
    }

    @Test
    void noexecTmpdirIsSkippedWithItsReasonAndTheLibraryLoadsElsewhere() throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        String output = child("-Djava.io.tmpdir=" + noexec, "-Duser.home=" + home);
        assertTrue(output.startsWith("0: available=true"), output);
        assertTrue(output.contains("loaded from jar resource /META-INF/native/"), output);
        assertTrue(output.contains("extracted to " + home), output);
        assertTrue(output.contains("extracted to " + noexec + " (UnsatisfiedLinkError: "), output);
        assertTrue(output.contains("failed to map segment from shared object"), output);
        assertTrue(output.contains("[" + noexec.toRealPath() + " is mounted noexec]"), output);
        assertNothingLeftIn(noexec);
        assertNothingLeftIn(home);
    }

    @Test
    void workdirPropertyIsTriedFirst() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("work"));
        String output = child("-Djava.io.tmpdir=" + noexec, "-Dzerocopy.library.workdir=" + work);
        assertTrue(output.startsWith("0: available=true"), output);
        assertTrue(output.contains("extracted to " + work + "; tried before: []"), output);
        assertNothingLeftIn(work);
    }

    @Test
    void everyNoexecPlaceIsNamedWhenNoneWorks() throws Exception {
        // Every candidate on the noexec mount; /dev/shm, the last, is the machine's own: if it
        // is noexec too the library is unavailable and the cause lists each place.
        String output = child("-Dzerocopy.library.workdir=" + noexec, "-Djava.io.tmpdir=" + noexec.resolve("."),
                "-Duser.home=" + noexec.resolve("./."));
        assertTrue(output.contains("extracted to " + noexec + " (UnsatisfiedLinkError"), output);
        assertTrue(output.contains("extracted to " + noexec.resolve(".") + " (UnsatisfiedLinkError"), output);
        assertTrue(output.contains("extracted to " + noexec.resolve("./.") + " (UnsatisfiedLinkError"), output);
        if (NativeLibrary.noexecMount(Path.of("/dev/shm")) == null) {
            assertTrue(output.startsWith("0: available=true"), output);
            assertTrue(output.contains("loaded from jar resource /META-INF/native/") && output.contains(
                    "extracted to /dev/shm; tried before"), output);
        } else {
            assertTrue(output.startsWith("0: available=false"), output);
            assertTrue(output.contains("extracted to /dev/shm (UnsatisfiedLinkError"), output);
        }
        assertNothingLeftIn(noexec);
    }

    private static void assertNothingLeftIn(Path dir) throws IOException {
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "an extracted library was left in " + dir);
        }
    }
}
