package dev.zerocopy.examples;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Reads HTTP/1.1 request heads (request line and headers; bodies are not supported). */
final class HttpReader {
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADERS = 100;

    static final class Request {
        String method = "";
        String target = "";
        String version = "";
        final Map<String, String> headers = new HashMap<>();
        boolean bad;

        boolean keepAlive() {
            String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
            if (bad || connection.contains("close")) {
                return false;
            }
            return version.equals("HTTP/1.1") || connection.contains("keep-alive");
        }
    }

    private final InputStream in;

    HttpReader(InputStream in) {
        this.in = new BufferedInputStream(in);
    }

    /** The next request, or null at end of stream before a request started. */
    Request next() throws IOException {
        String line = readLine();
        while (line != null && line.isEmpty()) {
            line = readLine(); // tolerate blank lines between requests (RFC 9112 §2.2)
        }
        if (line == null) {
            return null;
        }
        Request request = new Request();
        String[] parts = line.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            request.bad = true;
            return request;
        }
        request.method = parts[0];
        request.target = parts[1];
        request.version = parts[2];
        for (int i = 0; ; i++) {
            String header = readLine();
            if (header == null || i > MAX_HEADERS) {
                request.bad = true;
                return request;
            }
            if (header.isEmpty()) {
                break;
            }
            int colon = header.indexOf(':');
            if (colon <= 0) {
                request.bad = true;
                continue;
            }
            request.headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    header.substring(colon + 1).trim());
        }
        if (request.headers.containsKey("content-length") || request.headers.containsKey("transfer-encoding")) {
            request.bad = true; // a request body would desynchronise keep-alive; refuse it
        }
        return request;
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        for (;;) {
            int b = in.read();
            if (b < 0) {
                return line.length() == 0 ? null : line.toString();
            }
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new IOException("request line or header longer than " + MAX_LINE + " bytes");
            }
            line.append((char) b);
        }
    }
}
