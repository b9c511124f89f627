package dev.zerocopy.examples;

import java.io.IOException;

/**
 * {@link SpliceProxy} that also captures each connection's bytes: client to server in
 * {@code DIR/N-up.bin}, server to client in {@code DIR/N-down.bin} (complete once the
 * connection has closed). The forwarded streams are untouched. {@code --mode splice} captures
 * with tee(2) (the bytes never enter the JVM); {@code --mode nio} writes a copy of each chunk
 * it relays, so the two modes compare like the proxy's. {@code --threads} as for SpliceProxy.
 *
 * <pre>TeeProxy --listen HOST:PORT --connect HOST:PORT --capture DIR [--mode splice|nio] [--pipe-size BYTES]
 *     [--max-pipes N] [--threads selector|virtual]</pre>
 */
public final class TeeProxy {
    private TeeProxy() {}

    public static void main(String[] argv) throws IOException {
        SpliceProxy.run(argv, "TeeProxy", true);
    }
}
