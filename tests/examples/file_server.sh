#!/usr/bin/env bash
# FileServer tried as a user would: curl downloads (full, ranged, HEAD), sha256 compared with
# the files; escape attempts get 403/404 and no byte from outside the root; keep-alive reuse.
# Usage: tests/examples/file_server.sh [--mode sendfile|nio]. Ends with "N passed, N failed".
set -uo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=lib/free_port.bash
source "$top/tests/examples/lib/free_port.bash"
mode=${2:-sendfile}
work=$(mktemp -d)
root="$work/root"
mkdir -p "$root/sub" "$work/outside"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
expect() { # expect NAME ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', expected '$3'"; fi
}

: > "$root/empty.bin"
printf 'x' > "$root/one.bin"
head -c $((1 << 20)) /dev/urandom > "$root/sub/mib.bin"
# 1 GiB: random head and tail around a sparse middle, so checksums cover real bytes.
head -c $((1 << 20)) /dev/urandom > "$root/gib.bin"
truncate -s $((1 << 30)) "$root/gib.bin"
head -c 4096 /dev/urandom >> "$root/gib.bin"
echo '<h1>index</h1>' > "$root/index.html"
echo 'secret' > "$work/outside/secret.txt"
ln -s "$work/outside/secret.txt" "$root/link-out"
ln -s "$root/one.bin" "$root/link-in"
ln -s "$work/outside" "$root/dir-out"

port=$(free_port)
log="$work/server.log"
"$top/examples/run-example.sh" FileServer --root "$root" --port "$port" --mode "$mode" > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    grep -q "listening on" "$log" && break
    sleep 0.1
done
grep -q "listening on" "$log" && ok "server prints its listening address" || bad "server did not start: $(cat "$log")"
url="http://127.0.0.1:$port"

for f in empty.bin one.bin sub/mib.bin gib.bin; do
    got=$(curl -sf "$url/$f" | sha256sum | cut -d' ' -f1)
    expect "GET $f sha256" "$got" "$(sha256sum "$root/$f" | cut -d' ' -f1)"
done
got=$(curl -sf -r 1000-2999 "$url/sub/mib.bin" | sha256sum | cut -d' ' -f1)
expect "Range 1000-2999 sha256" "$got" "$(tail -c +1001 "$root/sub/mib.bin" | head -c 2000 | sha256sum | cut -d' ' -f1)"
got=$(curl -sf -r $(((1 << 30) - 10))- "$url/gib.bin" | sha256sum | cut -d' ' -f1)
expect "Range across the 1 GiB mark sha256" "$got" "$(tail -c $((4096 + 10)) "$root/gib.bin" | sha256sum | cut -d' ' -f1)"
got=$(curl -sf -r -100 "$url/sub/mib.bin" | sha256sum | cut -d' ' -f1)
expect "suffix Range -100 sha256" "$got" "$(tail -c 100 "$root/sub/mib.bin" | sha256sum | cut -d' ' -f1)"
expect "Range status" "$(curl -s -o /dev/null -w '%{http_code}' -r 0-0 "$url/one.bin")" 206
expect "unsatisfiable Range is 416" "$(curl -s -o /dev/null -w '%{http_code}' -r 5000000-6000000 "$url/sub/mib.bin")" 416

head=$(curl -sI "$url/sub/mib.bin" | tr -d '\r')
expect "HEAD status" "$(echo "$head" | head -1)" "HTTP/1.1 200 OK"
expect "HEAD Content-Length" "$(echo "$head" | sed -n 's/^Content-Length: //p')" $((1 << 20))
expect "HEAD sends no body" "$(curl -s -X HEAD --max-time 5 "$url/one.bin" -o - 2>/dev/null | wc -c)" 0
expect "Content-Type of .html" "$(curl -sI "$url/index.html" | tr -d '\r' | sed -n 's/^Content-Type: //p')" "text/html; charset=utf-8"
expect "directory serves index.html" "$(curl -sf "$url/")" "<h1>index</h1>"

expect "missing file is 404" "$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")" 404
expect "POST is 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/one.bin")" 405
for attempt in "/../outside/secret.txt" "/..%2foutside%2fsecret.txt" "/%2e%2e/outside/secret.txt" \
        "/sub/../../outside/secret.txt" "/link-out" "/dir-out/secret.txt" "/..%5coutside%5csecret.txt"; do
    response=$(curl -s --path-as-is -w '\n%{http_code}' "$url$attempt")
    code=$(echo "$response" | tail -1)
    if [[ "$code" == 403 || "$code" == 404 ]] && ! echo "$response" | grep -q secret; then
        ok "escape $attempt refused ($code)"
    else
        bad "escape $attempt: $code $(echo "$response" | head -1)"
    fi
done
expect "symlink inside the root is served" "$(curl -sf "$url/link-in")" "x"

reuse=$(curl -sv "$url/one.bin" "$url/one.bin" -o /dev/null -o /dev/null 2>&1 | grep -c -i "re-using existing connection\|reusing existing connection")
expect "keep-alive: second request reuses the connection" "$reuse" 1

if command -v wrk > /dev/null; then
    for f in one.bin sub/mib.bin; do
        report=$(wrk -t2 -c64 -d"${ZEROCOPY_WRK_SECONDS:-5}"s "$url/$f" 2>&1)
        rps=$(echo "$report" | sed -n 's/^Requests\/sec: *//p')
        if [ -n "$rps" ] && ! echo "$report" | grep -q -E "Non-2xx|Socket errors"; then
            ok "wrk 64 connections on $f: $rps requests/s, no errors"
        else
            bad "wrk on $f: $(echo "$report" | tail -4 | tr '\n' ' ')"
        fi
    done
fi

kill -TERM $server
wait $server 2>/dev/null
grep -q "FileServer stopped: .* requests" "$log" && ok "counters printed on SIGTERM" || bad "no counters on exit: $(tail -2 "$log")"
"$top/examples/run-example.sh" FileServer --root "$root" > /dev/null 2>&1
expect "missing --port exits 2" "$?" 2
"$top/examples/run-example.sh" FileServer --help | grep -q "usage: FileServer" && ok "--help" || bad "--help"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
