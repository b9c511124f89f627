package dev.zerocopy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads {@code libzerocopy_jni.so} once per class loader, trying in order:
 * {@code -Dzerocopy.library.path} (the file, or a directory holding it), the copy inside
 * the jar ({@code META-INF/native/<os>-<arch>/}, extracted to a private temporary
 * directory and deleted again once loaded), then {@code java.library.path}.
 */
final class NativeLibrary {
    static final String NAME = "zerocopy_jni";
    static final String FILE_NAME = "lib" + NAME + ".so";
    static final String PATH_PROPERTY = "zerocopy.library.path";

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
        String platform = platform();
        if (platform == null) {
            return new UnsupportedOperationException(
                    "zerocopy needs Linux; this is " + System.getProperty("os.name"));
        }
        List<String> tried = new ArrayList<>();
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.isEmpty()) {
            File given = new File(explicit);
            File file = given.isDirectory() ? new File(given, FILE_NAME) : given;
            if (attempt(() -> System.load(file.getAbsolutePath()), "-D" + PATH_PROPERTY + "=" + file, tried)) {
                return null;
            }
        }
        String resource = "/META-INF/native/" + platform + "/" + FILE_NAME;
        if (attempt(() -> loadFromJar(resource), "jar resource " + resource, tried)) {
            return null;
        }
        if (attempt(() -> System.loadLibrary(NAME), "java.library.path="
                + System.getProperty("java.library.path"), tried)) {
            return null;
        }
        return new UnsatisfiedLinkError("could not load " + FILE_NAME + "; tried: " + String.join("; ", tried));
    }

    private interface Loader {
        void load() throws Exception;
    }

    private static boolean attempt(Loader loader, String what, List<String> tried) {
        try {
            loader.load();
            return true;
        } catch (Exception | UnsatisfiedLinkError e) {
            tried.add(what + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            return false;
        }
    }

    private static void loadFromJar(String resource) throws IOException {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("not on the class path");
            }
            // A directory only this user can enter: no other user can swap the file between
            // writing and loading it. The file is unlinked right after loading; the mapping
            // stays valid for the life of the process.
            Path dir = Files.createTempDirectory("zerocopy-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path file = dir.resolve(FILE_NAME);
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        }
    }
}
