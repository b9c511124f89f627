package dev.zerocopy.examples;

import java.io.IOException;

/**
 * {@link SpliceProxy} that also captures each connection's bytes with tee(2): client to
 * server in {@code DIR/N-up.bin}, server to client in {@code DIR/N-down.bin} (complete once
 * the connection has closed). The forwarded streams are untouched.
 *
 * <pre>TeeProxy --listen HOST:PORT --connect HOST:PORT --capture DIR [--pipe-size BYTES] [--max-pipes N]</pre>
 */
public final class TeeProxy {
    private TeeProxy() {}

    public static void main(String[] argv) throws IOException {
        SpliceProxy.run(argv, "TeeProxy", true);
    }
}
