#!/usr/bin/env python3
"""Turns bench/system.sh's and ScaleBench's JSON lines into bench/REPORT.md and bench/ratios.svg.

    report_system.py BENCH_DIR OUT_DIR [JMH_REPORT_DIR]

BENCH_DIR holds system/results.jsonl, system/meta.txt, scale/results.jsonl, scale/meta.txt (any
may be missing: that part is then reported as not run). When JMH_REPORT_DIR holds a REPORT.md and
ratios.svg written by Report.java in the same run, they become the report's last section and the
chart's lower half. Also prints the README headline table (between markers) to stdout.
"""
import json
import os
import statistics
import sys
from collections import OrderedDict

bench_dir, out_dir = sys.argv[1], sys.argv[2]
jmh_dir = sys.argv[3] if len(sys.argv) > 3 else None


def lines(path):
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def meta(path):
    if not os.path.isfile(path):
        return {}
    out = OrderedDict()
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


system = lines(os.path.join(bench_dir, "system", "results.jsonl"))
system_meta = meta(os.path.join(bench_dir, "system", "meta.txt"))
scale = lines(os.path.join(bench_dir, "scale", "results.jsonl"))
scale_meta = meta(os.path.join(bench_dir, "scale", "meta.txt"))
cores = os.cpu_count() or 1


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs):
    return "" if len(xs) < 2 else " (%s–%s)" % (fmt(min(xs)), fmt(max(xs)))


def fmt(x):
    if x != x:
        return "n/a"
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    return "%.2f" % x


def ratio(a, b):
    if not b or a != a or b != b:
        return "n/a"
    return ("%.3fx" if a / b < 0.1 else "%.2fx") % (a / b)


# ---- system: one cell per (scenario, path, work, impl) --------------------------------------
cells = OrderedDict()
for r in system:
    key = (r["scenario"], r["path"], r["work"], r["impl"])
    c = cells.setdefault(key, {"gbps": [], "reqs": [], "proc": [], "machine": [], "load": []})
    gb = r["bytes"] / 1e9
    if r["seconds"] <= 0 or gb <= 0:
        continue
    c["gbps"].append(r["bytes"] * 8 / r["seconds"] / 1e9)
    c["reqs"].append(r["requests"] / r["seconds"])
    c["proc"].append(r["proc_cpu_s"] / gb)
    c["machine"].append(r["machine_cpu_s"] / gb)
    c["load"].append(r["load"])


def cell(scenario, path, work, impl):
    c = cells.get((scenario, path, work, impl))
    if not c or not c["gbps"]:
        return None
    return {k: med(v) for k, v in c.items()}


TWINS = {
    "proxy": ("SpliceProxy splice", "SpliceProxy nio", "HAProxy splice"),
    "server": ("FileServer sendfile", "FileServer nio", "nginx sendfile"),
}
works = OrderedDict()
for (scenario, path, work, impl) in cells:
    works.setdefault((scenario, work), None)
paths = ["netns", "loopback"]
PATH_NAME = {"netns": "veth, MTU 1500", "loopback": "loopback"}


def headline():
    rows = ["| scenario | path | zerocopy | vs its NIO mode: throughput | CPU/GB | vs anchor | throughput | CPU/GB |",
            "|---|---|---|---:|---:|---|---:|---:|"]
    for (scenario, work) in works:
        zc, nio, anchor = TWINS[scenario]
        for path in paths:
            z, n, a = cell(scenario, path, work, zc), cell(scenario, path, work, nio), cell(scenario, path, work, anchor)
            if z is None:
                continue
            speed = "%s Gbit/s" % fmt(z["gbps"])
            if "4k" in work:
                speed = "%sk req/s" % fmt(z["reqs"] / 1000)
            rate = "reqs" if "4k" in work else "gbps"  # small files: requests, not bytes with headers
            rows.append("| %s %s | %s | %s %s, %s s/GB | %s | %s | %s | %s | %s |" % (
                zc.split()[0], work, PATH_NAME[path], zc.split()[1], speed, fmt(z["proc"]),
                ratio(z[rate], n[rate]) if n else "n/a", ratio(z["proc"], n["proc"]) if n else "n/a",
                anchor, ratio(z[rate], a[rate]) if a else "n/a", ratio(z["proc"], a["proc"]) if a else "n/a"))
    return "\n".join(rows)


