package dev.zerocopy.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code gradle benchReport}: reads {@code build/bench/<jdk>/results.json} (JMH) and
 * {@code build/bench/limit.json} (examples/limit.rs) and writes {@code bench/REPORT.md}
 * and {@code bench/ratios.svg}.
 *
 * <p>Benchmarks are compared within one class and one data size: methods named
 * {@code nio...} are the NIO twins, and the best of them (over every buffer size) is the
 * baseline; every other method ({@code zc...}, {@code netty...}) gets a row with its ratio
 * to that baseline. Ratio > 1 means faster than the best NIO twin, in both throughput and
 * time-per-operation benchmarks; the CPU ratio is process CPU per byte against the NIO
 * baseline's (< 1 means less CPU).
 */
public final class Report {
    private Report() {}

    /** The limit technique that makes the same system calls as each benchmark method. */
    private static final Map<String, String> LIMIT_TECHNIQUE = new HashMap<>();

    static {
        String[][] pairs = {
            {"FileToSocketBench.nioTransferTo", "sendfile"},
            {"FileToSocketBench.nioHeapLoop", "readwrite"},
            {"FileToSocketBench.nioDirectLoop", "readwrite"},
            // A blocking socket is fed through a pipe (DESIGN §2), so transferTo splices.
            {"FileToSocketBench.zcTransferTo", "splice"},
            {"FileToSocketBench.zcSplice", "splice"},
            // sendfile on a blocking socket splices through the library's pipe; on a
            // non-blocking one (the Selector pair) it is sendfile(2).
            {"FileToSocketBench.zcSendfile", "splice"},
            {"FileToSocketBench.zcSendfileSelector", "sendfile"},
            {"FileToSocketBench.nioTransferToSelector", "sendfile"},
            {"FileToSocketBench.zcTransferToSelector", "sendfile"},
            {"FileToPipeBench.nioTransferTo", "sendfile"},
            // The library splices with SPLICE_F_NONBLOCK and polls when the pipe is full.
            {"FileToPipeBench.zcTransferTo", "splice_poll"},
            {"FileToPipeBench.zcSplice", "splice_poll"},
            {"FileToPipeBench.nioTransferToBigPipe", "sendfile"},
            {"FileToPipeBench.zcSpliceBigPipe", "splice_poll"},
            {"FileToFileBench.nioTransferTo", "sendfile"},
            {"FileToFileBench.zcTransferTo", "sendfile"},
            {"FileToFileBench.zcSplice", "splice"},
            {"FileToFileBench.zcCopyFileRange", "copy_file_range"},
            {"FileToFileBench.zcTransferFrom", "copy_file_range"},
            // JDK 17's transferFrom from a socket: 8 KiB reads, positional writes.
            {"SocketToFileBench.nioTransferFrom", "readwrite_8k"},
            {"SocketToFileBench.zcTransferFrom", "splice"},
            {"TeeBench.nioReadWriteTwice", "readwrite"},
            {"TeeBench.zcTee", "tee"},
            {"MapBench.nioMapRead", "mmap_read"},
            {"MapBench.zcMapRead", "mmap_read"},
            {"MapBench.nioMapCycle", "mmap_cycle"},
            {"MapBench.zcMapCycle", "mmap_cycle"},
            {"SocketRelayBench.nioDirectRelay", "readwrite"},
            {"SocketRelayBench.zcSplice", "splice"},
            {"SocketRelayBench.zcRelay", "splice"},
            {"SocketRelayBench.zcRelaySelector", "splice"},
            {"SocketRelayBench.nettySpliceTo", "splice"},
            {"SmallTransferBench.nioTransferToPipe", "splice_pipe"},
            {"SmallTransferBench.zcSpliceToPipe", "splice_pipe"},
            {"SmallTransferBench.zcTransferToPipe", "splice_pipe"},
            {"SmallTransferBench.zcSpliceThroughPipe", "splice_pipe_null"},
            {"SmallTransferBench.nioTransferToNull", "sendfile_null"},
            {"SmallTransferBench.zcTransferToNull", "sendfile_null"},
            {"SmallTransferBench.nioTransferToZero", "splice_zero"},
            {"SmallTransferBench.zcSpliceZero", "splice_zero"},
        };
        for (String[] pair : pairs) {
            LIMIT_TECHNIQUE.put(pair[0], pair[1]);
        }
    }

