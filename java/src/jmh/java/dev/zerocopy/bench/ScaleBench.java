package dev.zerocopy.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Relay at scale: N concurrent proxied connections (N = 1, 100, 1,000, 10,000) through a proxy
 * in its own process, every N moving the same total (each connection total/N bytes, client ->
 * proxy -> upstream sink). The load generator and the upstream are this process, on one
 * Selector thread; one more connection is an echo through the same proxy, pinged with 64 bytes
 * by a platform thread for the latency of a small request/response through a busy proxy.
 *
 * <pre>
 * ScaleBench --out FILE.jsonl --counts 1,100,1000,10000 --total BYTES --java JAVA --cp CLASSPATH
 *            --config "NAME=MAIN ARGS..." [--config ...] [--path NAME]
 *            [--relay-prefix "ip netns exec NS"] [--relay-host ADDR] [--load-host ADDR]
 * </pre>
 *
 * In each config's ARGS, {@code {listen}} and {@code {connect}} become the proxy's listen port
 * and the upstream port, {@code {relayhost}} and {@code {loadhost}} the proxy's address and
 * this process's (the upstream's). With a prefix the proxy runs in another network namespace
 * (a veth pair away: client -> proxy and proxy -> upstream then each cross it once). Per run one JSON line: throughput, the proxy's CPU (utime+stime from
 * /proc/PID/stat) per GB, the machine's, RSS growth per connection (idle and peak during the
 * transfer), peak direct memory, pipes and bytes in pipes (when the proxy prints STATS lines,
 * as {@link ScaleRelay} does), and ping p50/p99.
 */
public final class ScaleBench {
    private ScaleBench() {}

    private static final byte SINK = 'S';
    private static final byte ECHO = 'E';
    private static final int PING = 64;
    /** Where the relay listens (clients connect there) and where the upstream end listens. */
    static String relayHost = "127.0.0.1";
    static String loadHost = "127.0.0.1";
    /** The relay's listen port: a new one per run, in the relay's own network namespace. */
    private static int nextPort = 20000;

    public static void main(String[] args) throws Exception {
        String out = null;
        String java = "java";
        String cp = System.getProperty("java.class.path");
        long total = 1L << 30;
        int[] counts = {1, 100, 1000, 10000};
        long maxDirect = 4L << 30;
        String prefix = "";
        String path = "loopback";
        List<String[]> configs = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--out": out = v; break;
                case "--java": java = v; break;
                case "--cp": cp = v; break;
                case "--total": total = Long.parseLong(v); break;
                case "--max-direct": maxDirect = Long.parseLong(v); break;
                case "--counts": counts = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray(); break;
                case "--config": configs.add(v.split("=", 2)); break;
                case "--relay-prefix": prefix = v; break;
                case "--relay-host": relayHost = v; break;
                case "--load-host": loadHost = v; break;
                case "--path": path = v; break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        try (PrintStream results = new PrintStream(Files.newOutputStream(Paths.get(out)), true, "UTF-8")) {
            for (int n : counts) {
                for (String[] config : configs) {
                    String name = config[0];
                    long buffers = needsDirect(config[1]) * 2L * n;
                    if (buffers > maxDirect) {
                        String line = String.format(Locale.ROOT,
                                "{\"impl\":\"%s\",\"connections\":%d,\"skipped\":\"needs %d MiB of direct buffers (2 per connection)\"}",
                                name, n, buffers >> 20);
                        results.println(line);
                        System.out.println(line);
                        continue;
                    }
                    String line;
                    try {
                        line = new ScaleBench.Run(name, config[1], n, total / n).run(prefix, java, cp);
                    } catch (IOException e) {
                        // One failed cell (a stall, a proxy that did not start) is reported, not fatal.
                        line = String.format(Locale.ROOT, "{\"impl\":\"%s\",\"connections\":%d,\"error\":\"%s\"}",
                                name, n, String.valueOf(e.getMessage()).replace("\\", "/").replace("\"", "'"));
                    }
                    line = line.replaceFirst("^\\{", "{\"path\":\"" + path + "\",");
                    results.println(line);
                    System.out.println(line);
                }
            }
        }
    }

    /** The NIO relay's per-direction buffer (0 for other proxies). */
    private static long needsDirect(String command) {
        if (command.contains("SpliceProxy") && command.contains("--mode nio")) {
            return 256 * 1024; // its NioDirection's buffer, allocated when the connection opens
        }
        String[] words = command.split(" ");
        for (int i = 0; i + 1 < words.length; i++) {
            if (words[i].equals("--buffer") && command.contains("--mode nio")) {
                return Long.parseLong(words[i + 1]);
            }
        }
        return 0;
    }

