package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's fault EMFILE: {@link dev.zerocopy.child.EmfileFaultMain} runs in a child JVM with RLIMIT_NOFILE 256
 * (set by prlimit: ProcessBuilder cannot), takes every free descriptor, then calls what
 * needs new ones. Where NIO needs no descriptor (transferTo into a blocking socket,
 * transferFrom from a socket) zerocopy copies instead of failing; a relay copies through a
 * buffer; splice between two non-pipes and a new pipe fail with a clear IOException; map
 * needs none. The pool's count is not left holding pipes that were never created, and
 * once descriptors are freed everything works again in the same JVM.
 */
class EmfileFaultTest {
    @Test
    void outOfDescriptorsGivesClearErrorsOrNioLikeCopiesAndTheJvmRecovers() throws Exception {
        List<String> command = new ArrayList<>(List.of("prlimit", "--nofile=256:256", LoadingTest.java()));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of("-Xcheck:jni", "-cp", LoadingTest.jar() + File.pathSeparator + LoadingTest.testClasses(),
                "dev.zerocopy.child.EmfileFaultMain"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(0, process.exitValue(), out);
        assertTrue(out.contains("descriptors exhausted after "), out);
        assertFalse(out.contains("UNEXPECTED"), out);

        assertTrue(out.contains("full pipe: java.io.IOException Too many open files\n"), out);
        assertTrue(out.contains("full transferTo(blocking socket): ok moved 1048576\n"), out);
        assertTrue(out.contains("full splice(file -> socket): ErrnoException errno=24 pipe2(): EMFILE:"), out);
        assertTrue(out.contains("full relay: ok moved 4096, copyFallbacks 1\n"), out);
        assertTrue(out.contains("full transferFrom(socket): ok moved 4096\n"), out);
        assertTrue(out.contains("full map: ok mapped 1048576\n"), out);

        assertTrue(out.contains("freed pipe: ok capacity 65536\n"), out);
        assertTrue(out.contains("freed transferTo(blocking socket): ok moved 1048576\n"), out);
        assertTrue(out.contains("freed splice(file -> socket): ok moved 1048576\n"), out);
        assertTrue(out.contains("freed relay: ok moved 4096, copyFallbacks 1\n"), "the pipe path again: " + out);
        assertTrue(out.contains("freed transferFrom(socket): ok moved 4096\n"), out);
        assertTrue(out.contains("freed map: ok mapped 1048576\n"), out);

        assertEquals(2, out.split("pipesInUse=0\n", -1).length - 1, "no pipe counted in use after either round: " + out);
        assertTrue(out.endsWith("done\n"), out);
    }
}