    /**
     * Methods compared with one named NIO twin rather than the best NIO method of their class
     * (where the class's NIO methods do different things: a pipe, /dev/null, zero bytes, or
     * the same thing into a pipe of another capacity).
     */
    private static final Map<String, String> TWIN = new HashMap<>();

    static {
        TWIN.put("SmallTransferBench.zcSpliceToPipe", "nioTransferToPipe");
        TWIN.put("SmallTransferBench.zcTransferToPipe", "nioTransferToPipe");
        TWIN.put("SmallTransferBench.zcSpliceThroughPipe", "nioTransferToPipe");
        TWIN.put("SmallTransferBench.zcTransferToNull", "nioTransferToNull");
        TWIN.put("SmallTransferBench.zcSpliceZero", "nioTransferToZero");
        TWIN.put("MapBench.zcMapRead", "nioMapRead");
        TWIN.put("MapBench.zcMapCycle", "nioMapCycle");
        // Like with like: the same pipe capacity on both sides (64 KiB Pipe.open(), 1 MiB KernelPipe);
        // the best NIO method of the class would set a 1 MiB pipe against a 64 KiB one.
        TWIN.put("FileToPipeBench.zcTransferTo", "nioTransferTo");
        TWIN.put("FileToPipeBench.zcSplice", "nioTransferTo");
        TWIN.put("FileToPipeBench.zcSpliceBigPipe", "nioTransferToBigPipe");
    }

    /** One JMH result: a method at one parameter set on one JDK. */
    static final class Result {
        String jdk;
        String jdkVersion;
        String bench;   // class simple name
        String method;
        long size;      // bytes per operation: the size or length parameter, 0 if none
        String variant; // other parameters, e.g. bufferSize=262144
        boolean perOp;  // average time (ns/op) rather than throughput
        double value;   // bytes/s for throughput, ns/op for average time
        double cpuPerByte;
        String profile;

        String label() {
            return method + (variant.isEmpty() ? "" : " (" + variant + ")");
        }

        /** Higher is better for both kinds: bytes/s, or operations per ns. */
        double goodness() {
            return perOp ? 1 / value : value;
        }
    }

    /** A zerocopy row against the best NIO twin. */
    static final class Row {
        Result nio;
        Result zc;
        Double limit; // same-syscall ceiling in the result's unit, null if none

        double ratio() {
            return zc.goodness() / nio.goodness();
        }

        double cpuRatio() {
            return zc.cpuPerByte / nio.cpuPerByte;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Report BENCH_RESULTS_DIR OUTPUT_DIR");
            System.exit(2);
        }
        Path in = Paths.get(args[0]);
        Path out = Paths.get(args[1]);
        List<Result> results = new ArrayList<>();
        File[] jdkDirs = in.toFile().listFiles(f -> f.isDirectory() && f.getName().matches("\\d+"));
        if (jdkDirs != null) {
            for (File dir : jdkDirs) {
                Path json = dir.toPath().resolve("results.json");
                if (Files.isRegularFile(json)) {
                    results.addAll(readJmh(dir.getName(), json));
                }
            }
        }
        if (results.isEmpty()) {
            throw new IOException("no JMH results under " + in + "/<jdk>/results.json: run `gradle bench` first");
        }
        results.sort(Comparator.comparing((Result r) -> Integer.parseInt(r.jdk))
                .thenComparing(r -> r.bench).thenComparingLong(r -> r.size).thenComparing(r -> r.method)
                .thenComparing(r -> r.variant));
        Map<String, Map<String, Object>> limit = readLimit(in.resolve("limit.json"));
        List<Row> rows = rows(results, limit);
        Files.createDirectories(out);
        Files.write(out.resolve("REPORT.md"), markdown(results, rows, limit, in.resolve("limit.json")).getBytes(StandardCharsets.UTF_8));
        Files.write(out.resolve("ratios.svg"), svg(rows).getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + out.resolve("REPORT.md") + " and " + out.resolve("ratios.svg")
                + " (" + rows.size() + " comparisons, " + results.size() + " results)");
    }

