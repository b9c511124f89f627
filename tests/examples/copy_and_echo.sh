#!/usr/bin/env bash
# TransferCopy, MmapCopy and SpliceEcho tried as a user would: 200 MiB copies compared with cmp, and
# echo round trips by socat and python clients with checksums. Ends with "N passed, N failed".
set -uo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=lib/free_port.bash
source "$top/tests/examples/lib/free_port.bash"
run="$top/examples/run-example.sh"
work=$(mktemp -d)
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

head -c $((200 << 20)) /dev/urandom > "$work/src.bin"
for mode in zerocopy nio; do
    out=$("$run" TransferCopy --from "$work/src.bin" --to "$work/dst-$mode.bin" --mode "$mode")
    if cmp -s "$work/src.bin" "$work/dst-$mode.bin" && [[ "$out" == "copied $((200 << 20)) bytes"* ]]; then
        ok "TransferCopy --mode $mode: $out"
    else
        bad "TransferCopy --mode $mode: $out"
    fi
done
out=$("$run" MmapCopy --from "$work/src.bin" --to "$work/dst-mmap.bin")
if cmp -s "$work/src.bin" "$work/dst-mmap.bin" && [[ "$out" == "copied $((200 << 20)) bytes"* ]]; then
    ok "MmapCopy: $out"
else
    bad "MmapCopy: $out"
fi
: > "$work/empty.bin"
out=$("$run" MmapCopy --from "$work/empty.bin" --to "$work/dst-empty.bin")
[[ "$out" == "copied 0 bytes"* ]] && [ -f "$work/dst-empty.bin" ] && ok "MmapCopy: empty file" || bad "MmapCopy empty: $out"
"$run" TransferCopy --from "$work/missing" --to "$work/x" > /dev/null 2>&1
[ $? -eq 2 ] && ok "TransferCopy: missing source exits 2" || bad "TransferCopy: missing source"

port=$(free_port)
"$run" SpliceEcho --listen "127.0.0.1:$port" > "$work/echo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -qs "listening on" "$work/echo.log" && break; sleep 0.1; done
result=$(python3 - "$port" "$work/src.bin" <<'PY'
import hashlib, socket, sys, threading
port, path = int(sys.argv[1]), sys.argv[2]
data = open(path, 'rb').read()[: 50 << 20]
def client(results, i):
    s = socket.create_connection(('127.0.0.1', port))
    got = bytearray()
    def reader():
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            got.extend(b)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data[i * 1000:])
    s.shutdown(socket.SHUT_WR)
    t.join()
    results[i] = hashlib.sha256(got).digest() == hashlib.sha256(data[i * 1000:]).digest()
results = {}
threads = [threading.Thread(target=client, args=(results, i)) for i in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(sum(results.values()))
PY
)
[ "$result" = 8 ] && ok "SpliceEcho: 8 concurrent clients x ~50 MiB echoed intact" || bad "SpliceEcho: $result of 8 intact"
kill -TERM $server
wait $server 2>/dev/null
grep -q "SpliceEcho stopped: 8 connections" "$work/echo.log" && ok "SpliceEcho counters on SIGTERM" || bad "SpliceEcho counters: $(tail -1 "$work/echo.log")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
