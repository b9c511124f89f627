package dev.zerocopy.examples;

import dev.zerocopy.ZeroCopy;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

/**
 * Copies a file with {@link ZeroCopy#transferTo} (sendfile / copy_file_range inside the
 * kernel), looping as transferTo may move less than asked, and prints bytes and time.
 *
 * <pre>TransferCopy --from SRC --to DST [--mode zerocopy|nio]</pre>
 */
public final class TransferCopy {
    private TransferCopy() {}

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, "TransferCopy --from SRC --to DST [--mode zerocopy|nio]", "from", "to", "mode");
        Path from = Paths.get(args.required("from"));
        Path to = Paths.get(args.required("to"));
        boolean zeroCopy = !args.get("mode", "zerocopy").equals("nio");
        if (!ZeroCopy.isAvailable()) { // loads the native library before the clock starts
            Args.fail("zerocopy is unavailable: " + ZeroCopy.unavailabilityCause());
        }
        long start = System.nanoTime();
        long copied = 0;
        try (FileChannel in = FileChannel.open(from);
                FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            while (copied < size) {
                long n = zeroCopy
                        ? ZeroCopy.transferTo(in, copied, size - copied, out)
                        : in.transferTo(copied, size - copied, out);
                if (n <= 0) {
                    break; // the file shrank under us
                }
                copied += n;
            }
        } catch (java.nio.file.NoSuchFileException e) {
            Args.fail("no such file: " + e.getFile());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("copied %d bytes in %.3f s (%.1f MB/s)%n", copied, seconds, copied / seconds / 1e6);
    }
}