    static List<Result> readJmh(String jdk, Path json) throws IOException {
        List<Result> results = new ArrayList<>();
        for (Object item : Json.array(Json.parse(new String(Files.readAllBytes(json), StandardCharsets.UTF_8)))) {
            Map<String, Object> run = Json.object(item);
            Result r = new Result();
            r.jdk = jdk;
            r.jdkVersion = String.valueOf(run.get("jdkVersion"));
            String name = String.valueOf(run.get("benchmark"));
            String[] parts = name.split("\\.");
            r.bench = parts[parts.length - 2];
            r.method = parts[parts.length - 1];
            Map<String, Object> params = Json.object(run.get("params"));
            StringBuilder variant = new StringBuilder();
            for (Map.Entry<String, Object> p : new TreeMap<>(params).entrySet()) {
                if (p.getKey().equals("size") || p.getKey().equals("length")) {
                    r.size = Long.parseLong(String.valueOf(p.getValue()));
                } else {
                    variant.append(variant.length() == 0 ? "" : ", ").append(p.getKey()).append('=')
                            .append(bytes(Long.parseLong(String.valueOf(p.getValue()))));
                }
            }
            r.variant = variant.toString();
            r.perOp = !"thrpt".equals(run.get("mode"));
            Map<String, Object> primary = Json.object(run.get("primaryMetric"));
            double score = Json.number(primary.get("score"));
            String unit = String.valueOf(primary.get("scoreUnit"));
            if (r.perOp) {
                if (!unit.equals("ns/op")) {
                    throw new IOException(name + ": expected ns/op, got " + unit);
                }
                r.value = score;
            } else {
                if (!unit.equals("ops/s")) {
                    throw new IOException(name + ": expected ops/s, got " + unit);
                }
                r.value = score * r.size;
            }
            Map<String, Object> secondary = Json.object(run.get("secondaryMetrics"));
            double moved = Json.number(Json.object(secondary.get("bytes")).get("score"));
            double cpu = Json.number(Json.object(secondary.get("cpuNanos")).get("score"));
            r.cpuPerByte = moved > 0 ? cpu / moved : Double.NaN;
            r.profile = (long) Json.number(run.get("measurementIterations")) + " x " + run.get("measurementTime")
                    + " after " + (long) Json.number(run.get("warmupIterations")) + " x " + run.get("warmupTime") + " warmup";
            results.add(r);
        }
        return results;
    }

    /** "scenario/technique/size" -> the limit's sample; empty when there is no limit file. */
    static Map<String, Map<String, Object>> readLimit(Path json) throws IOException {
        Map<String, Map<String, Object>> samples = new LinkedHashMap<>();
        if (!Files.isRegularFile(json)) {
            return samples;
        }
        Map<String, Object> root = Json.object(Json.parse(new String(Files.readAllBytes(json), StandardCharsets.UTF_8)));
        for (Object item : Json.array(root.get("results"))) {
            Map<String, Object> s = Json.object(item);
            samples.put(s.get("scenario") + "/" + s.get("technique") + "/" + (long) Json.number(s.get("size")), s);
        }
        return samples;
    }

