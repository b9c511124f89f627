# Sourced by the example tests. raw_http PORT: sends stdin as-is to 127.0.0.1:PORT (a raw
# HTTP request, "\r\n" as written), then prints what comes back until the server closes or
# 3 s pass without a byte. Lets a test send what curl refuses to (obs-fold, two Host fields).
raw_http() {
    python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.settimeout(3)
out = bytearray()
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.buffer.write(bytes(out))
' "$1"
}

# status_of: the status code of the first response in stdin.
status_of() { head -1 | cut -d' ' -f2; }

# wait_for LOG PATTERN: up to 15 s for PATTERN to appear in LOG.
wait_for() { for _ in $(seq 1 150); do grep -qs "$2" "$1" && return 0; sleep 0.1; done; return 1; }
