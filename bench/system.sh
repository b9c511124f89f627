#!/usr/bin/env bash
# The proxy and file-server scenarios with real clients in other processes, across a NIC-like
# path (network namespaces joined by veth pairs, MTU 1500, GSO/GRO at their defaults) and on
# loopback (a private namespace's lo), with HAProxy and nginx as anchors in the same run.
# Every process under test is measured on its own CPU (utime+stime from /proc/PID/stat,
# children included for nginx) beside the machine's total (/proc/stat).
#
#   bench/system.sh OUT.jsonl [ROUNDS] [SECONDS]      (root: it creates namespaces)
#   ZEROCOPY_BENCH_PATHS="netns" ZEROCOPY_BENCH_SMOKE=1 bench/system.sh OUT.jsonl 1 1   (tests/run.sh)
#
# Namespaces and interfaces are named zcb-<pid>-* and removed on exit and on failure; addresses
# come from 198.18.0.0/15 (RFC 2544's benchmarking range). Each line of OUT.jsonl is one
# measured round: {"scenario","path","impl","work","round","bytes","requests","seconds",
# "proc_cpu_s","machine_cpu_s","load"}. Needs iperf3, wrk, curl; haproxy and nginx rows are
# skipped (with a line saying so) when those are not installed.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
out=${1:?usage: bench/system.sh OUT.jsonl [ROUNDS] [SECONDS]}
rounds=${2:-3}
secs=${3:-10}
big_mib=${ZEROCOPY_BENCH_BIG_MIB:-256}
java=${ZEROCOPY_BENCH_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
jar="$top/build/libs/zerocopy-0.1.0.jar"
examples="$top/build/libs/zerocopy-examples.jar"
[ "$(id -u)" -eq 0 ] || { echo "bench/system.sh: needs root (network namespaces)" >&2; exit 1; }
for tool in iperf3 wrk curl ip python3; do
    command -v "$tool" >/dev/null || { echo "bench/system.sh: $tool is not installed (.ci/setup installs it)" >&2; exit 1; }
done
[ -f "$jar" ] && [ -f "$examples" ] || { echo "bench/system.sh: build the jars first (gradle jar examplesJar)" >&2; exit 1; }

ulimit -n 65536 2>/dev/null || true
# ZEROCOPY_BENCH_SMOKE=1: one stream count, one file size, no big download (tests/run.sh's short run).
stream_counts="1 4" wrk_files="4k.bin 1m.bin" curl_rounds=$rounds
if [ "${ZEROCOPY_BENCH_SMOKE:-0}" = 1 ]; then
    stream_counts=1 wrk_files=1m.bin curl_rounds=0 big_mib=1
fi
id=$(( $$ % 100000 ))
ns_c="zcb-$id-c"   # clients: iperf3 -c, wrk, curl
ns_p="zcb-$id-p"   # the proxy / file server under test
ns_s="zcb-$id-s"   # the proxy's upstream: iperf3 -s
ns_l="zcb-$id-l"   # loopback: everything on this namespace's own lo
work=$(mktemp -d /tmp/zcb-bench.XXXXXX)
chmod 755 "$work"
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in "$ns_c" "$ns_p" "$ns_s" "$ns_l"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the paths ---------------------------------------------------------------------------
for ns in "$ns_c" "$ns_p" "$ns_s" "$ns_l"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
# client 198.18.0.1 <-> 198.18.0.2 proxy 198.18.0.5 <-> 198.18.0.6 upstream
ip link add "zcb-$id-c0" netns "$ns_c" type veth peer name "zcb-$id-p0" netns "$ns_p"
ip link add "zcb-$id-p1" netns "$ns_p" type veth peer name "zcb-$id-s0" netns "$ns_s"
ip -n "$ns_c" addr add 198.18.0.1/30 dev "zcb-$id-c0"
ip -n "$ns_p" addr add 198.18.0.2/30 dev "zcb-$id-p0"
ip -n "$ns_p" addr add 198.18.0.5/30 dev "zcb-$id-p1"
ip -n "$ns_s" addr add 198.18.0.6/30 dev "zcb-$id-s0"
for pair in "$ns_c zcb-$id-c0" "$ns_p zcb-$id-p0" "$ns_p zcb-$id-p1" "$ns_s zcb-$id-s0"; do
    set -- $pair
    ip -n "$1" link set "$2" mtu 1500 up
done
ip -n "$ns_c" route add default via 198.18.0.2
ip -n "$ns_s" route add default via 198.18.0.5

# path -> namespace of client, proxy, upstream; proxy address seen by the client; upstream address
declare -A NS_C=([netns]=$ns_c [loopback]=$ns_l) NS_P=([netns]=$ns_p [loopback]=$ns_l) NS_S=([netns]=$ns_s [loopback]=$ns_l)
declare -A ADDR_P=([netns]=198.18.0.2 [loopback]=127.0.0.1) ADDR_S=([netns]=198.18.0.6 [loopback]=127.0.0.1)

# ---- measuring ---------------------------------------------------------------------------
proc_ticks() {  # utime+stime of PID and its direct children (nginx workers), in clock ticks
    local total=0 t
    for f in /proc/"$1"/stat $(grep -l "^[0-9]* ([^)]*) . $1 " /proc/[0-9]*/stat 2>/dev/null); do
        t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$f" 2>/dev/null) || continue
        total=$((total + ${t:-0}))
    done
    echo "$total"
}
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
hz=$(getconf CLK_TCK)

record() {  # record SCENARIO PATH IMPL WORK ROUND BYTES REQUESTS SECONDS PROC_TICKS MACHINE_TICKS
    python3 - "$@" "$hz" "$(cut -d' ' -f1 /proc/loadavg)" >> "$out" <<'EOF'
import json, sys
a = sys.argv[1:]
hz = float(a[10])
print(json.dumps({"scenario": a[0], "path": a[1], "impl": a[2], "work": a[3], "round": int(a[4]),
                  "bytes": int(a[5]), "requests": int(a[6]), "seconds": float(a[7]),
                  "proc_cpu_s": int(a[8]) / hz, "machine_cpu_s": int(a[9]) / hz, "load": float(a[11])}))
EOF
}

wait_port() {  # wait_port NS ADDR PORT: until something listens there (10 s)
    for _ in $(seq 1 100); do
        ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench/system.sh: nothing listens on $2:$3 in $1" >&2
    return 1
}

start() {  # start NS LOG CMD...: sets $pid (the command itself: ip netns exec execs it)
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" > "$log" 2>&1 &
    pid=$!
    pids+=("$pid")
}

stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

jflags=(-Xms256m -Xmx1g)
"$java" -XshowSettings:properties -version 2>&1 | grep -q 'java.specification.version = 2[2-9]' \
    && jflags+=(--enable-native-access=ALL-UNNAMED)

# ---- proxy: iperf3 through SpliceProxy (splice, nio) and HAProxy (forced splice, no splice) --
proxy_impls=("SpliceProxy splice" "SpliceProxy nio")
if command -v haproxy >/dev/null; then
    proxy_impls+=("HAProxy splice" "HAProxy no-splice")
else
    echo "bench/system.sh: haproxy not installed: no proxy anchor" >&2
fi

start_proxy() {  # start_proxy PATH IMPL PORT
    local path=$1 impl=$2 port=$3 ns=${NS_P[$1]} listen="${ADDR_P[$1]}:$3" connect="${ADDR_S[$1]}:5201"
    case "$impl" in
        "SpliceProxy splice"|"SpliceProxy nio")
            start "$ns" "$work/proxy-$port.log" "$java" "${jflags[@]}" -cp "$jar:$examples" dev.zerocopy.examples.SpliceProxy \
                --listen "$listen" --connect "$connect" --mode "${impl#SpliceProxy }" ;;
        HAProxy*)
            # One thread like SpliceProxy's one selector; the same 1 MiB pipes; "splice" forces
            # splice both ways (not splice-auto), "no-splice" turns it off globally.
            {
                echo "global"
                echo "  nbthread 1"
                echo "  maxconn 4096"
                echo "  tune.pipesize 1048576"
                [ "$impl" = "HAProxy no-splice" ] && echo "  nosplice"
                echo "defaults"
                echo "  mode tcp"
                echo "  timeout connect 5s"
                echo "  timeout client 60s"
                echo "  timeout server 60s"
                [ "$impl" = "HAProxy splice" ] && printf '  option splice-request\n  option splice-response\n'
                echo "listen relay"
                echo "  bind $listen"
                echo "  server upstream $connect"
            } > "$work/haproxy-$port.cfg"
            start "$ns" "$work/proxy-$port.log" haproxy -db -f "$work/haproxy-$port.cfg" ;;
    esac
    wait_port "$ns" "${ADDR_P[$path]}" "$port"
}