def system_table(scenario):
    rows = ["| path | work | program | throughput | req/s | own CPU s/GB | machine CPU s/GB | load avg |",
            "|---|---|---|---:|---:|---:|---:|---:|"]
    for (sc, path, work, impl), c in cells.items():
        if sc != scenario or not c["gbps"]:
            continue
        rows.append("| %s | %s | %s | %s Gbit/s%s | %s | %s%s | %s | %s |" % (
            PATH_NAME[path], work, impl, fmt(med(c["gbps"])), spread(c["gbps"]),
            fmt(med(c["reqs"])) if "curl" not in work and scenario == "server" else "",
            fmt(med(c["proc"])), spread(c["proc"]), fmt(med(c["machine"])), fmt(med(c["load"]))))
    return "\n".join(rows)


def scale_table():
    rows = ["| path | connections | relay | Gbit/s | relay CPU s/GB | machine CPU s/GB | RSS KiB/conn idle | RSS KiB/conn peak | direct KiB/conn | peak pipes | peak MiB in pipes | ping p50 µs | ping p99 µs |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in scale:
        if "skipped" in r:
            rows.append("| %s | %d | %s | not run: %s |||||||||| " % (r.get("path", ""), r["connections"], r["impl"], r["skipped"]))
            continue
        if "error" in r:
            rows.append("| %s | %d | %s | failed: %s |||||||||| " % (r.get("path", ""), r["connections"], r["impl"], r["error"]))
            continue
        own = r.get("stats", True)  # the relay reported direct memory and pipes itself
        rows.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r.get("path", ""), r["connections"], r["impl"], fmt(r["gbps"]), fmt(r["proc_cpu_s_per_gb"]), fmt(r["machine_cpu_s_per_gb"]),
            fmt(r["idle_rss_kib_per_conn"]), fmt(r["peak_rss_kib_per_conn"]),
            fmt(r["idle_direct_kib_per_conn"]) if own else "n/a", r["peak_pipes"] if own else "n/a",
            fmt(r["peak_in_pipes_mib"]) if own else "n/a", fmt(r["p50_us"]), fmt(r["p99_us"])))
    return "\n".join(rows)


def scale_headline():
    """Per path and count: the faster Relay setting against the faster NIO relay, both on virtual threads."""
    rows = ["| path | connections | Relay (best pipe size) | NIO (best buffer) | throughput | relay CPU/GB | RSS per connection |",
            "|---|---:|---|---|---:|---:|---:|"]
    groups = OrderedDict()
    for r in scale:
        if "gbps" in r and "Selector" not in r["impl"]:
            groups.setdefault((r.get("path", ""), r["connections"]), []).append(r)
    for (path, n), rs in groups.items():
        zc = [r for r in rs if r["impl"].startswith("Relay")]
        nio = [r for r in rs if r["impl"].startswith("NIO")]
        if not zc or not nio:
            continue
        z = max(zc, key=lambda r: r["gbps"])
        b = max(nio, key=lambda r: r["gbps"])
        def desc(r):
            return "%s: %s Gbit/s, %s s/GB, %s KiB" % (r["impl"].split(", ", 1)[-1], fmt(r["gbps"]),
                                                       fmt(r["proc_cpu_s_per_gb"]), fmt(r["idle_rss_kib_per_conn"]))
        rows.append("| %s | %d | %s | %s | %s | %s | %s |" % (
            path, n, desc(z), desc(b), ratio(z["gbps"], b["gbps"]), ratio(z["proc_cpu_s_per_gb"], b["proc_cpu_s_per_gb"]),
            ratio(z["idle_rss_kib_per_conn"], b["idle_rss_kib_per_conn"])))
    skipped = sorted({"%s at %d" % (r["impl"], r["connections"]) for r in scale if "skipped" in r})
    if skipped:
        rows.append("")
        rows.append("Not run (direct buffers past 4 GiB): " + "; ".join(skipped) + ".")
    return "\n".join(rows)


