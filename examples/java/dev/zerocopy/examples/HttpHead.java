package dev.zerocopy.examples;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.x request head (request line and header fields; bodies are not read), and the
 * reader that takes heads off a connection with a cap on their size. Parsing follows RFC 9112:
 * a line folded onto the previous one (obs-fold) and whitespace between a field name and its
 * colon are rejected with 400, as are malformed request lines.
 */
final class HttpHead {
    String method = "";
    String target = "";
    String version = "";
    /** Field values by lower-case name, in arrival order (duplicates kept: Host must occur once). */
    final Map<String, List<String>> fields = new HashMap<>();
    /** 0 when the head parsed; otherwise the status to answer with (400, 431, 505) and close. */
    int errorStatus;
    String errorReason = "";

    /** The single value of a field, the last one when repeated, or null. */
    String field(String name) {
        List<String> values = fields.get(name);
        return values == null ? null : values.get(values.size() - 1);
    }

    int count(String name) {
        List<String> values = fields.get(name);
        return values == null ? 0 : values.size();
    }

    boolean http11() {
        return version.equals("HTTP/1.1");
    }

    /** The client wants the connection kept open after this response. */
    boolean keepAlive() {
        String connection = String.join(",", fields.getOrDefault("connection", Collections.emptyList()))
                .toLowerCase(Locale.ROOT);
        if (errorStatus != 0 || connection.contains("close")) {
            return false;
        }
        return http11() || connection.contains("keep-alive");
    }

    /** A body follows the head (which this server never reads, so it must close afterwards). */
    boolean hasBody() {
        String length = field("content-length");
        return fields.containsKey("transfer-encoding") || (length != null && !length.equals("0"));
    }

    private static HttpHead error(int status, String reason) {
        HttpHead head = new HttpHead();
        head.errorStatus = status;
        head.errorReason = reason;
        return head;
    }

    /** Parses the bytes of a head, without the blank line that ends it. */
    static HttpHead parse(String text) {
        String[] lines = text.split("\n", -1);
        String requestLine = stripCr(lines[0]);
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || parts[1].isEmpty()) {
            return error(400, "Bad Request");
        }
        if (!isHttpVersion(parts[2])) {
            return error(400, "Bad Request");
        }
        if (parts[2].charAt(5) != '1') {
            return error(505, "HTTP Version Not Supported");
        }
        HttpHead head = new HttpHead();
        head.method = parts[0];
        head.target = parts[1];
        head.version = parts[2].equals("HTTP/1.0") ? "HTTP/1.0" : "HTTP/1.1";
        for (int i = 1; i < lines.length; i++) {
            String line = stripCr(lines[i]);
            if (line.isEmpty()) {
                continue;
            }
            char first = line.charAt(0);
            if (first == ' ' || first == '\t') {
                return error(400, "Bad Request"); // obs-fold (RFC 9112 §5.2)
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.substring(0, colon)) || line.indexOf('\r') >= 0) {
                return error(400, "Bad Request"); // includes "Name :" (RFC 9112 §5.1)
            }
            head.fields.computeIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>(1))
                    .add(line.substring(colon + 1).trim());
        }
        return head;
    }

    /** "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), without a regular expression compiled per request. */
    private static boolean isHttpVersion(String s) {
        return s.length() == 8 && s.startsWith("HTTP/") && isDigit(s.charAt(5)) && s.charAt(6) == '.'
                && isDigit(s.charAt(7));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Reads heads off one connection; bytes after a head (pipelined requests) are kept. */
    static final class Reader {
        private final ReadableByteChannel in;
        private final ByteBuffer buffer;

        /** @param maxHead the largest head accepted, blank line included; larger ones get 431 */
        Reader(ReadableByteChannel in, int maxHead) {
            this.in = in;
            this.buffer = ByteBuffer.allocate(maxHead);
        }

        /**
         * The next head, or null when the peer closed before (or in the middle of) one.
         * {@code started} runs once the first byte of the head is here: the caller's cue to
         * switch from the idle deadline to the head deadline.
         */
        HttpHead next(Runnable started) throws IOException {
            boolean begun = false;
            int scanned = 0;
            for (;;) {
                skipLeadingBlankLines(); // RFC 9112 §2.2 allows empty lines before a request
                if (buffer.position() > 0 && !begun) {
                    begun = true;
                    started.run();
                }
                int end = endOfHead(scanned);
                if (end >= 0) {
                    String text = new String(buffer.array(), 0, end, StandardCharsets.ISO_8859_1);
                    int consumed = end + (buffer.get(end + 1) == '\n' ? 2 : 3);
                    buffer.flip().position(consumed);
                    buffer.compact();
                    return parse(text);
                }
                scanned = Math.max(0, buffer.position() - 3);
                if (!buffer.hasRemaining()) {
                    return error(431, "Request Header Fields Too Large");
                }
                if (in.read(buffer) < 0) {
                    return null;
                }
            }
        }

        private void skipLeadingBlankLines() {
            int skip = 0;
            while (skip < buffer.position() && (buffer.get(skip) == '\r' || buffer.get(skip) == '\n')) {
                skip++;
            }
            if (skip > 0) {
                buffer.flip().position(skip);
                buffer.compact();
            }
        }

        /**
         * Index of the line feed that ends the last field line, when a blank line ("\n" or
         * "\r\n", RFC 9112 §2.2) follows it; -1 while the head is incomplete.
         */
        private int endOfHead(int from) {
            byte[] a = buffer.array();
            for (int i = from; i < buffer.position(); i++) {
                if (a[i] != '\n') {
                    continue;
                }
                if (i + 1 < buffer.position() && a[i + 1] == '\n') {
                    return i;
                }
                if (i + 2 < buffer.position() && a[i + 1] == '\r' && a[i + 2] == '\n') {
                    return i;
                }
            }
            return -1;
        }
    }
}