iperf_bytes() {  # iperf_bytes JSON_FILE -> "bytes seconds" received at the far end
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]["sum_received"]; print(int(e["bytes"]), e["seconds"])' "$1"
}

# Every program of a scenario runs at once, each on its own port (idle ones cost nothing), and
# the rounds visit them in turn: on a shared machine, drift then spreads over all of them
# instead of favouring whichever ran in the quietest minute.
run_proxy() {  # run_proxy PATH
    local path=$1 streams impl r i
    local -a ports=() procs=()
    start "${NS_S[$path]}" "$work/iperf3-s.log" iperf3 -s -p 5201
    local server=$pid
    wait_port "${NS_S[$path]}" "${ADDR_S[$path]}" 5201
    for i in "${!proxy_impls[@]}"; do
        ports[i]=$((7001 + i))
        start_proxy "$path" "${proxy_impls[i]}" "${ports[i]}"
        procs[i]=$pid
        # warm up (JIT, pipe pool) for a second; not recorded
        ip netns exec "${NS_C[$path]}" iperf3 -c "${ADDR_P[$path]}" -p "${ports[i]}" -t 1 -J > /dev/null || true
    done
    for r in $(seq 1 "$rounds"); do
        for streams in $stream_counts; do
            for i in "${!proxy_impls[@]}"; do
                local impl=${proxy_impls[i]} port=${ports[i]} proxy=${procs[i]} p0 m0 p1 m1
                p0=$(proc_ticks "$proxy"); m0=$(machine_ticks)
                if ! ip netns exec "${NS_C[$path]}" iperf3 -c "${ADDR_P[$path]}" -p "$port" -t "$secs" -P "$streams" -J > "$work/iperf3.json"; then
                    echo "bench/system.sh: iperf3 through $impl ($path) failed: $(head -c 300 "$work/iperf3.json")" >&2
                    continue
                fi
                p1=$(proc_ticks "$proxy"); m1=$(machine_ticks)
                read -r bytes seconds < <(iperf_bytes "$work/iperf3.json")
                record proxy "$path" "$impl" "iperf3 -P $streams" "$r" "$bytes" 0 "$seconds" $((p1 - p0)) $((m1 - m0))
                echo "proxy $path $impl iperf3 -P $streams round $r: $(awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.0f", b * 8 / s / 1e6 }') Mbit/s, proxy $((p1 - p0)) ticks"
            done
        done
    done
    for proxy in "${procs[@]}"; do stop "$proxy"; done
    stop "$server"
}

