#!/usr/bin/env bash
# FileServer against hostile and careless clients (issue 16 point 3, issue 13): the request
# rules of RFC 9110/9112 checked with raw python sockets and curl (Host once, obs-fold, 405 +
# Allow, head size cap, requests per connection, dotfiles, multi-range, overflowing ranges,
# If-Range); deadlines with clients that drip a head, never read a body, or idle; and the accept
# loop under EMFILE (the server in a child limited by prlimit --nofile).
# Usage: tests/examples/file_server_hardening.sh [--mode sendfile|nio]. JAVA picks the JDK.
# Ends with "N passed, N failed".
set -uo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=lib/free_port.bash
source "$top/tests/examples/lib/free_port.bash"
# shellcheck source=lib/http.bash
source "$top/tests/examples/lib/http.bash"
mode=${2:-sendfile}
run="$top/examples/run-example.sh"
work=$(mktemp -d)
root="$work/root"
mkdir -p "$root/sub" "$root/.git"
passed=0
failed=0
pids=()
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', expected '$3'"; fi; }
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

head -c 100000 /dev/urandom > "$root/data.bin"
head -c $((256 << 20)) /dev/zero > "$root/big.bin"
echo 'SECRET=1' > "$root/.env"
echo '[core]' > "$root/.git/config"
echo 'hidden' > "$root/sub/.hidden"
ln -s "$root/.env" "$root/env-link"
sha() { sha256sum | cut -d' ' -f1; }

start_server() { # start_server LOG ARGS... ; sets $server and $port
    port=$(free_port)
    "$run" FileServer --root "$root" --port "$port" --mode "$mode" "${@:2}" > "$1" 2>&1 &
    server=$!
    pids+=("$server")
    wait_for "$1" "listening on" || bad "FileServer did not start: $(cat "$1")"
}
stop_server() { kill -TERM "$server"; wait "$server" 2>/dev/null; }

start_server "$work/rules.log" --max-requests 3 --max-head-bytes 4096
url="http://127.0.0.1:$port"
data_sha=$(sha < "$root/data.bin")

# --- request rules (RFC 9112 §3.2, §5.1, §5.2; RFC 9110 §15.5.6) ---
expect "HTTP/1.1 without Host is 400" "$(printf 'GET /data.bin HTTP/1.1\r\n\r\n' | raw_http "$port" | status_of)" 400
expect "two Host fields are 400" \
    "$(printf 'GET /data.bin HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' | raw_http "$port" | status_of)" 400
expect "HTTP/1.0 without Host is served" "$(printf 'GET /data.bin HTTP/1.0\r\n\r\n' | raw_http "$port" | status_of)" 200
expect "obs-fold is 400" \
    "$(printf 'GET /data.bin HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n' | raw_http "$port" | status_of)" 400
expect "whitespace before the colon is 400" \
    "$(printf 'GET /data.bin HTTP/1.1\r\nHost : a\r\n\r\n' | raw_http "$port" | status_of)" 400
expect "HTTP/2.0 request line is 505" "$(printf 'GET / HTTP/2.0\r\nHost: a\r\n\r\n' | raw_http "$port" | status_of)" 505
expect "garbage request line is 400" "$(printf 'hello\r\n\r\n' | raw_http "$port" | status_of)" 400
big_head=$(python3 -c 'print("X-Pad: " + "x" * 5000, end="")')
expect "a head over --max-head-bytes is 431" \
    "$(printf 'GET /data.bin HTTP/1.1\r\nHost: a\r\n%s\r\n\r\n' "$big_head" | raw_http "$port" | status_of)" 431
response=$(printf 'POST /data.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' | raw_http "$port" | tr -d '\r')
expect "POST with a body is 405" "$(echo "$response" | status_of)" 405
expect "405 carries Allow: GET, HEAD" "$(echo "$response" | sed -n 's/^Allow: //p')" "GET, HEAD"
for method in PUT DELETE OPTIONS PATCH; do
    expect "curl -X $method is 405" "$(curl -s -o /dev/null -w '%{http_code}' -X "$method" "$url/data.bin")" 405
done
expect "curl -X DELETE: Allow header" \
    "$(curl -s -D - -o /dev/null -X DELETE "$url/data.bin" | tr -d '\r' | sed -n 's/^Allow: //p')" "GET, HEAD"
# Two pipelined requests in one segment get two responses; the third request on a connection
# (--max-requests 3) is answered with Connection: close and the connection ends.
responses=$(printf 'GET /data.bin HTTP/1.1\r\nHost: a\r\n\r\nHEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\nHEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\nHEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\n' \
    | raw_http "$port" | grep -a -o "HTTP/1.1 200 OK" | wc -l)