    static List<Row> rows(List<Result> results, Map<String, Map<String, Object>> limit) {
        Map<String, List<Result>> groups = new LinkedHashMap<>();
        for (Result r : results) {
            groups.computeIfAbsent(r.jdk + "/" + r.bench + "/" + r.size, k -> new ArrayList<>()).add(r);
        }
        List<Row> rows = new ArrayList<>();
        for (List<Result> group : groups.values()) {
            for (Result r : group) {
                if (r.method.startsWith("nio")) {
                    continue;
                }
                String twin = TWIN.get(r.bench + "." + r.method);
                Result best = null;
                for (Result n : group) {
                    if (n.method.startsWith("nio") && (twin == null || twin.equals(n.method))
                            && (best == null || n.goodness() > best.goodness())) {
                        best = n;
                    }
                }
                if (best == null) {
                    continue;
                }
                Row row = new Row();
                row.nio = best;
                row.zc = r;
                String technique = LIMIT_TECHNIQUE.get(r.bench + "." + r.method);
                Map<String, Object> sample = technique == null ? null : limit.get(r.bench + "/" + technique + "/" + r.size);
                if (sample != null) {
                    row.limit = Json.number(sample.get(r.perOp ? "nsPerOp" : "bytesPerSecond"));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    static String markdown(List<Result> results, List<Row> rows, Map<String, Map<String, Object>> limit, Path limitFile) {
        StringBuilder md = new StringBuilder();
        md.append("# zerocopy vs NIO: benchmark report\n\n");
        md.append("Generated by `gradle benchReport` from `build/bench/<jdk>/results.json` (JMH; measurement ")
                .append(results.get(0).profile).append(" per benchmark) and `build/bench/limit.json` ")
                .append("(examples/limit.rs: the same system calls without a JVM). Machine: ")
                .append(machine()).append(".\n\n");
        if (results.get(0).profile.startsWith("1 x ")) {
            md.append("> **Smoke run (quick profile)**: one short iteration per benchmark, JIT barely warm; these numbers "
                    + "prove the benchmarks run, nothing more. Use `bench/run.sh` (full profile) on a quiet machine.\n\n");
        }
        md.append("Reproduce: `bench/run.sh` (JMH on JDK 17 and 25, the limit, this report; ~32 min), or "
                + "`gradle bench -Pbench.jdk=17 -Pbench.include=FileToSocket` then `gradle benchReport`.\n\n");
        md.append("- **NIO best**: the fastest NIO twin in the same class at the same size, over every buffer size "
                + "(small transfers: the NIO call with the same destination; map: the same access through a MappedByteBuffer).\n");
        md.append("- **ratio**: zerocopy / NIO best (throughput), or NIO time / zerocopy time (small transfers); > 1 = zerocopy faster.\n");
        md.append("- **CPU/GB ratio**: process CPU time (user + sys, all threads, including the reader thread both sides share) "
                + "per byte moved, zerocopy / NIO best; < 1 = zerocopy uses less CPU.\n");
        md.append("- **limit**: the same system calls from Rust without a JVM (examples/limit.rs); **% of limit** = zerocopy / limit "
                + "(over 100% means the limit run was unlucky: on 2 cores, reader and writer threads either run side by side or "
                + "take turns, and the difference is several-fold).\n\n");
        md.append("| benchmark | size | NIO best | zerocopy | ratio | CPU/GB ratio | JDK | limit | % of limit |\n");
        md.append("|---|---:|---|---:|---:|---:|---|---:|---:|\n");
        for (Row row : rows) {
            md.append("| ").append(row.zc.bench.replace("Bench", "")).append(' ').append(row.zc.method)
                    .append(" | ").append(row.zc.size == 0 ? "0" : bytes(row.zc.size))
                    .append(" | ").append(value(row.nio)).append(' ').append(row.nio.label())
                    .append(" | ").append(value(row.zc))
                    .append(" | ").append(String.format(Locale.ROOT, "%.2fx", row.ratio()))
                    .append(" | ").append(Double.isNaN(row.cpuRatio()) ? "n/a" : String.format(Locale.ROOT, "%.2fx", row.cpuRatio()))
                    .append(" | ").append(row.zc.jdk)
                    .append(" | ").append(row.limit == null ? "n/a" : format(row.limit, row.zc.perOp))
                    .append(" | ").append(row.limit == null ? "n/a"
                            : String.format(Locale.ROOT, "%.0f%%", 100 * (row.zc.perOp ? row.limit / row.zc.value : row.zc.value / row.limit)))
                    .append(" |\n");
        }
        md.append("\n![ratios](ratios.svg)\n\n## Every result\n\n");
        md.append("| JDK | benchmark | size | parameters | throughput or time | CPU s/GiB |\n|---|---|---:|---|---:|---:|\n");
        for (Result r : results) {
            md.append("| ").append(r.jdk).append(" (").append(r.jdkVersion).append(") | ")
                    .append(r.bench).append('.').append(r.method).append(" | ")
                    .append(r.size == 0 ? "0" : bytes(r.size)).append(" | ").append(r.variant).append(" | ")
                    .append(value(r)).append(" | ")
                    .append(Double.isNaN(r.cpuPerByte) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.cpuPerByte * (1L << 30) / 1e9))
                    .append(" |\n");
        }
        md.append("\n## The limit (no JVM)\n\n");
        if (limit.isEmpty()) {
            md.append("No ").append(limitFile).append(": run `gradle benchLimit`.\n");
        } else {
            md.append("| scenario | technique | size | throughput | time per op |\n|---|---|---:|---:|---:|\n");
            for (Map<String, Object> s : limit.values()) {
                long size = (long) Json.number(s.get("size"));
                md.append("| ").append(s.get("scenario")).append(" | ").append(s.get("technique")).append(" | ")
                        .append(size == 0 ? "0" : bytes(size)).append(" | ")
                        .append(format(Json.number(s.get("bytesPerSecond")), false)).append(" | ")
                        .append(format(Json.number(s.get("nsPerOp")), true)).append(" |\n");
            }
        }
        return md.toString();
    }

    static String svg(List<Row> rows) {
        int barHeight = 16;
        int gap = 4;
        int labelWidth = 430;
        int chartWidth = 420;
        int top = 40;
        double max = 2;
        for (Row row : rows) {
            if (Double.isFinite(row.ratio())) {
                // Past 4x a bar is clipped (its label still gives the ratio): one outlier must
                // not flatten every other bar.
                max = Math.min(4, Math.max(max, Math.ceil(row.ratio())));
            }
        }
        int height = top + rows.size() * (barHeight + gap) + 30;
        int width = labelWidth + chartWidth + 70;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                width, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append("<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">zerocopy / best NIO twin "
                + "(&gt; 1 = zerocopy faster; blue JDK 17, orange JDK 25)</text>\n");
        for (int i = 0; i <= max; i++) {
            double x = labelWidth + chartWidth * i / max;
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>"
                            + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%dx</text>\n",
                    x, top - 5, x, height - 25, i == 1 ? "black" : "#ddd", x, height - 10, i));
        }
        int y = top;
        for (Row row : rows) {
            double ratio = Double.isFinite(row.ratio()) ? row.ratio() : 0;
            String color = row.zc.jdk.equals("17") ? "#4878a8" : "#e0883a";
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">JDK %s %s.%s %s</text>"
                            + "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                            + "<text x=\"%.1f\" y=\"%d\">%.2fx</text>\n",
                    labelWidth - 6, y + barHeight - 4, row.zc.jdk, escape(row.zc.bench.replace("Bench", "")),
                    escape(row.zc.method), row.zc.size == 0 ? "0 B" : bytes(row.zc.size),
                    labelWidth, y, chartWidth * Math.min(ratio, max) / max, barHeight, color,
                    labelWidth + chartWidth * Math.min(ratio, max) / max + 4, y + barHeight - 4, ratio));
            y += barHeight + gap;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String value(Result r) {
        return format(r.value, r.perOp);
    }

    private static String format(double value, boolean perOp) {
        if (perOp) {
            return String.format(Locale.ROOT, "%.0f ns/op", value);
        }
        return String.format(Locale.ROOT, "%.2f GiB/s", value / (1L << 30));
    }

    static String bytes(long n) {
        if (n >= (1L << 30) && n % (1L << 30) == 0) {
            return (n >> 30) + " GiB";
        }
        if (n >= (1L << 20) && n % (1L << 20) == 0) {
            return (n >> 20) + " MiB";
        }
        if (n >= 1024 && n % 1024 == 0) {
            return (n >> 10) + " KiB";
        }
        return n + " B";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // keep "unknown CPU"
        }
        String kernel = System.getProperty("os.version");
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Linux " + kernel;
    }
}
