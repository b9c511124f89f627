package dev.zerocopy.examples;

import dev.zerocopy.SpliceFlag;
import dev.zerocopy.ZeroCopy;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A static-file HTTP/1.1 server whose bodies go out with {@link ZeroCopy#transferTo}
 * (sendfile(2)), hardened the way a server facing the internet must be:
 * <ul>
 * <li>a connection per thread: a virtual thread on JDK 21+, else a bounded pool;
 * <li>the accept loop survives EMFILE/ENFILE (backs off, keeps accepting, counts it);
 * <li>deadlines per phase, not per read: keep-alive idle, the whole request head, and the
 *     whole response (a base plus one second per {@code --min-rate} bytes of body), enforced
 *     by one watchdog thread that closes the socket, so a client dripping bytes or never
 *     reading is disconnected after a bound;
 * <li>caps on the head's size (431), requests per connection and open connections;
 * <li>RFC 9110/9112: GET and HEAD (others 405 with {@code Allow}), {@code Host} exactly once
 *     in HTTP/1.1, obs-fold rejected, one byte range (206), several ranges answered with the
 *     whole file (200), an overflowing last-byte-pos clamped, {@code If-Range} against a
 *     strong ETag or Last-Modified;
 * <li>never a path outside the root ("..", encoded slashes, symlinks that leave it), and no
 *     dotfile ({@code /.env}, {@code /.git/config}) unless {@code --dotfiles allow}.
 * </ul>
 *
 * {@code --mode nio} sends bodies with FileChannel.transferTo, for comparison.
 */
public final class FileServer {
    private static final String USAGE = "FileServer --root DIR --port PORT [--bind HOST] [--mode sendfile|nio]"
            + " [--threads virtual|platform] [--workers N] [--max-connections N] [--idle-seconds S]"
            + " [--head-seconds S] [--response-seconds S] [--min-rate BYTES_PER_S] [--max-head-bytes N]"
            + " [--max-requests N] [--dotfiles deny|allow]";
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
    /** The Date of responses and the Last-Modified of files: mostly the same second again. */
    private static final HttpDates NOW = new HttpDates();
    private static final HttpDates LAST_MODIFIED = new HttpDates();
    private static final String ALLOW = "Allow: GET, HEAD\r\n";

    /**
     * HTTP-dates by the second, the last one kept: formatting one costs about as much as a
     * system call, and a busy server formats the same second thousands of times.
     */
    static final class HttpDates {
        private static final class Formatted {
            final long second;
            final String text;

            Formatted(long second) {
                this.second = second;
                this.text = HTTP_DATE.format(Instant.ofEpochSecond(second).atZone(ZoneOffset.UTC));
            }
        }

        private volatile Formatted last = new Formatted(0);

        String format(long epochSecond) {
            Formatted f = last;
            if (f.second != epochSecond) {
                f = new Formatted(epochSecond);
                last = f;
            }
            return f.text;
        }
    }

    /** Limits, from the command line. */
    static final class Limits {
        long idleNanos;
        long headNanos;
        long responseNanos;
        long minRate;
        int maxHead;
        int maxRequests;
        int maxConnections;
        boolean dotfiles;
    }

    private final Path root;
    private final String rootName;
    /** The root, open (a directory descriptor): files below it are looked up and opened relative to it. */
    private final SecureDirectoryStream<Path> rootDirectory;
    /** The root directory's device and inode, to tell whether {@link #root} still names it. */
    private final Object rootKey;
    private final boolean zeroCopy;
    private final Limits limits;
    private final Set<Connection> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    final AtomicLong connections = new AtomicLong();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong bodyBytes = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong idleClosed = new AtomicLong();
    final AtomicLong headTimeouts = new AtomicLong();
    final AtomicLong responseTimeouts = new AtomicLong();
    final AtomicLong acceptErrors = new AtomicLong();
    final AtomicLong refused = new AtomicLong();

    FileServer(Path root, boolean zeroCopy, Limits limits) throws IOException {
        this.root = root.toRealPath();
        this.rootName = this.root.toString();
        DirectoryStream<Path> directory = Files.newDirectoryStream(this.root);
        Object key = null;
        if (directory instanceof SecureDirectoryStream) {
            this.rootDirectory = (SecureDirectoryStream<Path>) directory;
            key = rootDirectory.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
        } else {
            directory.close();
            this.rootDirectory = null;
        }
        this.rootKey = key;
        this.zeroCopy = zeroCopy;
        this.limits = limits;
    }

    public static void main(String[] args) throws Exception {
        Args parsed = Args.parse(args, USAGE, "root", "port", "bind", "mode", "threads", "workers",
                "max-connections", "idle-seconds", "head-seconds", "response-seconds", "min-rate",
                "max-head-bytes", "max-requests", "dotfiles");
        Path root = Paths.get(parsed.required("root"));
        if (!Files.isDirectory(root)) {
            Args.fail("--root " + root + " is not a directory");
        }
        String mode = parsed.get("mode", "sendfile");
        if (!mode.equals("sendfile") && !mode.equals("nio")) {
            Args.fail("--mode must be sendfile or nio, not " + mode);
        }
        int port = parsed.intValue("port", -1, 0, 65535);
        String threads = parsed.get("threads", VirtualThreads.available() ? "virtual" : "platform");
        if (!threads.equals("virtual") && !threads.equals("platform")) {
            Args.fail("--threads must be virtual or platform, not " + threads);
        }
        if (threads.equals("virtual") && !VirtualThreads.available()) {
            Args.fail("--threads virtual: " + VirtualThreads.unavailableReason());
        }
        int workers = parsed.intValue("workers", 64, 1, 10_000);
        Limits limits = new Limits();
        limits.maxConnections = parsed.intValue("max-connections", 10_000, 1, 1_000_000);
        limits.idleNanos = TimeUnit.SECONDS.toNanos(parsed.intValue("idle-seconds", 15, 1, 86_400));
        limits.headNanos = TimeUnit.SECONDS.toNanos(parsed.intValue("head-seconds", 10, 1, 3_600));
        limits.responseNanos = TimeUnit.SECONDS.toNanos(parsed.intValue("response-seconds", 30, 1, 86_400));
        limits.minRate = parsed.intValue("min-rate", 64 * 1024, 1, Integer.MAX_VALUE);
        limits.maxHead = parsed.intValue("max-head-bytes", 16 * 1024, 256, 1 << 20);
        limits.maxRequests = parsed.intValue("max-requests", 1000, 1, Integer.MAX_VALUE);
        String dotfiles = parsed.get("dotfiles", "deny");
        if (!dotfiles.equals("deny") && !dotfiles.equals("allow")) {
            Args.fail("--dotfiles must be deny or allow, not " + dotfiles);
        }
        limits.dotfiles = dotfiles.equals("allow");
        String bind = parsed.get("bind", "127.0.0.1");

        FileServer server = new FileServer(root, mode.equals("sendfile"), limits);
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(bind, port), 1024);
        ExecutorService pool = threads.equals("virtual")
                ? VirtualThreads.newPerTaskExecutor()
                // At most `workers` connections are served at once, 1024 more wait.
                : new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1024),
                        new ThreadPoolExecutor.AbortPolicy());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.printf(
                "FileServer stopped: %d connections, %d requests, %d body bytes, %d errors, %d idle closed,"
                        + " %d head timeouts, %d response timeouts, %d accept errors, %d refused%n",
                server.connections.get(), server.requests.get(), server.bodyBytes.get(), server.errors.get(),
                server.idleClosed.get(), server.headTimeouts.get(), server.responseTimeouts.get(),
                server.acceptErrors.get(), server.refused.get())));
        if (mode.equals("sendfile") && !ZeroCopy.isAvailable()) {
            Args.fail("--mode sendfile: zerocopy is unavailable: " + ZeroCopy.unavailabilityCause());
        }
        warmUp(pool, server.root);
        Thread watchdog = new Thread(server::watch, "FileServer-deadlines");
        watchdog.setDaemon(true);
        watchdog.start();
        System.out.println("FileServer listening on " + listener.getLocalAddress() + " serving " + server.root
                + " (mode " + mode + ", " + threads + " threads)");
        server.acceptLoop(listener, pool);
    }

    /**
     * Runs once, before the first client, what the JDK initialises lazily and needs descriptors
     * for. Measured on JDK 17: the first close of a socket initialises sun.nio.ch.FileDispatcherImpl,
     * whose static initialiser opens a socket pair; if that first close happens under EMFILE the
     * class is marked unusable for the life of the JVM, every later socket close throws
     * NoClassDefFoundError, and the server leaks each connection until it is dead. Likewise the
     * virtual-thread poller (JDK 21+, sun.nio.ch.Poller) opens its epoll descriptors on first use
     * and, measured on JDK 25 under EMFILE, then throws NoClassDefFoundError for every later
     * connection whose reader on a pool thread waits for it. On a listener of its own: a client
     * that connects to the real port meanwhile (a health check, a load generator waiting for the
     * port) must not be accepted in the warm-up's place, which left the server waiting forever.
     */
    static void warmUp(ExecutorService pool, Path root) throws Exception {
        FileChannel.open(root).close();
        try (ServerSocketChannel listener = ServerSocketChannel.open()
                        .bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(listener.getLocalAddress())) {
            SocketChannel accepted = listener.accept();
            java.util.concurrent.atomic.AtomicReference<Thread> reader = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.Future<?> echo = pool.submit(() -> {
                try (SocketChannel s = accepted) {
                    reader.set(Thread.currentThread());
                    ByteBuffer one = ByteBuffer.allocate(1);
                    s.read(one);
                    one.flip();
                    s.write(one);
                }
                return null;
            });
            // Send only once the reader waits, so that it really parks (JDK 21+: sun.nio.ch.Poller
            // is initialised by the first park on a socket, and fails for good under EMFILE).
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() - giveUp < 0 && (reader.get() == null
                    || reader.get().getState() == Thread.State.RUNNABLE)) {
                Thread.sleep(1);
            }
            client.write(ByteBuffer.wrap(new byte[] {'x'}));
            client.read(ByteBuffer.allocate(1));
            echo.get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Accepts forever. accept() fails with EMFILE/ENFILE when descriptors run out; the
     * connection then stays in the backlog, so retrying at once would spin: back off (10 ms
     * doubling to 1 s, as nginx pauses accepting) and keep going, so the port never stays
     * bound with nobody accepting.
     */
    void acceptLoop(ServerSocketChannel listener, ExecutorService pool) throws InterruptedException {
        long backoff = 0;
        long lastReport = 0;
        for (;;) {
            SocketChannel client;
            try {
                client = listener.accept();
                backoff = 0;
            } catch (IOException e) {
                acceptErrors.incrementAndGet();
                backoff = backoff == 0 ? 10 : Math.min(backoff * 2, 1000);
                if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(1)) {
                    lastReport = System.nanoTime();
                    System.err.println("accept: " + e.getMessage() + " (" + acceptErrors.get()
                            + " accept errors so far; backing off " + backoff + " ms)");
                }
                Thread.sleep(backoff);
                continue;
            }
            connections.incrementAndGet();
            if (open.incrementAndGet() > limits.maxConnections) {
                refuse(client);
                continue;
            }
            try {
                pool.execute(() -> serve(client));
            } catch (RejectedExecutionException | OutOfMemoryError busy) {
                refuse(client);
            }
        }
    }

    private void refuse(SocketChannel client) {
        open.decrementAndGet();
        refused.incrementAndGet();
        try {
            client.close();
        } catch (IOException ignored) {
            // nothing was sent on it
        }
    }

    /** A connection and its current deadline (System.nanoTime; the watchdog closes it after). */
    static final class Connection {
        final SocketChannel socket;
        volatile long deadline;
        /** 0 idle, 1 head, 2 response: what to count when the deadline passes. */
        volatile int phase;
        volatile boolean expired;
        /** Where response heads wait to be spliced with SPLICE_F_MORE; see {@link #sendHead}. */
        Pipe headPipe;
        /** No pipe could be had (no native library, or descriptors ran out): heads are written. */
        boolean headPipeRefused;

        Connection(SocketChannel socket) {
            this.socket = socket;
        }

        void expect(int phase, long nanos) {
            this.phase = phase;
            this.deadline = System.nanoTime() + nanos;
        }
    }

    /** The watchdog: every 100 ms, closes connections whose deadline passed. */
    void watch() {
        for (;;) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Connection c : live) {
                if (now - c.deadline > 0 && !c.expired) {
                    c.expired = true;
                    (c.phase == 0 ? idleClosed : c.phase == 1 ? headTimeouts : responseTimeouts).incrementAndGet();
                    // shutdown(2) first: it acts on the socket, not the descriptor, so it also ends
                    // a sendfile already blocked in the kernel. Measured on JDK 17: close() alone
                    // does not stop FileChannel.transferTo blocked on a platform thread (the socket
                    // channel does not know that thread), and the client got all 256 MiB.
                    try {
                        c.socket.shutdownInput();
                        c.socket.shutdownOutput();
                    } catch (IOException | RuntimeException ignored) {
                        // not connected any more, or closed meanwhile: close() below is enough
                    }
                    try {
                        c.socket.close(); // wakes the connection's thread wherever it waits
                    } catch (IOException ignored) {
                        // closing is all that was wanted
                    }
                }
            }
        }
    }

    void serve(SocketChannel client) {
        Connection conn = new Connection(client);
        conn.expect(1, limits.headNanos);
        live.add(conn);
        try (SocketChannel socket = client) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            HttpHead.Reader reader = new HttpHead.Reader(socket, limits.maxHead);
            for (int served = 1; ; served++) {
                if (served > 1) {
                    conn.expect(0, limits.idleNanos);
                }
                // A new connection's head deadline runs from accept; a later request's from its first byte.
                boolean later = served > 1;
                HttpHead request = reader.next(() -> {
                    if (later) {
                        conn.expect(1, limits.headNanos);
                    }
                });
                if (request == null) {
                    return;
                }
                requests.incrementAndGet();
                if (!respond(conn, request, served < limits.maxRequests)) {
                    return;
                }
            }
        } catch (IOException e) {
            if (!conn.expired) {
                errors.incrementAndGet();
            }
        } catch (RuntimeException | Error e) {
            errors.incrementAndGet();
            System.err.println("connection: " + e); // a bug or the JVM in trouble: say so, keep serving
        } finally {
            live.remove(conn);
            open.decrementAndGet();
            closeHeadPipe(conn);
        }
    }

    private static void closeHeadPipe(Connection conn) {
        if (conn.headPipe != null) {
            try {
                conn.headPipe.sink().close();
            } catch (IOException ignored) {
                // a pipe only we used: nothing is lost
            }
            try {
                conn.headPipe.source().close();
            } catch (IOException ignored) {
                // likewise
            }
        }
    }

    /** Answers one request; false when the connection must close afterwards. */
    private boolean respond(Connection conn, HttpHead request, boolean mayKeepAlive) throws IOException {
        SocketChannel socket = conn.socket;
        conn.expect(2, limits.responseNanos);
        if (request.errorStatus != 0) {
            sendError(socket, request.errorStatus, request.errorReason, false);
            return false;
        }
        boolean keepAlive = mayKeepAlive && request.keepAlive() && !request.hasBody();
        // RFC 9112 §3.2: a 1.1 request without Host, or with more than one, gets 400.
        if ((request.http11() && request.count("host") != 1) || request.count("host") > 1) {
            sendError(socket, 400, "Bad Request", false);
            return false;
        }
        boolean head = request.method.equals("HEAD");
        if (!head && !request.method.equals("GET")) {
            sendError(socket, 405, "Method Not Allowed", keepAlive, ALLOW);
            return keepAlive;
        }
        if (request.hasBody()) {
            sendError(socket, 400, "Bad Request", false); // a GET with a body: we do not read bodies
            return false;
        }
        Target target = resolve(request.target);
        if (target.refusal != 0) {
            sendError(socket, target.refusal, target.refusal == 404 ? "Not Found" : "Forbidden", keepAlive, head);
            return keepAlive;
        }
        FileChannel channel;
        try {
            channel = open(target);
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
            sendError(socket, e instanceof NoSuchFileException ? 404 : 403,
                    e instanceof NoSuchFileException ? "Not Found" : "Forbidden", keepAlive, head);
            return keepAlive;
        }
        try (FileChannel file = channel) {
            // The size of what is open, not of what resolve() saw: it is what can be sent.
            long size = file.size();
            Instant modified = target.attributes.lastModifiedTime().toInstant();
            String lastModified = LAST_MODIFIED.format(modified.getEpochSecond());
            String etag = "\"" + Long.toHexString(modified.toEpochMilli()) + "-" + Long.toHexString(size) + "\"";
            long start = 0;
            long length = size;
            String status = "200 OK";
            String extra = "";
            String range = request.field("range");
            // Range is defined for GET only (RFC 9110 §14.2); If-Range decides whether it applies.
            if (range != null && !head && request.count("range") == 1 && ifRangeHolds(request, etag, modified)) {
                long[] r = parseRange(range, size);
                if (r == UNSATISFIABLE) {
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
            conn.expect(2, limits.responseNanos + TimeUnit.SECONDS.toNanos(length / limits.minRate));
            String headers = "HTTP/1.1 " + status + "\r\n"
                    + "Date: " + NOW.format(System.currentTimeMillis() / 1000) + "\r\n"
                    + "Server: zerocopy-FileServer\r\n"
                    + "Content-Type: " + contentType(target.file) + "\r\n"
                    + "Content-Length: " + length + "\r\n"
                    + "Accept-Ranges: bytes\r\n"
                    + "Last-Modified: " + lastModified + "\r\n"
                    + "ETag: " + etag + "\r\n"
                    + extra
                    + (keepAlive ? "" : "Connection: close\r\n")
                    + "\r\n";
            boolean body = !head && length > 0;
            sendHead(conn, ByteBuffer.wrap(headers.getBytes(StandardCharsets.ISO_8859_1)), body);
            if (body) {
                sendBody(file, start, length, socket);
            }
        }
        return keepAlive;
    }

    /**
     * Sends a response head; when a body follows, so that head and body leave in one TCP
     * segment instead of two, as nginx's tcp_nopush (TCP_CORK) does. TCP_NODELAY is on, so a
     * head written alone goes out at once, and each segment costs both ends a trip through the
     * TCP stack and the client a wake-up: measured on loopback (JDK 25, 4 KiB files, wrk -c16)
     * the second segment cost about 15% of the requests per second. Java has neither TCP_CORK
     * nor MSG_MORE, but splice(2) has SPLICE_F_MORE: the head is written into a pipe of the
     * connection's own and spliced to the socket with it, the kernel holds it until the body's
     * transfer (sendfile or splice, without MORE) pushes both. The same in both modes, so they
     * still differ only in the body's call. Without the native library, or when no pipe can be
     * had (EMFILE), the head is written as before.
     */
    private static void sendHead(Connection conn, ByteBuffer head, boolean bodyFollows) throws IOException {
        if (!bodyFollows || headPipe(conn) == null) {
            writeFully(conn.socket, head);
            return;
        }
        int length = head.remaining();
        writeFully(conn.headPipe.sink(), head); // a head is far smaller than a pipe: never waits
        long moved = 0;
        while (moved < length) {
            // Both channels are in blocking mode: a call waits for room instead of returning 0.
            long n = ZeroCopy.splice(conn.headPipe.source(), conn.socket, length - moved, SpliceFlag.MORE);
            if (n <= 0) {
                throw new IOException("splice of the response head moved " + n + " bytes");
            }
            moved += n;
        }
    }

    private static Pipe headPipe(Connection conn) {
        if (conn.headPipe == null && !conn.headPipeRefused) {
            try {
                if (ZeroCopy.isAvailable()) {
                    conn.headPipe = Pipe.open();
                }
            } catch (IOException e) {
                // EMFILE or ENFILE: this connection writes its heads
            }
            conn.headPipeRefused = conn.headPipe == null;
        }
        return conn.headPipe;
    }

    /**
     * RFC 9110 §13.1.5: Range applies when If-Range is absent, or names the current ETag
     * (strong comparison: a weak tag never matches), or exactly the current Last-Modified.
     * Otherwise the whole file is sent, so a resumed download of a changed file starts over
     * instead of splicing old and new bytes.
     */
    static boolean ifRangeHolds(HttpHead request, String etag, Instant modified) {
        String ifRange = request.field("if-range");
        if (ifRange == null) {
            return true;
        }
        if (request.count("if-range") != 1) {
            return false;
        }
        if (ifRange.startsWith("\"") || ifRange.startsWith("W/")) {
            return ifRange.equals(etag);
        }
        try {
            return ZonedDateTime.parse(ifRange, HTTP_DATE).toInstant().getEpochSecond() == modified.getEpochSecond();
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private void sendBody(FileChannel file, long start, long length, SocketChannel socket) throws IOException {
        long done = 0;
        ByteBuffer chunk = null;
        while (done < length) {
            long n = zeroCopy
                    ? ZeroCopy.transferTo(file, start + done, length - done, socket)
                    : file.transferTo(start + done, length - done, socket);
            if (n == 0 && start + done < file.size()) {
                // Measured on JDK 25: FileChannel.transferTo on a virtual thread returns 0 when the
                // socket is full (the descriptor is non-blocking underneath) instead of waiting.
                // A blocking write of the next chunk parks the thread until the peer reads.
                if (chunk == null) {
                    chunk = ByteBuffer.allocate(64 * 1024);
                }
                chunk.clear().limit((int) Math.min(chunk.capacity(), length - done));
                n = Math.max(0, file.read(chunk, start + done));
                chunk.flip();
                writeFully(socket, chunk);
            }
            if (n <= 0) {
                throw new IOException("file shrank while being sent: " + (length - done) + " bytes short");
            }
            done += n;
            bodyBytes.addAndGet(n);
        }
    }

    /** A request target resolved: a regular file inside the root, or the status that refuses it. */
    static final class Target {
        static final Target FORBIDDEN = new Target(null, null, null, 403);
        static final Target NOT_FOUND = new Target(null, null, null, 404);

        /** The real path (no symlink in it), null when refused. */
        final Path file;
        /** The same file relative to the root directory, or null to open {@link #file}. */
        final Path below;
        final BasicFileAttributes attributes;
        /** 0, or 403 / 404. */
        final int refusal;

        Target(Path file, Path below, BasicFileAttributes attributes, int refusal) {
            this.file = file;
            this.below = below;
            this.attributes = attributes;
            this.refusal = refusal;
        }
    }

    /**
     * Opens what {@link #resolve} found. NOFOLLOW_LINKS: its last name was no symlink, so one
     * there now was put in since; it is refused (ELOOP) rather than followed out of the root.
     */
    private FileChannel open(Target target) throws IOException {
        if (target.below != null) {
            SeekableByteChannel channel = rootDirectory.newByteChannel(target.below, READ_NOFOLLOW);
            if (channel instanceof FileChannel) { // it is, on Linux: openat(2) gives a FileChannelImpl
                return (FileChannel) channel;
            }
            channel.close();
        }
        return FileChannel.open(target.file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }

    private static final Set<OpenOption> READ_NOFOLLOW = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);

    /**
     * The file a request target names: refused (403) when it is outside the root (after
     * decoding, normalising and resolving symlinks), not a plain path, not a regular file, or
     * a dotfile that is not allowed; 404 when nothing is there. A directory names its
     * index.html. Every check is on the real path, computed anew for each request (realpath(3):
     * one readlink per name), so a symlink changed while the server runs is seen at once.
     */
    Target resolve(String target) {
        Path candidate = candidate(target);
        if (candidate == null) {
            return Target.FORBIDDEN;
        }
        Target below = resolveBelowRoot(candidate);
        return below != null ? below : resolveReal(candidate);
    }

    /**
     * The decoded, normalised path a target names, or null when it is not a plain path, leaves
     * the root by its names ("..") or names a dotfile that is not allowed.
     */
    private Path candidate(String target) {
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
        if (!candidate.startsWith(root) || (!limits.dotfiles && hasDotSegment(candidate))) {
            return null;
        }
        return candidate;
    }

    /**
     * {@link #resolve} the short way, where it gives the same answer: while the root's path
     * still names the directory opened at start, and no name between it and the file is a
     * symlink, the candidate is its own real path. Each name is looked at with fstatat(2)
     * relative to the root's descriptor (one short lookup each, where realpath(3) costs a
     * readlink of every name from "/"), and the file is opened with openat(2). Null where a
     * symlink is on the way (or the root's path names another directory now): then {@link
     * #resolveReal} decides, as it always did.
     */
    private Target resolveBelowRoot(Path candidate) {
        if (rootDirectory == null || rootKey == null) {
            return null;
        }
        try {
            // A rename of the root or of a directory above it (a deploy) must not leave us
            // serving the old directory: compare what the path names now with what was opened.
            if (!rootKey.equals(Files.readAttributes(root, BasicFileAttributes.class).fileKey())) {
                return null;
            }
            Path below = root.relativize(candidate);
            if (below.toString().isEmpty()) {
                below = null; // the root itself
            }
            int names = below == null ? 0 : below.getNameCount();
            for (int i = 1; i < names; i++) {
                BasicFileAttributes parent = attributesBelowRoot(below.subpath(0, i));
                if (parent.isSymbolicLink()) {
                    return null;
                }
                if (!parent.isDirectory()) {
                    return Target.NOT_FOUND; // a name under a file (ENOTDIR)
                }
            }
            BasicFileAttributes attributes = attributesBelowRoot(below);
            if (attributes.isDirectory()) {
                below = below == null ? Paths.get("index.html") : below.resolve("index.html");
                candidate = candidate.resolve("index.html");
                attributes = attributesBelowRoot(below);
            }
            if (attributes.isSymbolicLink()) {
                return null;
            }
            return attributes.isRegularFile() ? new Target(candidate, below, attributes, 0) : Target.FORBIDDEN;
        } catch (NoSuchFileException e) {
            return Target.NOT_FOUND;
        } catch (IOException e) {
            return null; // let the long way decide what to answer
        }
    }

    /** lstat of a path below the root (the root itself for null), relative to its descriptor. */
    private BasicFileAttributes attributesBelowRoot(Path below) throws IOException {
        return below == null
                ? rootDirectory.getFileAttributeView(BasicFileAttributeView.class).readAttributes()
                : rootDirectory.getFileAttributeView(below, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .readAttributes();
    }

    /** {@link #resolve} by the candidate's real path: symlinks are followed, and then checked. */
    private Target resolveReal(Path candidate) {
        try {
            Path real = candidate.toRealPath();
            // NOFOLLOW_LINKS on a real path: its type, not that of a symlink put there since.
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (attributes.isDirectory()) {
                // realpath(dir/index.html) == realpath(realpath(dir)/index.html): only the final
                // path is checked, as it would be had the directory been named with its index.
                real = real.resolve("index.html").toRealPath();
                attributes = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            }
            if (!real.startsWith(root) || !attributes.isRegularFile()
                    || (!limits.dotfiles && hasDotSegment(real))) {
                return Target.FORBIDDEN;
            }
            return new Target(real, null, attributes, 0);
        } catch (java.nio.file.AccessDeniedException e) {
            return Target.FORBIDDEN;
        } catch (IOException e) {
            return Target.NOT_FOUND; // missing, or a name under a file (ENOTDIR), or a symlink loop
        }
    }

    /**
     * A name below the root in {@code path} (normalised, inside the root) starts with "."
     * (.env, .git/config, .htpasswd).
     */
    private boolean hasDotSegment(Path path) {
        String below = path.toString().substring(rootName.length());
        return below.startsWith(".") || below.contains("/.");
    }

    /** {@link #parseRange}'s answer for "416". */
    static final long[] UNSATISFIABLE = new long[0];
    /** {@link #parseRange}'s answer for "send the whole file with 200". */
    static final long[] WHOLE = new long[1];

    /**
     * RFC 9110 §14.1-14.2 for a Range header: one satisfiable range as {first, last} inclusive
     * (a last-byte-pos past the end, however large, is clamped to the end); {@link #WHOLE}
     * when the header is to be ignored (another unit, bad syntax) or names several ranges of
     * which at least one is satisfiable (a server may answer those with 200 and the whole
     * file); {@link #UNSATISFIABLE} when no range is.
     */
    static long[] parseRange(String header, long size) {
        String value = header.trim();
        if (!value.regionMatches(true, 0, "bytes=", 0, 6)) {
            return WHOLE;
        }
        String[] specs = value.substring(6).split(",", -1);
        long[] only = null;
        int satisfiable = 0;
        int count = 0;
        for (String raw : specs) {
            String spec = raw.trim();
            if (spec.isEmpty()) {
                continue; // empty list elements are allowed (RFC 9110 §5.6.1)
            }
            count++;
            int dash = spec.indexOf('-');
            if (dash < 0) {
                return WHOLE;
            }
            String first = spec.substring(0, dash);
            String last = spec.substring(dash + 1);
            if (!digits(first) && !first.isEmpty() || !digits(last) && !last.isEmpty()
                    || first.isEmpty() && last.isEmpty()) {
                return WHOLE;
            }
            long[] r;
            if (first.isEmpty()) {
                long suffix = number(last);
                r = suffix == 0 || size == 0 ? null : new long[] {Math.max(0, size - suffix), size - 1};
            } else {
                long from = number(first);
                long to = last.isEmpty() ? Long.MAX_VALUE : number(last);
                if (to < from) {
                    return WHOLE; // invalid range-spec: the whole header is ignored
                }
                r = from >= size ? null : new long[] {from, Math.min(to, size - 1)};
            }
            if (r != null) {
                satisfiable++;
                only = r;
            }
        }
        if (count == 0) {
            return WHOLE;
        }
        if (satisfiable == 0) {
            return UNSATISFIABLE;
        }
        return count == 1 ? only : WHOLE;
    }

    private static boolean digits(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** A decimal number, Long.MAX_VALUE when it is larger (every file is smaller). */
    private static long number(String digits) {
        BigInteger n = new BigInteger(digits);
        return n.bitLength() < 63 ? n.longValue() : Long.MAX_VALUE;
    }

    static String contentType(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        return type != null ? type : "application/octet-stream";
    }

    private void sendError(SocketChannel socket, int code, String reason, boolean keepAlive, String... extra)
            throws IOException {
        sendError(socket, code, reason, keepAlive, false, extra);
    }

    /** An error response; {@code headOnly} (HEAD requests) sends its headers without the body. */
    private void sendError(SocketChannel socket, int code, String reason, boolean keepAlive, boolean headOnly,
            String... extra) throws IOException {
        byte[] text = (code + " " + reason + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = headOnly ? new byte[0] : text;
        String headers = "HTTP/1.1 " + code + " " + reason + "\r\n"
                + "Date: " + NOW.format(System.currentTimeMillis() / 1000) + "\r\n"
                + "Server: zerocopy-FileServer\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + text.length + "\r\n"
                + String.join("", extra)
                + (keepAlive ? "" : "Connection: close\r\n")
                + "\r\n";
        ByteBuffer out = ByteBuffer.allocate(headers.length() + body.length);
        out.put(headers.getBytes(StandardCharsets.ISO_8859_1)).put(body).flip();
        writeFully(socket, out);
    }

    private static void writeFully(WritableByteChannel socket, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            socket.write(buffer);
        }
    }
}