expect "pipelined requests answered, at most --max-requests (3) per connection" "$responses" 3
closes=$(printf 'HEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\nHEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\nHEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\n' \
    | raw_http "$port" | tr -d '\r' | grep -a -c '^Connection: close')
expect "only the 3rd response says Connection: close" "$closes" 1

# --- dotfiles ---
for path in /.env /.git/config /sub/.hidden /%2eenv /env-link /sub/../.env; do
    response=$(curl -s --path-as-is -w '\n%{http_code}' "$url$path")
    code=$(echo "$response" | tail -1)
    if [ "$code" = 403 ] && ! echo "$response" | grep -q -e SECRET -e core -e hidden; then
        ok "dotfile $path refused (403)"
    else
        bad "dotfile $path: $code $(echo "$response" | head -1)"
    fi
done

# --- ranges (RFC 9110 §14) ---
got=$(curl -s -o /dev/null -w "%{http_code}" -r 0-9,20-29 "$url/data.bin")
expect "multi-range answered with 200" "$got" 200
expect "multi-range body is the whole file" "$(curl -s -r 0-9,20-29 "$url/data.bin" | sha)" "$data_sha"
expect "multi-range with one satisfiable range is 200" \
    "$(curl -s -o /dev/null -w '%{http_code}' -r 0-9,5000000-6000000 "$url/data.bin")" 200
expect "multi-range with none satisfiable is 416" \
    "$(curl -s -o /dev/null -w '%{http_code}' -r 200000-200001,300000-300001 "$url/data.bin")" 416
headers=$(curl -s -D - -o "$work/overflow.bin" -r 99900-99999999999999999999999999 "$url/data.bin" | tr -d '\r')
expect "overflowing last-byte-pos is 206" "$(echo "$headers" | status_of)" 206
expect "overflowing last-byte-pos is clamped" "$(echo "$headers" | sed -n 's/^Content-Range: //p')" "bytes 99900-99999/100000"
expect "clamped range body" "$(sha < "$work/overflow.bin")" "$(tail -c 100 "$root/data.bin" | sha)"
expect "overflowing suffix length is the whole file (206)" \
    "$(curl -s -r -99999999999999999999999 "$url/data.bin" | sha)" "$data_sha"
expect "unknown range unit is ignored (200)" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: items=0-5' "$url/data.bin")" 200

# --- If-Range (RFC 9110 §13.1.5) ---
meta=$(curl -sI "$url/data.bin" | tr -d '\r')
etag=$(echo "$meta" | sed -n 's/^ETag: //p')
lastmod=$(echo "$meta" | sed -n 's/^Last-Modified: //p')
[ -n "$etag" ] && ok "ETag sent: $etag" || bad "no ETag"
expect "If-Range with the current ETag: 206" \
    "$(curl -s -o /dev/null -w '%{http_code}' -r 10-19 -H "If-Range: $etag" "$url/data.bin")" 206
expect "If-Range with a weak ETag: 200" \
    "$(curl -s -o /dev/null -w '%{http_code}' -r 10-19 -H "If-Range: W/$etag" "$url/data.bin")" 200
expect "If-Range with the current Last-Modified: 206" \
    "$(curl -s -o /dev/null -w '%{http_code}' -r 10-19 -H "If-Range: $lastmod" "$url/data.bin")" 206
expect "If-Range with an older date: 200" \
    "$(curl -s -o /dev/null -w '%{http_code}' -r 10-19 -H "If-Range: Sun, 06 Nov 1994 08:49:37 GMT" "$url/data.bin")" 200
# A resumed download of a file that changed in between: the first half of the old file, then the
# server must send the whole new file (200), never the new file's second half.
curl -s -r 0-49999 -o "$work/part.bin" "$url/data.bin"
sleep 1.1
head -c 100000 /dev/urandom > "$root/data.bin.new" && mv "$root/data.bin.new" "$root/data.bin"
code=$(curl -s -o "$work/rest.bin" -w '%{http_code}' -r 50000- -H "If-Range: $etag" "$url/data.bin")
expect "resume after the file changed: 200 with the whole new file" \
    "$code $(sha < "$work/rest.bin")" "200 $(sha < "$root/data.bin")"
stop_server
grep -q "FileServer stopped: .* requests" "$work/rules.log" && ok "counters printed on SIGTERM" \
    || bad "no counters on exit: $(tail -2 "$work/rules.log")"

