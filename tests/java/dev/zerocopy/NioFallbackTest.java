package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the native library cannot load, transferTo, transferFrom and map are java.nio's:
 * a child JVM with {@code -Dzerocopy.library.disable=true} runs each case through NIO and
 * through ZeroCopy and compares results, exceptions, positions and bytes
 * ({@link dev.zerocopy.child.NioFallbackMain}); calls NIO lacks still throw UnsupportedOperationException.
 */
class NioFallbackTest {
    @TempDir
    Path tmp;

    @Test
    void mirrorCallsBehaveAsNioWithoutTheNativeLibrary() throws Exception {
        Object[] result = LoadingTest.runJava(List.of("-Xcheck:jni", "-Dzerocopy.library.disable=true"),
                LoadingTest.jar() + File.pathSeparator + LoadingTest.testClasses(), "dev.zerocopy.child.NioFallbackMain",
                tmp.toString());
        String output = (String) result[1];
        assertEquals(0, result[0], output);
        assertTrue(output.contains("available=false cause=java.lang.UnsupportedOperationException: the native "
                + "library is disabled by -Dzerocopy.library.disable=true"), output);
        assertTrue(output.matches("(?s).*\n[1-9][0-9]* cases, 0 differed\n.*"), output);
    }
}