    static long procTicks(long pid) throws IOException {
        String stat = new String(Files.readAllBytes(Paths.get("/proc/" + pid + "/stat")), StandardCharsets.US_ASCII);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static long machineTicks() throws IOException {
        String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
        return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                + Long.parseLong(f[7]) + Long.parseLong(f[8]);
    }

    static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    /** One proxy process, one connection count. */
    static final class Run {
        private final String name;
        private final String command;
        private final int n;
        private final long each;
        private final AtomicLong peakRss = new AtomicLong();
        private final AtomicLong peakDirect = new AtomicLong();
        private final AtomicLong peakPipes = new AtomicLong();
        private final AtomicLong peakInPipes = new AtomicLong();
        private final AtomicLong lastDirect = new AtomicLong();
        /** The proxy prints STATS lines (ScaleRelay does; SpliceProxy does not). */
        private volatile boolean stats;
        private volatile boolean sampling;

        Run(String name, String command, int n, long each) {
            this.name = name;
            this.command = command;
            this.n = n;
            this.each = each;
        }

        String run(String prefix, String java, String cp) throws Exception {
            // ScaleBench and the relay run in private network namespaces: a counter finds free ports.
            int listen = nextPort++;
            try (ServerSocketChannel upstream = ServerSocketChannel.open()) {
                upstream.bind(new InetSocketAddress(loadHost, 0), 16384);
                int connect = upstream.socket().getLocalPort();
                List<String> cmd = new ArrayList<>();
                if (!prefix.isEmpty()) {
                    cmd.addAll(Arrays.asList(prefix.split(" ")));
                }
                cmd.addAll(Arrays.asList(java, "-Xms256m", "-Xmx1g",
                        "-XX:MaxDirectMemorySize=8g", "--enable-native-access=ALL-UNNAMED", "-cp", cp));
                for (String w : command.split(" ")) {
                    cmd.add(w.replace("{listen}", Integer.toString(listen)).replace("{connect}", Integer.toString(connect))
                            .replace("{relayhost}", relayHost).replace("{loadhost}", loadHost));
                }
                Process proxy = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                try {
                    return measure(proxy, upstream, listen);
                } finally {
                    proxy.destroy();
                    if (!proxy.waitFor(5, TimeUnit.SECONDS)) {
                        proxy.destroyForcibly().waitFor();
                    }
                }
            }
        }

        private String measure(Process proxy, ServerSocketChannel upstream, int listen) throws Exception {
            CountDownLatch up = new CountDownLatch(1);
            Thread reader = new Thread(() -> readProxy(proxy, up), "proxy-output");
            reader.setDaemon(true);
            reader.start();
            if (!up.await(30, TimeUnit.SECONDS)) {
                throw new IOException(name + ": proxy did not start");
            }
            long pid = proxy.pid();
            Thread sampler = new Thread(() -> sample(pid), "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
            InetSocketAddress target = new InetSocketAddress(relayHost, listen);
            // Warm-up (JIT, pipe pool), not measured: 64 MiB through 4 connections.
            new Load(upstream, target, 4, 16L << 20).connectAll().transfer(null);
            Thread.sleep(300);
            long baseRss = ScaleBench.rssBytes(pid);
            long baseDirect = lastDirect.get();

            Load load = new Load(upstream, target, n, each).connectAll();
            Thread.sleep(300);
            long idleRss = ScaleBench.rssBytes(pid);
            long idleDirect = lastDirect.get();
            // The ping connection opens after the idle measurement: per-connection memory is the N's.
            SocketChannel ping = SocketChannel.open(target);
            ping.write(ByteBuffer.wrap(new byte[] {ECHO}));
            load.acceptEcho();

            Pinger pinger = new Pinger(ping);
            peakRss.set(idleRss);
            peakDirect.set(idleDirect);
            peakPipes.set(0);
            peakInPipes.set(0);
            sampling = true;
            long p0 = ScaleBench.procTicks(pid);
            long m0 = ScaleBench.machineTicks();
            long t0 = System.nanoTime();
            load.transfer(pinger);
            long t1 = System.nanoTime();
            long p1 = ScaleBench.procTicks(pid);
            long m1 = ScaleBench.machineTicks();
            sampling = false;
            long[] lat = pinger.finish();
            ping.close();
            load.closeAll();

            double hz = 100.0; // USER_HZ on Linux
            double seconds = (t1 - t0) / 1e9;
            double gb = load.received / 1e9;
            return String.format(Locale.ROOT,
                    "{\"impl\":\"%s\",\"connections\":%d,\"bytes\":%d,\"seconds\":%.3f,\"gbps\":%.3f,"
                            + "\"proc_cpu_s_per_gb\":%.4f,\"machine_cpu_s_per_gb\":%.4f,"
                            + "\"base_rss_mib\":%.1f,\"idle_rss_kib_per_conn\":%.1f,\"peak_rss_kib_per_conn\":%.1f,"
                            + "\"idle_direct_kib_per_conn\":%.1f,\"peak_direct_mib\":%.1f,\"peak_pipes\":%d,"
                            + "\"peak_in_pipes_mib\":%.2f,\"pings\":%d,\"p50_us\":%.1f,\"p99_us\":%.1f}",
                    name, n, load.received, seconds, load.received * 8 / seconds / 1e9,
                    (p1 - p0) / hz / gb, (m1 - m0) / hz / gb,
                    baseRss / 1048576.0, (idleRss - baseRss) / 1024.0 / n, (peakRss.get() - baseRss) / 1024.0 / n,
                    (idleDirect - baseDirect) / 1024.0 / n, peakDirect.get() / 1048576.0, peakPipes.get(),
                    peakInPipes.get() / 1048576.0, lat.length, pct(lat, 0.50) / 1e3, pct(lat, 0.99) / 1e3)
                    .replaceFirst("\\}$", stats ? ",\"stats\":true}" : ",\"stats\":false}");
        }

        private static double pct(long[] sorted, double q) {
            if (sorted.length == 0) {
                return -1;
            }
            return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
        }

        private void readProxy(Process proxy, CountDownLatch up) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("STATS ")) {
                        String[] f = line.split(" ");
                        long direct = Long.parseLong(f[1]);
                        lastDirect.set(direct);
                        stats = true;
                        if (sampling) {
                            peakDirect.accumulateAndGet(direct, Math::max);
                            peakPipes.accumulateAndGet(Long.parseLong(f[2]), Math::max);
                            peakInPipes.accumulateAndGet(Long.parseLong(f[3]), Math::max);
                        }
                    } else {
                        if (line.contains("listening on")) {
                            up.countDown();
                        } else {
                            System.out.println("  [" + name + "] " + line);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the proxy was stopped: its output ends here
            }
        }

        private void sample(long pid) {
            while (true) {
                try {
                    if (sampling) {
                        peakRss.accumulateAndGet(ScaleBench.rssBytes(pid), Math::max);
                    }
                    Thread.sleep(20);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** 64-byte request/response on a blocking connection, back to back, until stopped. */
    static final class Pinger extends Thread {
        private final SocketChannel channel;
        private final long[] samples = new long[1 << 20];
        private int count;
        private volatile boolean running = true;

        Pinger(SocketChannel channel) {
            super("pinger");
            this.channel = channel;
            setDaemon(true);
        }

        @Override
        public void run() {
            ByteBuffer out = ByteBuffer.allocateDirect(PING);
            ByteBuffer in = ByteBuffer.allocateDirect(PING);
            try {
                while (running && count < samples.length) {
                    out.clear();
                    in.clear();
                    long t = System.nanoTime();
                    while (out.hasRemaining()) {
                        channel.write(out);
                    }
                    while (in.hasRemaining()) {
                        if (channel.read(in) < 0) {
                            return;
                        }
                    }
                    samples[count++] = System.nanoTime() - t;
                    Thread.sleep(1);
                }
            } catch (IOException | InterruptedException e) {
                // the run ended under us: keep what was measured
            }
        }

        long[] finish() throws InterruptedException {
            running = false;
            join(5000);
            long[] s = Arrays.copyOf(samples, count);
            Arrays.sort(s);
            return s;
        }
    }

    /** N client connections through the proxy and their upstream ends, on one Selector. */
    static final class Load {
        private final ServerSocketChannel upstream;
        private final InetSocketAddress target;
        private final int n;
        private final long each;
        private final Selector selector;
        private final List<SocketChannel> clients = new ArrayList<>();
        private final List<SocketChannel> servers = new ArrayList<>();
        private final ByteBuffer data = ByteBuffer.allocateDirect(256 * 1024);
        private final ByteBuffer sink = ByteBuffer.allocateDirect(1 << 20);
        private long received;
        private int sinks;
        private int echoes;

        Load(ServerSocketChannel upstream, InetSocketAddress target, int n, long each) throws IOException {
            this.upstream = upstream;
            this.target = target;
            this.n = n;
            this.each = each;
            this.selector = Selector.open();
            for (int i = 0; i < data.capacity(); i++) {
                data.put(i, (byte) (i * 31 + 7));
            }
        }

        /** Opens the N connections (at most 512 handshakes in flight) and waits for every header upstream. */
        Load connectAll() throws IOException {
            upstream.configureBlocking(false);
            SelectionKey accept = upstream.register(selector, SelectionKey.OP_ACCEPT);
            int opened = 0;
            int connecting = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (sinks < n) {
                while (opened < n && connecting < 512) {
                    SocketChannel c = SocketChannel.open();
                    c.configureBlocking(false);
                    c.connect(target);
                    c.register(selector, SelectionKey.OP_CONNECT, new long[] {each});
                    clients.add(c);
                    opened++;
                    connecting++;
                }
                selector.select(100);
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (k == accept) {
                        acceptAll(k.selector());
                    } else if (k.isConnectable()) {
                        SocketChannel c = (SocketChannel) k.channel();
                        c.finishConnect();
                        connecting--;
                        c.write(ByteBuffer.wrap(new byte[] {SINK}));
                        k.interestOps(0);
                    } else if (k.isReadable()) {
                        readUpstream(k);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("only " + sinks + " of " + n + " connections reached upstream");
                }
            }
            return this;
        }

        private void acceptAll(Selector sel) throws IOException {
            for (SocketChannel s; (s = upstream.accept()) != null; ) {
                s.configureBlocking(false);
                s.register(sel, SelectionKey.OP_READ, new int[] {-1});
                servers.add(s);
            }
        }

        /** Header first (sink or echo), then discard or echo back. */
        private void readUpstream(SelectionKey k) throws IOException {
            SocketChannel s = (SocketChannel) k.channel();
            int[] kind = (int[]) k.attachment();
            sink.clear();
            int r = s.read(sink);
            if (r < 0) {
                k.cancel();
                s.close();
                return;
            }
            if (r == 0) {
                return;
            }
            sink.flip();
            if (kind[0] == -1) {
                kind[0] = sink.get();
                if (kind[0] == SINK) {
                    sinks++;
                } else {
                    // The echo end gets a thread of its own, so the ping measures the relay,
                    // not this busy load-generator loop.
                    k.cancel();
                    echoes++;
                    Thread echo = new Thread(() -> echo(s), "echo");
                    echo.setDaemon(true);
                    echo.start();
                    return;
                }
            }
            received += sink.remaining();
        }

        private static void echo(SocketChannel s) {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            try (SocketChannel channel = s) {
                // A cancelled key leaves the Selector at its next select: only then may the
                // channel block.
                while (channel.isRegistered()) {
                    Thread.sleep(1);
                }
                channel.configureBlocking(true);
                while (channel.read(b) >= 0) {
                    b.flip();
                    while (b.hasRemaining()) {
                        channel.write(b);
                    }
                    b.clear();
                }
            } catch (IOException | InterruptedException e) {
                // the run ended: the ping connection was closed
            }
        }

        void acceptEcho() throws IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (echoes == 0) {
                pollOnce(100);
                if (System.nanoTime() > deadline) {
                    throw new IOException("the echo connection did not reach upstream");
                }
            }
        }

        private void pollOnce(long timeout) throws IOException {
            selector.select(timeout);
            for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey k = it.next();
                it.remove();
                if (!k.isValid()) {
                    continue;
                }
                if (k.isAcceptable()) {
                    acceptAll(k.selector());
                } else if (k.isReadable()) {
                    readUpstream(k);
                } else if (k.isWritable()) {
                    SocketChannel c = (SocketChannel) k.channel();
                    long[] left = (long[]) k.attachment();
                    ByteBuffer b = data.duplicate();
                    b.limit((int) Math.min(b.capacity(), left[0]));
                    left[0] -= c.write(b);
                    if (left[0] == 0) {
                        c.shutdownOutput();
                        k.interestOps(0);
                    }
                }
            }
        }

        /** Every client writes its share; returns once upstream received all of it. */
        void transfer(Pinger pinger) throws IOException {
            long goal = received + each * n;
            for (SocketChannel c : clients) {
                c.keyFor(selector).interestOps(SelectionKey.OP_WRITE);
            }
            if (pinger != null) {
                pinger.start();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
            while (received < goal) {
                pollOnce(100);
                if (System.nanoTime() > deadline) {
                    throw new IOException("transfer stalled at " + received + " of " + goal + " bytes");
                }
            }
            if (pinger == null) {
                closeAll();
            }
        }

        void closeAll() throws IOException {
            for (SocketChannel c : clients) {
                c.close();
            }
            for (SocketChannel s : servers) {
                s.close();
            }
            selector.close();
        }
    }
}