def busy_note(m):
    loads = [float(v.split()[0]) for k, v in m.items() if k.startswith("load")]
    if not loads:
        return ""
    worst = max(loads)
    if worst > cores * 0.75:
        return ("**Busy machine:** load average up to %.1f on %d cores during this part (other work was running). "
                "Treat every number here as noisy: ratios measured side by side in the same minute are more "
                "trustworthy than absolute rates, and none of it is settled." % (worst, cores))
    return "Load average stayed at or below %.1f on %d cores during this part." % (worst, cores)


def meta_lines(m):
    return "\n".join("- %s: %s" % (k, v) for k, v in m.items())


# ---- chart: throughput and relay CPU/GB vs connection count --------------------------------
def scale_svg(width=760, height=300):
    # One line per relay and path: solid across veth, dashed on loopback.
    series = OrderedDict()
    for r in scale:
        if "gbps" in r:
            series.setdefault((r["impl"], r.get("path", "")), []).append((r["connections"], r["gbps"], r["proc_cpu_s_per_gb"]))
    impls = list(OrderedDict((impl, None) for impl, _ in series))
    legend_y = 40 + height - 130 + 36
    if not series:
        return None
    import math
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    counts = sorted({c for s in series.values() for c, _, _ in s})
    lo, hi = math.log10(max(1, counts[0])), math.log10(max(10, counts[-1]))
    out = []
    panel_w = (width - 50 - 60 - 20) // 2
    for p, (title, idx) in enumerate((("throughput, Gbit/s", 1), ("relay CPU per GB, s", 2))):
        x0, y0, h = 50 + p * (panel_w + 60), 40, height - 130
        top = max(v[idx] for s in series.values() for v in s) * 1.15 or 1
        out.append('<text x="%d" y="%d" font-weight="bold">%s vs connections</text>' % (x0, y0 - 12, title))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (x0, y0, panel_w, h))
        for c in counts:
            x = x0 + (math.log10(max(1, c)) - lo) / (hi - lo or 1) * panel_w
            out.append('<text x="%.0f" y="%d" text-anchor="middle" font-size="10">%d</text>' % (x, y0 + h + 14, c))
        for t in range(5):
            v = top * t / 4
            y = y0 + h - v / top * h
            out.append('<text x="%d" y="%.0f" text-anchor="end" font-size="10">%s</text>' % (x0 - 4, y + 3, fmt(v)))
        for (name, path), pts in series.items():
            col = colors[impls.index(name) % len(colors)]
            dash = ' stroke-dasharray="5,4"' if path == "loopback" else ""
            xy = ["%.1f,%.1f" % (x0 + (math.log10(max(1, c)) - lo) / (hi - lo or 1) * panel_w, y0 + h - v[idx - 1] / top * h)
                  for c, *v in sorted(pts)]
            out.append('<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>' % (col, dash, " ".join(xy)))
            for pt in xy:
                x, y = pt.split(",")
                out.append('<circle cx="%s" cy="%s" r="3" fill="%s"/>' % (x, y, col))
    # Memory per connection at the largest count each relay ran: the design's cost in one look.
    mem = OrderedDict()
    first_path = next(iter(series))[1]
    for (name, path), pts in series.items():
        if path != first_path:
            continue
        best = max(pts)[0]
        row = next(r for r in scale if r.get("impl") == name and r.get("path", "") == path
                   and r.get("connections") == best and "gbps" in r)
        mem[name] = (best, row["idle_rss_kib_per_conn"])
    y0 = legend_y + 30 + 18 * ((len(impls) + 1) // 2)
    top = max(v for _, v in mem.values()) or 1
    out.append('<text x="50" y="%d" font-weight="bold">relay RSS per idle connection, KiB (%s, at the largest count each ran)</text>'
               % (y0, esc(first_path)))
    for i, (name, (count, v)) in enumerate(mem.items()):
        y = y0 + 12 + i * 20
        w = max(1, v / top * 330)
        out.append('<rect x="260" y="%d" width="%.0f" height="14" fill="%s"/>' % (y, w, colors[i % len(colors)]))
        out.append('<text x="254" y="%d" text-anchor="end" font-size="11">%s</text>' % (y + 11, esc(name)))
        out.append('<text x="%.0f" y="%d" font-size="11">%s KiB (N = %d)</text>' % (266 + w, y + 11, fmt(v), count))
    out.append('<text x="50" y="%d" font-size="11">solid: veth, MTU 1500; dashed: loopback</text>' % legend_y)
    for i, name in enumerate(impls):
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>' % (
            50 + (i % 2) * 360, legend_y + 8 + (i // 2) * 18, colors[i % len(colors)], 66 + (i % 2) * 360,
            legend_y + 18 + (i // 2) * 18, esc(name)))
    return out, y0 - height + 20 + 20 * len(mem)


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;")


os.makedirs(out_dir, exist_ok=True)
md = ["# zerocopy benchmark report", "",
      "Written by `bash bench/run.sh` (bench/report_system.py). Generated file: do not edit by hand.", ""]
md += ["## Headline", "",
       "Real clients and servers in other processes; the program under test measured on its own CPU "
       "(utime+stime from /proc/PID/stat, per GB moved). Ratios are zerocopy / the other: throughput > 1 and "
       "CPU/GB < 1 favour zerocopy. Medians of the rounds.", ""]
md += [headline() if cells else "_The proxy and file-server scenarios were not run._", ""]
md += ["## Which numbers to believe", "",
       "- **Deploying a proxy or file server that talks to a NIC:** believe the *veth, MTU 1500* rows. Two network "
       "namespaces joined by veth pairs segment traffic into 1500-byte packets with GSO/GRO at their defaults, "
       "as a real NIC path does, and the load generators run in other processes and namespaces. This is where "
       "splice's saving of the user-space copy shows in the proxy's own CPU per GB.",
       "- **Sidecars and same-host hops (loopback):** believe the *loopback* rows: 64 KiB MTU, no segmentation; the "
       "copy NIO does is cheap there, so zero-copy gains least.",
       "- **Many connections on virtual threads:** believe the *relay at scale* table for memory per connection "
       "(it does not depend much on machine load) and treat its throughput as indicative only.",
       "- **The JMH suite** (sender, relay and receiver in one JVM on loopback, CPU counted for the whole process) "
       "is the worst case for splice and measures the calls, not a deployment: use it to compare calls with "
       "their NIO twins, not to predict a server's behaviour.", ""]
md += ["## Proxy: iperf3 through the proxy", "",
       "iperf3 client and server in their own namespaces (veth) or processes (loopback), 1 and 4 parallel "
       "streams; SpliceProxy (one Selector thread; `--mode splice`: Relay through 1 MiB kernel pipes; `--mode "
       "nio`: a 256 KiB direct buffer) against HAProxy 2.6 with one thread and 1 MiB pipes, splice forced both "
       "ways (`option splice-request`/`splice-response`) and turned off (`nosplice`). Medians (min–max) over the "
       "rounds; throughput is what the iperf3 server received.", ""]
md += [busy_note(system_meta), "", "Machine CPU per GB counts every busy CPU second on the machine during the "
       "round (load generators, kernel, and anything else running), so on a shared machine it is an upper "
       "bound, not the cost of the path.", "", system_table("proxy") if cells else "_not run_", ""]
md += ["## File server: wrk and curl against FileServer and nginx", "",
       "wrk -t1 -c16 (keep-alive) for 4 KiB and 1 MiB files, curl for one big file per round; FileServer "
       "(`--mode sendfile` vs `--mode nio`) against nginx with one worker, `sendfile on` + `tcp_nopush on`, and "
       "`sendfile off`.", ""]
md += [system_table("server") if cells else "_not run_", ""]
def small_targets():
    out = ["| path | FileServer sendfile 4 KiB req/s | / its NIO mode (target >= 1.0x) | / nginx sendfile (target >= 0.6x) |",
           "|---|---:|---:|---:|"]
    for path in paths:
        work = next((w for (sc, w) in works if sc == "server" and "4k" in w), None)
        z = cell("server", path, work, "FileServer sendfile") if work else None
        if z is None:
            continue
        n, a = cell("server", path, work, "FileServer nio"), cell("server", path, work, "nginx sendfile")
        def verdict(x, y, goal):
            if not y:
                return "n/a"
            return "%.2fx (%s)" % (x / y, "holds" if x / y >= goal else "does not hold")
        out.append("| %s | %s | %s | %s |" % (PATH_NAME[path], fmt(z["reqs"]), verdict(z["reqs"], n and n["reqs"], 1.0),
                                             verdict(z["reqs"], a and a["reqs"], 0.6)))
    return "\n".join(out)


md += ["### Small files: issue 13's targets", "",
       small_targets() if cells else "_not run_", ""]
md += ["### Run", "", meta_lines(system_meta), ""]
md += ["## Relay at scale: N concurrent proxied connections on virtual threads", "",
       "The relay runs in its own process (`dev.zerocopy.bench.ScaleRelay`, JDK 25, a virtual thread per "
       "connection direction doing blocking calls: *Relay* rows `while (!relay.isDone()) relay.transfer()` "
       "with the library's pooled pipes (at most 256) of 1 MiB or 64 KiB; *NIO* rows a read/write "
       "loop through a direct buffer of 64 KiB or 1 MiB allocated per direction). *veth, MTU 1500*: the relay "
       "in its own network namespace, a veth pair away from `ScaleBench`, so client -> relay and relay -> "
       "upstream each cross it once; *loopback*: one namespace's lo. `ScaleBench` opens N connections through it, "
       "every count moving the same total (each connection total/N bytes, client -> relay -> upstream), and "
       "pings a 64-byte request/response through the same relay meanwhile. RSS per connection is the relay's "
       "growth over its warmed-up baseline divided by N (idle: all N open, nothing moving; peak: sampled every "
       "20 ms during the transfer). Direct memory from the relay's BufferPoolMXBean; pipes and bytes in pipes "
       "from `Relay.pipesInUse()` and `Relay.pending()`. The Selector rows are the SpliceProxy example (one "
       "Selector thread; `--mode splice`: Relay, `--mode nio`: a 256 KiB direct buffer per direction) and report "
       "RSS only. A NIO relay whose buffers would pass 4 GiB of direct memory (1 MiB buffers at 10,000 "
       "connections need 20 GiB) is not run; its row says so.", ""]
md += [busy_note(scale_meta), "", "The faster Relay setting against the faster NIO relay at each count (ratios "
       "Relay / NIO; the idle RSS per connection is the memory a design costs per open connection):", "",
       scale_headline() if scale else "_not run_", "", "Every run:", "",
       scale_table() if scale else "_not run_", "", "### Run", "", meta_lines(scale_meta), ""]
md += ["![throughput and relay CPU per GB vs connections; JMH ratios](ratios.svg)", ""]

jmh_md = os.path.join(jmh_dir, "REPORT.md") if jmh_dir else None
if jmh_md and os.path.isfile(jmh_md):
    with open(jmh_md) as f:
        body = f.read()
    # Report.java's page, its headings one level down; its chart is the lower half of ours (linked above).
    md += ["## JMH suite (loopback, one JVM)", ""] + [("##" + l if l.startswith("#") else l)
                                                    for l in body.splitlines() if "](ratios.svg)" not in l]
else:
    md += ["## JMH suite", "", "Not run in this run of `bench/run.sh` (run it with the `jmh` part; ~32 min on 2 "
           "cores). README's JMH table is from the last run that included it.", ""]
with open(os.path.join(out_dir, "REPORT.md"), "w") as f:
    f.write("\n".join(md) + "\n")

parts, mem_h = scale_svg() or (None, 0)
jmh_svg = os.path.join(jmh_dir, "ratios.svg") if jmh_dir else None
width, height = 760, (300 + mem_h) if parts else 0
inner, extra_h = "", 0
if jmh_svg and os.path.isfile(jmh_svg):
    import re
    with open(jmh_svg) as f:
        text = f.read()
    m = re.search(r'width="(\d+)" height="(\d+)"', text)
    w, h = (int(m.group(1)), int(m.group(2))) if m else (760, 600)
    inner = '<g transform="translate(0,%d)">%s</g>' % (height, re.sub(r"^<svg[^>]*>|</svg>\s*$", "", text.strip()))
    width, extra_h = max(width, w), h
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (
    width, height + extra_h), '<rect width="100%" height="100%" fill="white"/>']
svg += parts or []
svg += [inner, "</svg>"]
with open(os.path.join(out_dir, "ratios.svg"), "w") as f:
    f.write("\n".join(svg) + "\n")

print("<!-- headline:start -->")
print(headline())
print("<!-- headline:end -->")
print("<!-- scale:start -->")
print(scale_headline())
print("<!-- scale:end -->")