# --- deadlines: per phase, not per read ---
start_server "$work/deadlines.log" --head-seconds 2 --idle-seconds 2 --response-seconds 2 --min-rate 2000000000
# A client dripping its head one byte every 0.3 s (each read succeeds) is cut off ~2 s after
# connecting; an idle keep-alive connection ~2 s after its response; the time until the server
# closes is measured by the client.
times=$(python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
start = time.time()
try:
    for b in b"GET /data.bin HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"x" * 100:
        s.send(bytes([b]))
        time.sleep(0.3)
    drip = "never"
except OSError:
    drip = "%.1f" % (time.time() - start)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"HEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\n")
s.settimeout(10)
s.recv(4096)
start = time.time()
try:
    idle = "%.1f" % (time.time() - start) if s.recv(1) == b"" else "data"
except socket.timeout:
    idle = "never"
print(drip, idle)
PY
)
read -r drip idle <<< "$times"
python3 -c "import sys; sys.exit(0 if 1.5 <= float('$drip') <= 4 else 1)" 2>/dev/null \
    && ok "a client dripping its head is disconnected after ${drip} s (--head-seconds 2)" || bad "dripping client: $drip"
python3 -c "import sys; sys.exit(0 if 1.5 <= float('$idle') <= 4 else 1)" 2>/dev/null \
    && ok "an idle keep-alive connection is closed after ${idle} s (--idle-seconds 2)" || bad "idle client: $idle"
# A client that asks for 256 MiB and never reads: the response deadline (2 s + 0 s for the rate)
# closes it although the socket accepted a few MB first.
took=$(python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
start = time.time()
time.sleep(5)
got = 0
s.settimeout(10)
try:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got += len(b)
except OSError:
    pass
print("%d" % got)
PY
)
[ "${took:-0}" -gt 0 ] && [ "$took" -lt $((256 << 20)) ] && ok "a client that never reads is cut off ($took of $((256 << 20)) bytes)" \
    || bad "non-reading client got $took bytes"
stop_server
counters=$(grep "FileServer stopped" "$work/deadlines.log")
echo "$counters" | grep -q " [1-9][0-9]* head timeouts" && ok "head timeout counted" || bad "head timeouts: $counters"
echo "$counters" | grep -q " [1-9][0-9]* response timeouts" && ok "response timeout counted" || bad "response timeouts: $counters"
echo "$counters" | grep -q " [1-9][0-9]* idle closed" && ok "idle close counted" || bad "idle closed: $counters"

# --- EMFILE: the accept loop survives running out of descriptors ---
# The server runs with 96 descriptors; 150 idle clients exhaust them (accept fails with EMFILE
# while they stay connected); once they leave, a new client is served.
port=$(free_port)
prlimit --nofile=96:96 "$run" FileServer --root "$root" --port "$port" --mode "$mode" --head-seconds 30 \
    > "$work/emfile.log" 2>&1 &
server=$!
pids+=("$server")
wait_for "$work/emfile.log" "listening on" || bad "FileServer under prlimit did not start: $(cat "$work/emfile.log")"
result=$(python3 - "$port" "$work/emfile.log" <<'PY'
import socket, subprocess, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(150)]
for _ in range(100):
    if "accept: " in open(log).read():
        break
    time.sleep(0.1)
saw = "accept: " in open(log).read()
for s in held:
    s.close()
time.sleep(0.5)
code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                       "http://127.0.0.1:%d/data.bin" % port], capture_output=True, text=True).stdout
print(saw, code)
PY
)
expect "EMFILE reported, then a new client is served" "$result" "True 200"
# JDK 17's FileDispatcherImpl and JDK 21+'s sun.nio.ch.Poller, first used under EMFILE, fail for good.
grep -q "NoClassDefFoundError\|ExceptionInInitializerError" "$work/emfile.log" \
    && bad "a JDK class failed to initialise under EMFILE: $(grep -m1 -o 'NoClassDefFoundError.*\|ExceptionInInitializerError.*' "$work/emfile.log")" \
    || ok "no JDK class failed to initialise under EMFILE"
stop_server
grep "FileServer stopped" "$work/emfile.log" | grep -q " [1-9][0-9]* accept errors" \
    && ok "accept errors counted: $(grep "FileServer stopped" "$work/emfile.log" | grep -o '[0-9]* accept errors')" \
    || bad "accept errors not counted: $(tail -3 "$work/emfile.log")"

"$run" FileServer --root "$root" --port 1 --dotfiles maybe > /dev/null 2>&1
expect "bad --dotfiles exits 2" "$?" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
