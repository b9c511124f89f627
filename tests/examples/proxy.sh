#!/usr/bin/env bash
# SpliceProxy and TeeProxy tried as a user would: curl downloads a 1 GiB file through each
# proxy mode from a real HTTP server (python3 -m http.server), sha256 compared; TeeProxy's
# capture files (--mode splice: tee; --mode nio: copies) are compared byte for byte with what
# crossed the wire each way; iperf3 (when installed) pushes traffic through each mode for a few
# seconds and the throughput and the proxy's CPU time are printed. The same programs on virtual
# threads (--threads virtual) are in virtual_threads.sh. Ends with "N passed, N failed".
set -uo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=lib/free_port.bash
source "$top/tests/examples/lib/free_port.bash"
run="$top/examples/run-example.sh"
work=$(mktemp -d)
mkdir -p "$work/www" "$work/capture"
passed=0
failed=0
pids=()
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port() { free_port; }
wait_for() { for _ in $(seq 1 150); do grep -qs "$2" "$1" && return 0; sleep 0.1; done; return 1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

size=${ZEROCOPY_PROXY_TEST_BYTES:-$((1 << 30))}
head -c $((1 << 20)) /dev/urandom > "$work/www/big.bin"
truncate -s $((size - 4096)) "$work/www/big.bin"
head -c 4096 /dev/urandom >> "$work/www/big.bin"
expected=$(sha256sum "$work/www/big.bin" | cut -d' ' -f1)

http=$(port)
(cd "$work/www" && exec python3 -m http.server "$http" --bind 127.0.0.1 > "$work/http.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$http/" && break; sleep 0.1; done

start_proxy() { # start_proxy NAME LOG ARGS... ; sets $pid
    "$run" "$1" "${@:3}" > "$2" 2>&1 &
    pid=$!
    pids+=("$pid")
}

for mode in splice nio; do
    p=$(port)
    start_proxy SpliceProxy "$work/proxy-$mode.log" --listen "127.0.0.1:$p" --connect "127.0.0.1:$http" --mode "$mode"
    wait_for "$work/proxy-$mode.log" "listening on" || bad "SpliceProxy --mode $mode did not start: $(cat "$work/proxy-$mode.log")"
    got=$(curl -sf "http://127.0.0.1:$p/big.bin" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$expected" ] && ok "SpliceProxy --mode $mode: $((size >> 20)) MiB via curl, sha256 equal" \
        || bad "SpliceProxy --mode $mode: sha256 $got"
    codes=$(for i in $(seq 1 20); do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$p/" & done; wait)
    [ "$(echo "$codes" | grep -c 200)" = 20 ] && ok "SpliceProxy --mode $mode: 20 concurrent requests" \
        || bad "SpliceProxy --mode $mode: concurrent requests: $(echo $codes)"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    grep -q "SpliceProxy stopped: 21 connections" "$work/proxy-$mode.log" && ok "SpliceProxy --mode $mode: counters on SIGTERM" \
        || bad "SpliceProxy --mode $mode counters: $(tail -1 "$work/proxy-$mode.log")"
done

for mode in splice nio; do
    rm -rf "$work/capture" && mkdir -p "$work/capture"
    p=$(port)
    start_proxy TeeProxy "$work/tee-$mode.log" --listen "127.0.0.1:$p" --connect "127.0.0.1:$http" --mode "$mode" \
        --capture "$work/capture"
    wait_for "$work/tee-$mode.log" "listening on" || bad "TeeProxy --mode $mode did not start: $(cat "$work/tee-$mode.log")"
    python3 - "$p" "$work" <<'PY'
import socket, sys
port, work = int(sys.argv[1]), sys.argv[2]
request = b"GET /big.bin HTTP/1.0\r\nHost: test\r\nX-Padding: " + b"x" * 60000 + b"\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port))
s.sendall(request)
with open(work + "/sent-up.bin", "wb") as f:
    f.write(request)
with open(work + "/received-down.bin", "wb") as f:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        f.write(b)
s.close()
PY
    for _ in $(seq 1 100); do [ -s "$work/capture/1-down.bin" ] && [ "$(stat -c %s "$work/capture/1-down.bin")" = "$(stat -c %s "$work/received-down.bin")" ] && break; sleep 0.1; done
    cmp -s "$work/capture/1-up.bin" "$work/sent-up.bin" && ok "TeeProxy --mode $mode: capture of client->server equals the request" \
        || bad "TeeProxy --mode $mode: 1-up.bin differs ($(stat -c %s "$work/capture/1-up.bin" 2>/dev/null) bytes)"
    cmp -s "$work/capture/1-down.bin" "$work/received-down.bin" && ok "TeeProxy --mode $mode: capture of server->client equals the $((size >> 20)) MiB response" \
        || bad "TeeProxy --mode $mode: 1-down.bin differs"
    [ "$(tail -c "$size" "$work/received-down.bin" | sha256sum | cut -d' ' -f1)" = "$expected" ] \
        && ok "TeeProxy --mode $mode: forwarded body sha256 equal" || bad "TeeProxy --mode $mode: forwarded body differs"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
done

"$run" SpliceProxy --listen 127.0.0.1:1 > /dev/null 2>&1
[ $? = 2 ] && ok "SpliceProxy: missing --connect exits 2" || bad "SpliceProxy: missing --connect"
"$run" TeeProxy --help | grep -q "usage: TeeProxy" && ok "TeeProxy --help" || bad "TeeProxy --help"

if command -v iperf3 > /dev/null; then
    ip=$(port)
    iperf3 -s -p "$ip" -B 127.0.0.1 > /dev/null 2>&1 &
    pids+=($!)
    sleep 0.5
    for mode in splice nio; do
        p=$(port)
        start_proxy SpliceProxy "$work/iperf-$mode.log" --listen "127.0.0.1:$p" --connect "127.0.0.1:$ip" --mode "$mode"
        wait_for "$work/iperf-$mode.log" "listening on"
        before=$(cpu_ticks "$pid")
        result=$(iperf3 -c 127.0.0.1 -p "$p" -t "${ZEROCOPY_IPERF_SECONDS:-5}" -J 2>/dev/null \
            | python3 -c 'import json,sys; r=json.load(sys.stdin)["end"]["sum_received"]; print("%.2f %d" % (r["bits_per_second"] / 1e9, r["bytes"]))')
        after=$(cpu_ticks "$pid")
        if [ -n "$result" ] && [ "${result#* }" -gt 0 ]; then
            read -r gbps bytes <<< "$result"
            cpu=$(( (after - before) * 10 ))
            ok "iperf3 through SpliceProxy --mode $mode: $gbps Gbit/s, proxy CPU $cpu ms for $((bytes >> 20)) MiB ($(python3 -c "print(round($cpu / max($bytes, 1) * 2**30))") ms/GiB)"
        else
            bad "iperf3 through SpliceProxy --mode $mode failed"
        fi
        kill -TERM "$pid"
        wait "$pid" 2>/dev/null
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
