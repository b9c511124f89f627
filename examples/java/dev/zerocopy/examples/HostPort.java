package dev.zerocopy.examples;

import java.net.InetSocketAddress;

/** HOST:PORT arguments. */
final class HostPort {
    private HostPort() {}

    static InetSocketAddress parse(String option, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            Args.fail(option + " must be HOST:PORT, not " + value);
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) {
                Args.fail(option + " port out of range: " + value);
            }
            return new InetSocketAddress(value.substring(0, colon), port);
        } catch (NumberFormatException e) {
            Args.fail(option + " must be HOST:PORT, not " + value);
            return null;
        }
    }
}