# ---- file server: wrk (4 KiB, 1 MiB) and curl (big file) against FileServer and nginx -------
mkdir -p "$work/www"
head -c 4096 /dev/urandom > "$work/www/4k.bin"
head -c $((1 << 20)) /dev/urandom > "$work/www/1m.bin"
head -c $((big_mib << 20)) /dev/urandom > "$work/www/big.bin"
chmod -R a+rX "$work/www"
cat > "$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %.6f\n", summary.requests, summary.bytes,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration / 1e6))
end
EOF

server_impls=("FileServer sendfile" "FileServer nio")
if command -v nginx >/dev/null; then
    server_impls+=("nginx sendfile" "nginx no-sendfile")
else
    echo "bench/system.sh: nginx not installed: no file-server anchor" >&2
fi

start_server() {  # start_server PATH IMPL PORT
    local path=$1 impl=$2 port=$3 ns=${NS_P[$1]}
    case "$impl" in
        FileServer*)
            start "$ns" "$work/server-$port.log" "$java" "${jflags[@]}" -cp "$jar:$examples" dev.zerocopy.examples.FileServer \
                --root "$work/www" --port "$port" --bind "${ADDR_P[$path]}" --mode "${impl#FileServer }" ;;
        nginx*)
            # One worker, as FileServer is one process; sendfile + tcp_nopush is nginx's fast path.
            local sf=on
            [ "$impl" = "nginx no-sendfile" ] && sf=off
            local dir="$work/nginx-$port"
            mkdir -p "$dir"
            cat > "$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir;
    proxy_temp_path $dir;
    fastcgi_temp_path $dir;
    uwsgi_temp_path $dir;
    scgi_temp_path $dir;
    default_type application/octet-stream;
    sendfile $sf;
    tcp_nopush on;
    keepalive_requests 1000000;
    server { listen ${ADDR_P[$path]}:$port; root $work/www; }
}
EOF
            start "$ns" "$dir/server.log" nginx -p "$dir" -c "$dir/nginx.conf" ;;
    esac
    wait_port "$ns" "${ADDR_P[$path]}" "$port"
}

