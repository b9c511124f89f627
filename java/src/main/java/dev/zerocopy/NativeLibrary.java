package dev.zerocopy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Loads {@code libzerocopy_jni.so} once per class loader, trying in order:
 * {@code -Dzerocopy.library.path} (the file, or a directory holding it), the copy inside
 * the jar ({@code META-INF/native/<os>-<arch>/}, extracted to a private directory and
 * deleted again once loaded), then {@code java.library.path}.
 *
 * <p>The jar's copy is extracted to the first directory where it loads, of: {@code
 * -Dzerocopy.library.workdir}, {@code java.io.tmpdir}, {@code $XDG_RUNTIME_DIR},
 * {@code user.home}, {@code /dev/shm}. Hardened hosts mount {@code /tmp} noexec, where
 * the dynamic linker refuses to map the file ("failed to map segment from shared
 * object"); Netty's loader has the same work-dir property for the same reason.
 * {@code -Dzerocopy.library.disable=true} skips loading, so the NIO fallback can be tried
 * on any machine.
 */
final class NativeLibrary {
    static final String NAME = "zerocopy_jni";
    static final String FILE_NAME = "lib" + NAME + ".so";
    static final String PATH_PROPERTY = "zerocopy.library.path";
    static final String WORKDIR_PROPERTY = "zerocopy.library.workdir";
    static final String DISABLE_PROPERTY = "zerocopy.library.disable";

    /** Each place that was tried and failed, with why, in order. */
    private static final List<String> TRIED = new ArrayList<>();
    /** Where the library was loaded from; null when it was not. */
    private static String loadedFrom;
    /** Null when loaded; otherwise why not, saying what was tried. */
    private static final Throwable FAILURE = load();

    private NativeLibrary() {}

    static boolean isAvailable() {
        return FAILURE == null;
    }

    static Throwable failure() {
        return FAILURE;
    }

    /** Throws the reason the library is unusable; class initialisation makes it run once. */
    static void ensureAvailable() {
        if (FAILURE != null) {
            throw new UnsupportedOperationException(
                    "zerocopy is unavailable: " + FAILURE.getMessage(), FAILURE);
        }
    }

    /** For tests and diagnostics: where the library came from and what failed before. */
    static String report() {
        return "loaded from " + loadedFrom + "; tried before: " + TRIED;
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            return null;
        }
        switch (arch) {
            case "amd64":
            case "x86_64":
                return "linux-x86_64";
            case "aarch64":
            case "arm64":
                return "linux-aarch64";
            default:
                return "linux-" + arch;
        }
    }

    private static Throwable load() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return new UnsupportedOperationException("the native library is disabled by -D"
                    + DISABLE_PROPERTY + "=true");
        }
        String platform = platform();
        if (platform == null) {
            return new UnsupportedOperationException(
                    "zerocopy needs Linux; this is " + System.getProperty("os.name"));
        }
        List<String> tried = TRIED;
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.isEmpty()) {
            File given = new File(explicit);
            File file = given.isDirectory() ? new File(given, FILE_NAME) : given;
            if (attempt(() -> System.load(file.getAbsolutePath()), "-D" + PATH_PROPERTY + "=" + file, tried)) {
                return null;
            }
        }
        String resource = "/META-INF/native/" + platform + "/" + FILE_NAME;
        if (NativeLibrary.class.getResource(resource) == null) {
            tried.add("jar resource " + resource + " (IOException: not on the class path)");
        } else {
            for (String dir : extractionDirectories()) {
                if (attempt(() -> loadFromJar(resource, Paths.get(dir)), "jar resource " + resource
                        + " extracted to " + dir, tried)) {
                    return null;
                }
            }
        }
        if (attempt(() -> System.loadLibrary(NAME), "java.library.path="
                + System.getProperty("java.library.path"), tried)) {
            return null;
        }
        return new UnsatisfiedLinkError("could not load " + FILE_NAME + "; tried: " + String.join("; ", tried));
    }

    /** Where the jar's copy may be extracted, in order, without repeats. */
    private static Set<String> extractionDirectories() {
        Set<String> dirs = new LinkedHashSet<>();
        String workdir = System.getProperty(WORKDIR_PROPERTY);
        if (workdir != null && !workdir.isEmpty()) {
            dirs.add(workdir);
        }
        dirs.add(System.getProperty("java.io.tmpdir"));
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) {
            dirs.add(runtime);
        }
        dirs.add(System.getProperty("user.home"));
        dirs.add("/dev/shm");
        dirs.remove(null);
        return dirs;
    }

    private interface Loader {
        void load() throws Exception;
    }

    private static boolean attempt(Loader loader, String what, List<String> tried) {
        try {
            loader.load();
            loadedFrom = what;
            return true;
        } catch (Exception | UnsatisfiedLinkError e) {
            tried.add(what + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            return false;
        }
    }

    private static void loadFromJar(String resource, Path parent) throws IOException {
        // A directory only this user can enter: no other user can swap the file between
        // writing and loading it. The file is unlinked right after loading; the mapping
        // stays valid for the life of the process.
        Path dir = Files.createTempDirectory(parent, "zerocopy-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path file = dir.resolve(FILE_NAME);
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("not on the class path");
            }
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            try {
                System.load(file.toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                String mount = noexecMount(dir);
                if (mount == null) {
                    throw e;
                }
                UnsatisfiedLinkError explained = new UnsatisfiedLinkError(e.getMessage()
                        + " [" + mount + " is mounted noexec]");
                explained.initCause(e);
                throw explained;
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** The mount point holding {@code path} if it is mounted noexec; null if not or unknown. */
    static String noexecMount(Path path) {
        List<String> lines;
        Path real;
        try {
            real = path.toRealPath();
            lines = Files.readAllLines(Paths.get("/proc/self/mounts"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        String best = null;
        boolean noexec = false;
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length < 4) {
                continue;
            }
            // /proc/self/mounts escapes space, tab, newline and backslash as octal.
            String mountPoint = fields[1].replace("\\040", " ").replace("\\011", "\t")
                    .replace("\\012", "\n").replace("\\134", "\\");
            // Later lines are mounted over earlier ones, so the last longest match wins.
            if (real.startsWith(mountPoint) && (best == null || mountPoint.length() >= best.length())) {
                best = mountPoint;
                noexec = (',' + fields[3] + ',').contains(",noexec,");
            }
        }
        return noexec ? best : null;
    }
}
