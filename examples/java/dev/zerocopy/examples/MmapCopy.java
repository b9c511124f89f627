package dev.zerocopy.examples;

import dev.zerocopy.Advice;
import dev.zerocopy.MappedRegion;
import dev.zerocopy.ZeroCopy;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

/**
 * Copies a file the mmap + write way: the source is mapped ({@link ZeroCopy#map}), advised
 * sequential, and written from the mapping into the target ({@link MappedRegion#transferTo}),
 * then unmapped at once by {@link MappedRegion#close()} instead of whenever the GC runs.
 * Any size works, beyond 2 GiB too. Prints bytes and time.
 *
 * <pre>MmapCopy --from SRC --to DST</pre>
 */
public final class MmapCopy {
    private MmapCopy() {}

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, "MmapCopy --from SRC --to DST", "from", "to");
        Path from = Paths.get(args.required("from"));
        Path to = Paths.get(args.required("to"));
        if (!ZeroCopy.isAvailable()) { // loads the native library before the clock starts
            Args.fail("zerocopy is unavailable: " + ZeroCopy.unavailabilityCause());
        }
        long start = System.nanoTime();
        long copied = 0;
        try (FileChannel in = FileChannel.open(from);
                FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                MappedRegion region = ZeroCopy.map(in, FileChannel.MapMode.READ_ONLY, 0, in.size())) {
            if (region.size() > 0) {
                region.advise(Advice.SEQUENTIAL, 0, region.size());
            }
            while (copied < region.size()) {
                copied += region.transferTo(copied, region.size() - copied, out);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            Args.fail("no such file: " + e.getFile());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("copied %d bytes in %.3f s (%.1f MB/s)%n", copied, seconds, copied / seconds / 1e6);
    }
}