run_server() {  # run_server PATH
    local path=$1 r i file
    local -a ports=() procs=()
    for i in "${!server_impls[@]}"; do
        ports[i]=$((8001 + i))
        start_server "$path" "${server_impls[i]}" "${ports[i]}"
        procs[i]=$pid
        ip netns exec "${NS_C[$path]}" wrk -t1 -c16 -d1s "http://${ADDR_P[$path]}:${ports[i]}/4k.bin" > /dev/null || true
    done
    for r in $(seq 1 "$rounds"); do
        for file in $wrk_files; do
            for i in "${!server_impls[@]}"; do
                local impl=${server_impls[i]} server=${procs[i]} url="http://${ADDR_P[$path]}:${ports[i]}"
                local p0 m0 p1 m1 reqs bytes errs dur
                p0=$(proc_ticks "$server"); m0=$(machine_ticks)
                ip netns exec "${NS_C[$path]}" wrk -t1 -c16 -d"${secs}s" -s "$work/report.lua" "$url/$file" > "$work/wrk.out" || true
                p1=$(proc_ticks "$server"); m1=$(machine_ticks)
                if ! read -r reqs bytes errs dur < <(sed -n 's/^WRK //p' "$work/wrk.out"); then
                    echo "bench/system.sh: wrk against $impl ($path, $file) printed no summary: $(head -c 300 "$work/wrk.out")" >&2
                    continue
                fi
                [ "${errs:-1}" -eq 0 ] || echo "bench/system.sh: wrk $impl $file ($path): ${errs:-?} errors" >&2
                record server "$path" "$impl" "wrk -c16 ${file%.bin}" "$r" "$bytes" "$reqs" "$dur" $((p1 - p0)) $((m1 - m0))
                echo "server $path $impl $file round $r: $reqs requests, $((bytes / 1000000)) MB in ${dur}s, server $((p1 - p0)) ticks"
            done
        done
        [ "$r" -le "$curl_rounds" ] || continue
        for i in "${!server_impls[@]}"; do
            local impl=${server_impls[i]} server=${procs[i]} url="http://${ADDR_P[$path]}:${ports[i]}"
            local p0 m0 p1 m1 got t
            p0=$(proc_ticks "$server"); m0=$(machine_ticks)
            if ! read -r got t < <(ip netns exec "${NS_C[$path]}" curl -sf -o /dev/null -w '%{size_download} %{time_total}\n' "$url/big.bin"); then
                echo "bench/system.sh: curl against $impl ($path) failed" >&2
                continue
            fi
            p1=$(proc_ticks "$server"); m1=$(machine_ticks)
            [ "$got" -eq $((big_mib << 20)) ] || echo "bench/system.sh: curl $impl big.bin ($path): $got bytes" >&2
            record server "$path" "$impl" "curl ${big_mib} MiB" "$r" "$got" 1 "$t" $((p1 - p0)) $((m1 - m0))
            echo "server $path $impl big round $r: $got bytes in ${t}s"
        done
    done
    for server in "${procs[@]}"; do stop "$server"; done
}

for path in ${ZEROCOPY_BENCH_PATHS:-netns loopback}; do
    run_proxy "$path"
    run_server "$path"
done
echo "bench/system.sh: $(wc -l < "$out") rounds in $out"
