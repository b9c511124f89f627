package dev.zerocopy.examples;

import dev.zerocopy.ZeroCopy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A static-file HTTP/1.1 server whose bodies go out with sendfile(2) via
 * {@link ZeroCopy#transferTo}: GET and HEAD, keep-alive, single byte ranges (206 / 416),
 * 403 / 404 / 405, content types for common extensions, an idle timeout per connection and
 * a bounded pool of worker threads. No path outside the root is ever served: "..", encoded
 * slashes and symlinks that leave the root are refused.
 *
 * <pre>
 * FileServer --root DIR --port PORT [--bind HOST] [--mode sendfile|nio] [--threads N] [--idle-seconds S]
 * </pre>
 *
 * {@code --mode nio} sends bodies with FileChannel.transferTo, for comparison.
 */
public final class FileServer {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("css", "text/css"),
            Map.entry("js", "text/javascript"), Map.entry("json", "application/json"),
            Map.entry("xml", "application/xml"), Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"),
            Map.entry("svg", "image/svg+xml"), Map.entry("ico", "image/x-icon"), Map.entry("webp", "image/webp"),
            Map.entry("pdf", "application/pdf"), Map.entry("zip", "application/zip"),
            Map.entry("gz", "application/gzip"), Map.entry("mp4", "video/mp4"), Map.entry("wasm", "application/wasm"));
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

    private final Path root;
    private final boolean zeroCopy;
    private final int idleMillis;
    final AtomicLong connections = new AtomicLong();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong bodyBytes = new AtomicLong();
    final AtomicLong errors = new AtomicLong();

    FileServer(Path root, boolean zeroCopy, int idleMillis) throws IOException {
        this.root = root.toRealPath();
        this.zeroCopy = zeroCopy;
        this.idleMillis = idleMillis;
    }

    public static void main(String[] args) throws Exception {
        Args parsed = Args.parse(args, "FileServer --root DIR --port PORT [--bind HOST] [--mode sendfile|nio]"
                + " [--threads N] [--idle-seconds S]", "root", "port", "bind", "mode", "threads", "idle-seconds");
        Path root = Paths.get(parsed.required("root"));
        if (!Files.isDirectory(root)) {
            Args.fail("--root " + root + " is not a directory");
        }
        String mode = parsed.get("mode", "sendfile");
        if (!mode.equals("sendfile") && !mode.equals("nio")) {
            Args.fail("--mode must be sendfile or nio, not " + mode);
        }
        int port = parsed.intValue("port", -1, 0, 65535);
        int threads = parsed.intValue("threads", 64, 1, 10_000);
        int idle = parsed.intValue("idle-seconds", 30, 1, 86_400);
        String bind = parsed.get("bind", "127.0.0.1");

        FileServer server = new FileServer(root, mode.equals("sendfile"), idle * 1000);
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(bind, port), 1024);
        // Bounded: at most `threads` connections are served at once, 1024 more wait.
        ExecutorService pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(1024), new ThreadPoolExecutor.AbortPolicy());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.printf(
                "FileServer stopped: %d connections, %d requests, %d body bytes, %d errors%n",
                server.connections.get(), server.requests.get(), server.bodyBytes.get(), server.errors.get())));
        System.out.println("FileServer listening on " + listener.getLocalAddress() + " serving " + server.root
                + " (mode " + mode + ")");
        for (;;) {
            SocketChannel client = listener.accept();
            server.connections.incrementAndGet();
            try {
                pool.execute(() -> server.serve(client));
            } catch (java.util.concurrent.RejectedExecutionException busy) {
                server.errors.incrementAndGet();
                client.close();
            }
        }
    }

    void serve(SocketChannel client) {
        try (SocketChannel socket = client) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            socket.socket().setSoTimeout(idleMillis);
            HttpReader reader = new HttpReader(socket.socket().getInputStream());
            for (;;) {
                HttpReader.Request request = reader.next();
                if (request == null) {
                    return;
                }
                requests.incrementAndGet();
                if (!respond(socket, request)) {
                    return;
                }
            }
        } catch (java.net.SocketTimeoutException idle) {
            // Idle keep-alive connection: closed quietly.
        } catch (IOException e) {
            errors.incrementAndGet();
        }
    }

    /** Answers one request; false when the connection must close afterwards. */
    private boolean respond(SocketChannel socket, HttpReader.Request request) throws IOException {
        boolean keepAlive = request.keepAlive();
        if (request.bad) {
            sendError(socket, 400, "Bad Request", false);
            return false;
        }
        boolean head = request.method.equals("HEAD");
        if (!head && !request.method.equals("GET")) {
            sendError(socket, 405, "Method Not Allowed", keepAlive, "Allow: GET, HEAD\r\n");
            return keepAlive;
        }
        Path file = resolve(request.target);
        if (file == null) {
            sendError(socket, 403, "Forbidden", keepAlive);
            return keepAlive;
        }
        try (FileChannel channel = FileChannel.open(file)) {
            long size = channel.size();
            long start = 0;
            long length = size;
            String status = "200 OK";
            String extra = "";
            String range = request.headers.get("range");
            if (range != null) {
                long[] r = parseRange(range, size);
                if (r == null) {
                    sendError(socket, 416, "Range Not Satisfiable", keepAlive, "Content-Range: bytes */" + size + "\r\n");
                    return keepAlive;
                }
                if (r.length == 2) {
                    start = r[0];
                    length = r[1] - r[0] + 1;
                    status = "206 Partial Content";
                    extra = "Content-Range: bytes " + r[0] + "-" + r[1] + "/" + size + "\r\n";
                }
            }
            String headers = "HTTP/1.1 " + status + "\r\n"
                    + "Date: " + HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\r\n"
                    + "Server: zerocopy-FileServer\r\n"
                    + "Content-Type: " + contentType(file) + "\r\n"
                    + "Content-Length: " + length + "\r\n"
                    + "Accept-Ranges: bytes\r\n"
                    + "Last-Modified: " + HTTP_DATE.format(Files.getLastModifiedTime(file).toInstant().atZone(ZoneOffset.UTC)) + "\r\n"
                    + extra
                    + (keepAlive ? "" : "Connection: close\r\n")
                    + "\r\n";
            // TCP_NODELAY is on, so the headers and the first body bytes are separate segments,
            // but nothing waits on Nagle + delayed ACK.
            writeFully(socket, ByteBuffer.wrap(headers.getBytes(StandardCharsets.ISO_8859_1)));
            if (!head) {
                sendBody(channel, start, length, socket);
            }
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
            sendError(socket, e instanceof NoSuchFileException ? 404 : 403,
                    e instanceof NoSuchFileException ? "Not Found" : "Forbidden", keepAlive);
        } catch (IOException e) {
            if (Files.isDirectory(file)) {
                sendError(socket, 404, "Not Found", keepAlive);
            } else {
                throw e;
            }
        }
        return keepAlive;
    }

    private void sendBody(FileChannel file, long start, long length, SocketChannel socket) throws IOException {
        long done = 0;
        while (done < length) {
            long n = zeroCopy
                    ? ZeroCopy.transferTo(file, start + done, length - done, socket)
                    : file.transferTo(start + done, length - done, socket);
            if (n <= 0) {
                throw new IOException("file shrank while being sent: " + (length - done) + " bytes short");
            }
            done += n;
            bodyBytes.addAndGet(n);
        }
    }

    /**
     * The file a request target names, or null when it is outside the root (after decoding,
     * normalising and resolving symlinks) or not a plain path.
     */
    Path resolve(String target) {
        String path = target;
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (!path.startsWith("/") || path.toLowerCase(Locale.ROOT).contains("%2f")
                || path.toLowerCase(Locale.ROOT).contains("%5c") || path.contains("\\")) {
            return null;
        }
        String decoded;
        try {
            decoded = URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (decoded.indexOf('\0') >= 0) {
            return null;
        }
        Path candidate = root.resolve(decoded.substring(1)).normalize();
        if (!candidate.startsWith(root)) {
            return null;
        }
        if (Files.isDirectory(candidate)) {
            candidate = candidate.resolve("index.html");
        }
        try {
            Path real = candidate.toRealPath();
            if (!real.startsWith(root) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            return real;
        } catch (IOException missing) {
            return candidate; // does not exist: opening it gives the 404
        }
    }

    /** [first, last] inclusive, {} for "ignore the header", or null for 416. */
    static long[] parseRange(String header, long size) {
        Matcher m = RANGE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return header.trim().startsWith("bytes=") ? null : new long[0];
        }
        try {
            if (m.group(1).isEmpty()) {
                long suffix = Long.parseLong(m.group(2));
                if (suffix == 0 || size == 0) {
                    return null;
                }
                return new long[] {Math.max(0, size - suffix), size - 1};
            }
            long first = Long.parseLong(m.group(1));
            long last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
            if (first >= size || last < first) {
                return null;
            }
            return new long[] {first, last};
        } catch (NumberFormatException overflow) {
            return null;
        }
    }

    static String contentType(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        return type != null ? type : "application/octet-stream";
    }

    private void sendError(SocketChannel socket, int code, String reason, boolean keepAlive, String... extra)
            throws IOException {
        byte[] body = (code + " " + reason + "\n").getBytes(StandardCharsets.US_ASCII);
        String headers = "HTTP/1.1 " + code + " " + reason + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + String.join("", extra)
                + (keepAlive ? "" : "Connection: close\r\n")
                + "\r\n";
        ByteBuffer out = ByteBuffer.allocate(headers.length() + body.length);
        out.put(headers.getBytes(StandardCharsets.ISO_8859_1)).put(body).flip();
        writeFully(socket, out);
    }

    private static void writeFully(SocketChannel socket, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            socket.write(buffer);
        }
    }
}
